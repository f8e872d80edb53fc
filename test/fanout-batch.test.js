'use strict';

// The JS side of the native fan-out (NativeFanout's per-depth batches inside
// NativeAdapter#_deliver) when something throws: the native call itself, a
// write of a recipient it handed back, a listener. The native fan-out is
// replaced by a recording stand-in so that every failure can be provoked;
// the adapter, its room index and NativeFanout are the real ones. After any
// throw the nesting depth is back to 0, no batch holds recipients or a
// packet, and the next broadcast reaches its own recipients only.

const test = require('node:test');
const assert = require('node:assert');
const { fakeNsp, fakeSocket } = require('./support/adapter-pair');
const { createAdapter } = require('../lib/adapters/create-adapter');
const { NativeFanout } = require('../lib/fanout/native-fanout');
const binding = require('../lib/binding');

const skip = binding.native && binding.addon.registry != null ? false : 'needs the native registry';

/**
 * An adapter whose fan-out is a stand-in: each socket's connection has a
 * fan-out id, `native.broadcast` records its calls, and `native.fail` (when
 * set) is thrown by the next call. `native.hand` lists the ids to hand back.
 */
function setup(names) {
  const adapter = new (createAdapter())(fakeNsp());
  const log = [];
  const native = {
    calls: [],
    /** @type {Error | null} */
    fail: null,
    /** @type {number[]} */
    hand: [],
    broadcast(first, ids, n, out, rest) {
      this.calls.push({ first, ids: [...ids.subarray(0, n)], rest });
      if (this.fail !== null) {
        const err = this.fail;
        this.fail = null;
        throw err;
      }
      let k = 0;
      for (const id of ids.subarray(0, n)) if (this.hand.includes(id)) out[k++] = id;
      return k;
    },
    stats() { return {}; },
  };
  const registry = {
    fanout: native,
    idOf: (conn) => conn.fid,
    hasRawPending: () => false,
    markTurn: () => {},
    // Nobody listens to engine.io's per-packet events.
    watchState: new Uint8Array(64),
    slotMask: 63,
    totals: { broadcasts: 0, recipients: 0, standardPath: { ack: 0, encoding: 0, listeners: 0, events: 0, unregistered: 0 } },
    counts: () => ({}),
  };
  adapter._fanout = new NativeFanout(/** @type {any} */ (registry), adapter._index);
  const sockets = {};
  names.forEach((name, fid) => {
    const s = fakeSocket(name, log);
    s.client.conn = { fid };
    sockets[name] = s;
    adapter.nsp.sockets.set(name, s);
    adapter.addAll(name, new Set([name, 'all']));
  });
  return { adapter, native, log, sockets };
}

function assertAtRest(adapter) {
  assert.strictEqual(adapter._index.depth, 0);
  for (const batch of adapter._fanout.batches) {
    assert.strictEqual(batch.n, 0);
    assert.strictEqual(batch.packet, null);
    assert.strictEqual(batch.encodedPackets, null);
    assert.ok(batch.sockets.every((s) => s === undefined));
  }
}

const all = { rooms: new Set(['all']), except: new Set() };

test('the native call throwing fails the broadcast and leaves nothing for the next one', { skip }, () => {
  const { adapter, native, log } = setup(['a', 'b', 'c']);
  adapter.addAll('c', new Set(['only-c']));
  native.fail = new Error('native failed');
  assert.throws(() => adapter.broadcast({ type: 2, data: ['first'] }, all), { message: 'native failed' });
  assertAtRest(adapter);
  adapter.broadcast({ type: 2, data: ['second'] }, { rooms: new Set(['only-c']), except: new Set() });
  assertAtRest(adapter);
  assert.deepStrictEqual(native.calls.map((c) => [c.first, c.ids]), [
    ['2["first"]', [0, 1, 2]],
    ['2["second"]', [2]],
  ]);
  assert.deepStrictEqual(log, []);
});

test('the native call throwing when a socket with onAnyOutgoing listeners flushes the batch', { skip }, () => {
  const { adapter, native, log, sockets } = setup(['a', 'b', 'c', 'd']);
  sockets.c._anyOutgoingListeners = [() => {}];
  native.fail = new Error('native failed');
  assert.throws(() => adapter.broadcast({ type: 2, data: ['first'] }, all), { message: 'native failed' });
  assertAtRest(adapter);
  // Nothing after the failure was written: not c (standard path), not d.
  assert.deepStrictEqual(log, []);
  adapter.broadcast({ type: 2, data: ['second'] }, all);
  assertAtRest(adapter);
  assert.deepStrictEqual(native.calls.map((c) => c.ids), [[0, 1], [0, 1], [3]]);
  assert.deepStrictEqual(log.map((e) => e.slice(0, 2)), [['notify', 'c'], ['write', 'c']]);
});

test('a handed-back recipient whose write throws: the ones before it got it, nothing is left behind', { skip }, () => {
  const { adapter, native, log, sockets } = setup(['a', 'b', 'c']);
  native.hand = [0, 1, 2];
  const write = sockets.b.client.writeToEngine;
  let failOnce = true;
  sockets.b.client.writeToEngine = (...args) => {
    if (failOnce) {
      failOnce = false;
      throw new Error('write failed');
    }
    write(...args);
  };
  assert.throws(() => adapter.broadcast({ type: 2, data: ['first'] }, all), { message: 'write failed' });
  assertAtRest(adapter);
  native.hand = [];
  adapter.broadcast({ type: 2, data: ['second'] }, all);
  assertAtRest(adapter);
  assert.deepStrictEqual(log.map((e) => [e[0], e[1], e[2] && e[2][0]]), [
    ['notify', 'a', undefined], ['write', 'a', '2["first"]'], ['notify', 'b', undefined],
  ]);
  assert.deepStrictEqual(native.calls.map((c) => [c.first, c.ids]), [['2["first"]', [0, 1, 2]], ['2["second"]', [0, 1, 2]]]);
});

test('a listener that throws in a nested broadcast leaves every depth at rest', { skip }, () => {
  const { adapter, native, sockets } = setup(['a', 'b', 'c']);
  sockets.b._anyOutgoingListeners = [() => {}];
  sockets.b.notifyOutgoingListeners = (packet) => {
    if (packet.data[0] === 'outer') {
      adapter.broadcast({ type: 2, data: ['inner'] }, all);
      throw new Error('listener failed');
    }
  };
  sockets.c._anyOutgoingListeners = [() => {}];
  sockets.c.notifyOutgoingListeners = (packet) => {
    if (packet.data[0] === 'inner') throw new Error('inner listener failed');
  };
  assert.throws(() => adapter.broadcast({ type: 2, data: ['outer'] }, all), { message: 'inner listener failed' });
  assertAtRest(adapter);
  adapter.broadcast({ type: 2, data: ['after'] }, { rooms: new Set(['a']), except: new Set() });
  assertAtRest(adapter);
  assert.deepStrictEqual(native.calls.map((c) => [c.first, c.ids]), [
    ['2["outer"]', [0]], ['2["inner"]', [0]], ['2["after"]', [0]],
  ]);
});

test('encoder output the fan-out does not frame takes the standard path for everyone', { skip }, () => {
  const detached = new ArrayBuffer(4);
  const view = new Uint8Array(detached);
  structuredClone(detached, { transfer: [detached] });
  const resizable = new ArrayBuffer(8, { maxByteLength: 16 });
  const outOfBounds = new DataView(resizable, 6);
  resizable.resize(4);
  const outputs = [[42], ['2[]', { o: 1 }], ['5', new SharedArrayBuffer(2)], ['51-[]', view], [], [null], 7,
    ['51-[]', outOfBounds], [new Uint8Array(resizable)]];
  // socket.io-parser takes a Blob for an attachment; engine.io sends it as the text "4[object Blob]".
  if (typeof Blob === 'function') outputs.push(['51-[]', new Blob(['x'])]);
  for (const output of outputs) {
    const { adapter, native, log } = setup(['a', 'b']);
    adapter.encoder = { encode: () => output };
    adapter.broadcast({ type: 2, data: ['x'] }, all);
    assertAtRest(adapter);
    assert.deepStrictEqual(native.calls, []);
    assert.deepStrictEqual(log.filter((e) => e[0] === 'write').map((e) => [e[1], e[2]]), [['a', output], ['b', output]]);
  }
  // What it frames goes native: strings, binary of any kind, a bare value.
  for (const output of [['2[]'], [Buffer.from('x')], 'bare', Float32Array.of(1), ['51-[]', new DataView(new ArrayBuffer(2))]]) {
    const { adapter, native, log } = setup(['a', 'b']);
    adapter.encoder = { encode: () => output };
    adapter.broadcast({ type: 2, data: ['x'] }, all);
    assertAtRest(adapter);
    assert.strictEqual(native.calls.length, 1);
    const call = native.calls[0];
    if (Array.isArray(output)) {
      assert.strictEqual(call.first, output[0]);
      assert.deepStrictEqual(call.rest, output.length > 1 ? output.slice(1) : undefined);
    } else {
      assert.strictEqual(call.first, output);
    }
    assert.deepStrictEqual(log, []);
  }
});
