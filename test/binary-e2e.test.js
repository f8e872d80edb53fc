'use strict';

// Binary payloads and other encoder outputs through a broadcast, stock
// socket.io against this package in the same run (runBoth), with real
// socket.io-client connections over websocket, polling and polling upgraded
// to websocket:
//  - every binary type socket.io-parser's hasBinary accepts (ArrayBuffer, any
//    typed array, DataView, views with an offset into a larger buffer or over
//    a SharedArrayBuffer, nested, several per packet) reaches the same clients
//    with exactly the bytes of the view;
//  - a parser whose encoder returns Buffers (socket.io-msgpack-parser) and
//    custom parsers returning other shapes (a bare string, several strings,
//    numbers, binary) reach the clients as engine.io frames them;
//  - a throw in the middle of a broadcast (toJSON, an onAnyOutgoing listener)
//    fails the emit as in stock, leaves the same clients with the same
//    packets, and leaves nothing behind: the next, unrelated broadcast
//    reaches its own recipients only, and the adapter's nesting depth and
//    batches are back to rest.

const test = require('node:test');
const assert = require('node:assert');
const { EventEmitter } = require('node:events');
const msgpackParser = require('socket.io-msgpack-parser');
const { runBoth, nativeMode } = require('./support/e2e');
const { parser: ourParser } = require('../lib/index');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const fanout = fanoutAvailable();

/**
 * A received value with its binary parts as hex (clients get Buffers or
 * ArrayBuffers depending on the transport; the bytes are what matters).
 *
 * @param {any} value
 * @returns {any}
 */
function plain(value) {
  if (value instanceof ArrayBuffer) return { hex: Buffer.from(value).toString('hex') };
  if (ArrayBuffer.isView(value)) return { hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'function') return 'function';
  if (value !== null && typeof value === 'object') {
    /** @type {Record<string, any>} */
    const out = {};
    for (const key of Object.keys(value)) out[key] = plain(value[key]);
    return out;
  }
  return value;
}

/** @param {ArrayBuffer | ArrayBufferView} value @returns {{ hex: string }} the bytes a client must receive */
function bytesOf(value) {
  return plain(value);
}

/**
 * Asserts that this package's adapter of `nsp` is at rest: no nesting level
 * held, no batch holding recipients or a packet. Stock has none of this.
 *
 * @param {any} ctx
 * @param {string} [nsp]
 */
function assertAtRest(ctx, nsp = '/') {
  if (ctx.kind !== 'ours' || !nativeMode) return;
  const adapter = ctx.io.of(nsp).adapter;
  assert.strictEqual(adapter._index.depth, 0, 'nesting depth back to 0');
  if (adapter._fanout === null) return;
  for (const batch of adapter._fanout.batches) {
    assert.strictEqual(batch.n, 0, 'no recipients left in a batch');
    assert.strictEqual(batch.packet, null, 'no packet left in a batch');
    assert.strictEqual(batch.encodedPackets, null, 'no encoding left in a batch');
    assert.ok(batch.sockets.every((s) => s === undefined), 'no socket left in a batch');
  }
}

/** Frames the native fan-out queued so far in this process (0 without it). */
function framesQueued(ctx) {
  if (ctx.kind !== 'ours' || !fanout) return 0;
  return ctx.io.of('/').adapter.stats().framesQueued;
}

/**
 * Connects `count` clients (websocket, polling, upgraded, in turn); the even
 * ones join room "even", client 1 and 4 join room "s".
 *
 * @param {any} ctx
 * @param {number} count
 * @param {any} [copts]
 */
async function setup(ctx, count, copts) {
  ctx.io.on('connection', (socket) => {
    const i = socket.handshake.auth.i;
    if (i % 2 === 0) socket.join('even');
    if (i === 1 || i === 4) socket.join('s');
  });
  const cs = [];
  for (let i = 0; i < count; i++) cs.push(await ctx.connected('/', {}, copts));
  await ctx.barrier(cs);
  return cs;
}

/** Events received, binary as hex, without barriers. */
function received(ctx, cs) {
  return cs.map((c) => ctx.got(c).map(plain));
}

/** The binary values of one broadcast, fresh for each run. */
function binaries() {
  const big = new Uint8Array(64);
  for (let i = 0; i < big.length; i++) big[i] = i * 7 + 3;
  const shared = new Uint8Array(new SharedArrayBuffer(6));
  shared.set([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]);
  return {
    buffer: Buffer.from([1, 2, 3, 0, 255]),
    // A small Buffer from Node's pool: a view into a larger ArrayBuffer.
    pooled: Buffer.from('pooled bytes'),
    arrayBuffer: Uint8Array.of(10, 20, 30, 40).buffer,
    uint8: Uint8Array.of(4, 5, 6),
    int8: Int8Array.of(-1, -128, 127),
    clamped: Uint8ClampedArray.of(0, 128, 255),
    uint16: Uint16Array.of(0x0102, 0xfffe, 7),
    int32: Int32Array.of(-2, 0x12345678),
    float32: Float32Array.of(1.5, -2.25, Math.PI),
    float64: Float64Array.of(Math.E, -0, Number.MAX_VALUE),
    bigint64: BigInt64Array.of(-5n, 1n << 62n),
    dataView: new DataView(big.buffer, 5, 9),
    offsetView: new Uint16Array(big.buffer, 6, 5),
    offsetFloat: new Float32Array(big.buffer, 12, 3),
    empty: new Uint8Array(0),
    emptyArrayBuffer: new ArrayBuffer(0),
    sharedView: shared.subarray(1, 5),
    // Not binary for hasBinary (not an ArrayBuffer): JSON makes it {}.
    sharedItself: shared.buffer,
  };
}

const TYPES = Object.keys(binaries());
const serverParsers = [['socket.io-parser', {}], ['this package\'s parser', { parser: ourParser }]];

for (const [parserName, serverOpts] of serverParsers) {
  test(`every binary type reaches the same clients byte-exact (${parserName})`, { timeout: 120000 }, async () => {
    let nativeFrames = 0;
    const { stock, ours } = await runBoth(serverOpts, async (ctx) => {
      const cs = await setup(ctx, 6);
      const before = framesQueued(ctx);
      const b = binaries();
      // One broadcast per type, alone as the argument.
      for (const type of TYPES) ctx.io.emit('one', type, b[type]);
      // Several attachments, nested in objects and arrays, to a room.
      ctx.io.to('even').emit('nested', { a: [b.float32, { d: b.dataView, n: 1 }], o: b.offsetView }, [b.arrayBuffer, 'x', b.buffer], b.sharedView);
      // Except a room; and a room except one socket.
      ctx.io.except('even').emit('odd', b.uint16, b.float64);
      const first = [...ctx.io.of('/').sockets.values()].find((s) => s.handshake.auth.i === 0);
      ctx.io.to('even').except(first.id).emit('even-but-0', b.offsetFloat, b.pooled);
      // Volatile and binary.
      ctx.io.volatile.emit('volatile', b.int32);
      await ctx.barrier(cs);
      nativeFrames += framesQueued(ctx) - before;
      assertAtRest(ctx);
      return received(ctx, cs);
    });
    assert.deepStrictEqual(ours, stock);
    // The bytes are the views' own, whichever path wrote them.
    const b = binaries();
    const expected = TYPES.map((type) => ['one', type, type === 'sharedItself' ? {} : bytesOf(b[type])]);
    for (const [i, events] of stock.entries()) {
      const ones = events.filter((e) => e[0] === 'one');
      // Volatile packets may be dropped; the rest arrive, in order.
      assert.deepStrictEqual(ones, expected, `client ${i}`);
      const nested = events.find((e) => e[0] === 'nested');
      if (i % 2 === 0) {
        assert.deepStrictEqual(nested, ['nested',
          { a: [bytesOf(b.float32), { d: bytesOf(b.dataView), n: 1 }], o: bytesOf(b.offsetView) },
          [bytesOf(b.arrayBuffer), 'x', bytesOf(b.buffer)], bytesOf(b.sharedView)]);
      } else {
        assert.strictEqual(nested, undefined);
        assert.deepStrictEqual(events.find((e) => e[0] === 'odd'), ['odd', bytesOf(b.uint16), bytesOf(b.float64)]);
      }
      const evenBut0 = events.find((e) => e[0] === 'even-but-0');
      assert.deepStrictEqual(evenBut0, i % 2 === 0 && i !== 0 ? ['even-but-0', bytesOf(b.offsetFloat), bytesOf(b.pooled)] : undefined);
    }
    // The websocket clients' copies went out natively.
    if (fanout) assert.ok(nativeFrames > 0, 'the native fan-out wrote binary frames');
  });
}

test('socket.io-msgpack-parser: rooms, except, binary, volatile reach the same clients', { timeout: 120000 }, async () => {
  let nativeFrames = 0;
  const { stock, ours } = await runBoth({ parser: msgpackParser }, async (ctx) => {
    const cs = await setup(ctx, 6);
    const before = framesQueued(ctx);
    const first = [...ctx.io.of('/').sockets.values()].find((s) => s.handshake.auth.i === 0);
    for (let n = 0; n < 20; n++) ctx.io.emit('all', n, 'é€😀'.repeat(n));
    ctx.io.to('even').emit('room', { deep: [1, 'two', null] });
    ctx.io.to('s').to('even').except(first.id).emit('rooms-except', 3);
    ctx.io.except('even').emit('except', 4);
    ctx.io.emit('binary', Buffer.from([0, 1, 2, 254, 255]), { f: Float32Array.of(0.5) });
    ctx.io.volatile.emit('volatile', 1);
    ctx.io.volatile.emit('volatile', 2);
    ctx.io.emit('volatile', 3);
    await ctx.barrier(cs);
    nativeFrames += framesQueued(ctx) - before;
    assertAtRest(ctx);
    return received(ctx, cs);
  }, { clientOpts: { parser: msgpackParser } });
  assert.deepStrictEqual(ours, stock);
  for (const [i, events] of stock.entries()) {
    assert.deepStrictEqual(events.filter((e) => e[0] === 'all').map((e) => e[1]), [...Array(20).keys()], `client ${i}`);
    assert.deepStrictEqual(events.find((e) => e[0] === 'binary'), ['binary', { hex: '000102feff' }, { f: bytesOf(Float32Array.of(0.5)) }]);
    assert.strictEqual(events.some((e) => e[0] === 'room'), i % 2 === 0);
    assert.strictEqual(events.some((e) => e[0] === 'rooms-except'), i === 1 || i === 2 || i === 4);
    assert.strictEqual(events.some((e) => e[0] === 'except'), i % 2 === 1);
  }
  if (fanout) assert.ok(nativeFrames > 0, 'the native fan-out wrote the msgpack frames');
});

test('socket.io-msgpack-parser: broadcasts from an event handler and with acks', { timeout: 120000 }, async () => {
  const { stock, ours } = await runBoth({ parser: msgpackParser }, async (ctx) => {
    ctx.io.on('connection', (socket) => {
      socket.on('relay', (data) => socket.broadcast.emit('relayed', data));
    });
    const cs = await setup(ctx, 6);
    for (const c of cs) c.on('ask', (n, cb) => cb(n * 2));
    cs[0].emit('relay', { bin: Buffer.from('from 0') });
    await new Promise((resolve) => {
      ctx.io.timeout(4000).emit('ask', 21, (err, replies) => resolve(replies));
    });
    await ctx.barrier(cs);
    assertAtRest(ctx);
    return received(ctx, cs);
  }, { clientOpts: { parser: msgpackParser } });
  assert.deepStrictEqual(ours, stock);
  assert.deepStrictEqual(stock[1].find((e) => e[0] === 'relayed'), ['relayed', { bin: { hex: Buffer.from('from 0').toString('hex') } }]);
});

test('a throwing toJSON fails the emit as in stock; the next broadcast reaches only its room', { timeout: 120000 }, async () => {
  const { stock, ours } = await runBoth({}, async (ctx) => {
    const cs = await setup(ctx, 6);
    const errors = [];
    const bad = { toJSON() { throw new Error('toJSON failed'); } };
    try {
      ctx.io.emit('bad', Float32Array.of(1), bad);
    } catch (err) {
      errors.push(err.message);
    }
    try {
      ctx.io.to('even').emit('bad', 'text', { nested: [bad] });
    } catch (err) {
      errors.push(err.message);
    }
    assertAtRest(ctx);
    ctx.io.to('s').emit('after', Uint16Array.of(1, 2));
    await ctx.barrier(cs);
    assertAtRest(ctx);
    return { errors, got: received(ctx, cs) };
  });
  assert.deepStrictEqual(ours, stock);
  assert.deepStrictEqual(stock.errors, ['toJSON failed', 'toJSON failed']);
  for (const [i, events] of stock.got.entries()) {
    assert.deepStrictEqual(events, i === 1 || i === 4 ? [['after', { hex: '01000200' }]] : []);
  }
});

for (const payload of ['text', 'binary']) {
  test(`an onAnyOutgoing listener throwing mid-loop (${payload}): same clients got it, nothing left behind`, { timeout: 120000 }, async () => {
    const { stock, ours } = await runBoth({}, async (ctx) => {
      ctx.io.on('connection', (socket) => {
        if (socket.handshake.auth.i === 3) {
          socket.onAnyOutgoing((ev) => {
            if (ev === 'boom') throw new Error('listener failed');
          });
        }
      });
      // Websocket clients around the throwing one, so that natively taken
      // recipients precede it in the loop.
      const cs = await setup(ctx, 6, { transports: ['websocket'] });
      const errors = [];
      for (let k = 0; k < 3; k++) {
        try {
          if (payload === 'binary') ctx.io.emit('boom', k, Float32Array.of(k, 0.5), new DataView(new ArrayBuffer(3)));
          else ctx.io.emit('boom', k, 'text');
        } catch (err) {
          errors.push(err.message);
        }
        assertAtRest(ctx);
      }
      // Unrelated broadcasts to a room without the throwing socket.
      ctx.io.to('s').emit('after', 1, Float64Array.of(2));
      ctx.io.to('s').emit('after', 2);
      await ctx.barrier(cs);
      assertAtRest(ctx);
      return { errors, got: received(ctx, cs) };
    });
    assert.deepStrictEqual(ours, stock);
    assert.deepStrictEqual(stock.errors, ['listener failed', 'listener failed', 'listener failed']);
    for (const [i, events] of stock.got.entries()) {
      const booms = events.filter((e) => e[0] === 'boom').length;
      assert.strictEqual(booms, i < 3 ? 3 : 0, `client ${i}`);
      assert.strictEqual(events.filter((e) => e[0] === 'after').length, i === 1 || i === 4 ? 2 : 0, `client ${i}`);
    }
  });
}

/**
 * A parser (both ends) whose packets are JSON, and whose encoder returns
 * `shape(packet)`: what engine.io then makes of each shape is what the
 * client's decoder gets (a string, or binary as a Buffer or ArrayBuffer).
 *
 * @param {(packet: any) => any} shape
 */
function jsonParser(shape) {
  class Encoder {
    encode(packet) {
      return shape(packet);
    }
  }
  class Decoder extends EventEmitter {
    add(data) {
      // engine.io-client hands over an empty message as undefined.
      let text = String(data);
      if (data instanceof ArrayBuffer) text = Buffer.from(data).toString();
      else if (ArrayBuffer.isView(data)) text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
      let packet;
      try {
        packet = JSON.parse(text);
      } catch {
        packet = null;
      }
      // Anything that is not a packet shows up as an event carrying the raw text.
      if (packet === null || typeof packet !== 'object' || typeof packet.type !== 'number') {
        packet = { type: 2, nsp: '/', data: ['raw', text] };
      }
      // Events say whether they came as text or binary.
      if (packet.type === 2 && Array.isArray(packet.data) && packet.data[0] !== 'barrier') {
        packet.data.push(typeof data === 'string' || data === undefined ? 'text' : 'binary');
      }
      this.emit('decoded', packet);
    }
    destroy() {}
  }
  return { Encoder, Decoder };
}

const client = jsonParser((packet) => [JSON.stringify(packet)]);
/** The events the shapes below apply to; every other packet is [JSON]. */
const SHAPED = new Set(['m', 'tiny', 'room']);
/** @param {(packet: any) => any} shape */
const onlyShaped = (shape) => (packet) => (packet.type === 2 && SHAPED.has(packet.data[0]) ? shape(packet) : [JSON.stringify(packet)]);
const shapes = {
  'a bare string, not an array': (packet) => JSON.stringify(packet),
  'a one-character string': (packet) => (packet.data[0] === 'tiny' ? '7' : JSON.stringify(packet)),
  'several strings': (packet) => [JSON.stringify(packet), 'second', ''],
  'a Uint8Array of UTF-8': (packet) => [new TextEncoder().encode(JSON.stringify(packet))],
  'a bare Buffer': (packet) => Buffer.from(JSON.stringify(packet)),
  'a string and an ArrayBuffer': (packet) => [JSON.stringify(packet), new TextEncoder().encode('"tail"').buffer],
  'numbers and other values': (packet) => [JSON.stringify(packet), 42, 0, true, { o: 1 }, null],
  'a SharedArrayBuffer': (packet) => [JSON.stringify(packet), new SharedArrayBuffer(2)],
  'an empty array': () => [],
};

for (const [name, shape] of Object.entries(shapes)) {
  test(`a custom parser returning ${name}: the same clients get the same messages`, { timeout: 120000 }, async () => {
    let nativeFrames = 0;
    const { stock, ours } = await runBoth({ parser: jsonParser(onlyShaped(shape)) }, async (ctx) => {
      const cs = await setup(ctx, 6);
      const before = framesQueued(ctx);
      for (let n = 0; n < 3; n++) ctx.io.emit('m', n);
      ctx.io.emit('tiny');
      ctx.io.to('even').emit('room', 'é€😀');
      await ctx.barrier(cs);
      nativeFrames += framesQueued(ctx) - before;
      assertAtRest(ctx);
      return received(ctx, cs);
    }, { clientOpts: { parser: client } });
    assert.deepStrictEqual(ours, stock);
    // Something arrived besides the barriers (unless nothing is sent at all),
    // as the frame type engine.io gives it.
    if (name !== 'an empty array') assert.ok(stock.every((events) => events.length > 0));
    const kind = name === 'a Uint8Array of UTF-8' || name === 'a bare Buffer' ? 'binary' : 'text';
    for (const events of stock) {
      for (const e of events.filter((x) => x[0] === 'm')) assert.strictEqual(e[e.length - 1], kind);
    }
    return nativeFrames;
  });
}

/**
 * Strings a broadcast must encode as stock does: multi-byte characters,
 * sizes around 16K UTF-16 units and around the websocket header forms, up to
 * over 1 MB, and lone surrogates, which socket.io-parser's JSON escapes but a
 * custom encoder may leave raw (engine.io's websocket transport then sends
 * them as ws does, as U+FFFD; polling sends them through Buffer.byteLength
 * and the response's UTF-8 alike).
 *
 * @returns {string[]}
 */
function awkwardTexts() {
  return ['', '\ud800', 'a\udc00b', '\ude00😀\ud83d', 'é'.repeat(16383), 'é'.repeat(16384), '€'.repeat(16385),
    'z'.repeat(65530) + '\ud800', 'a'.repeat(20000) + '\ud800' + 'b', '\udc00' + '😀'.repeat(40000),
    'é€😀\ud800'.repeat(100000)];
}

/** socket.io-parser's JSON with the escapes of lone surrogates undone: raw surrogates on the wire. */
const rawSurrogates = jsonParser((packet) => [JSON.stringify(packet)
  .replace(/\\u(d[89a-f][0-9a-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)))]);

for (const [parserName, serverOpts, clientOpts] of [
  ['socket.io-parser', {}, {}],
  ['a custom encoder leaving lone surrogates raw', { parser: rawSurrogates }, { parser: client }],
]) {
  test(`large, multi-byte and lone-surrogate strings reach the same clients alike (${parserName})`, { timeout: 120000 }, async () => {
    let nativeFrames = 0;
    const { stock, ours } = await runBoth(serverOpts, async (ctx) => {
      const cs = await setup(ctx, 6);
      const before = framesQueued(ctx);
      for (const [k, text] of awkwardTexts().entries()) ctx.io.emit('s', k, text);
      ctx.io.to('even').emit('s', -1, '2["' + 'x'.repeat(30000) + '\ud83d' + '\ude00' + 'y'.repeat(30000) + '"]');
      await ctx.barrier(cs);
      nativeFrames += framesQueued(ctx) - before;
      assertAtRest(ctx);
      return received(ctx, cs);
    }, { clientOpts });
    assert.deepStrictEqual(ours, stock);
    // What stock delivers: the strings themselves through JSON escapes, with
    // U+FFFD for each lone surrogate when they went raw.
    const raw = serverOpts.parser === rawSurrogates;
    const wellFormed = (text) => (raw ? Buffer.from(text).toString() : text);
    const texts = awkwardTexts();
    for (const [i, events] of stock.entries()) {
      const got = events.filter((e) => e[1] >= 0);
      assert.strictEqual(got.length, texts.length, `client ${i}`);
      for (const [k, text] of texts.entries()) assert.strictEqual(got[k][2], wellFormed(text), `client ${i}, string ${k}`);
      assert.strictEqual(events.some((e) => e[1] === -1), i % 2 === 0, `client ${i}`);
    }
    if (raw) assert.strictEqual(stock[0][1][2], '\ufffd');
    if (fanout) assert.ok(nativeFrames > 0, 'the native fan-out wrote text frames');
  });
}
