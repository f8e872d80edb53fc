'use strict';

/**
 * accelerate() in one process: the same scenarios on an adapter as it is and
 * on the same adapter through accelerate() (same clients, same events, in
 * order), the shapes it refuses (with one warning and adapterStats() saying
 * why), and that no existing class is modified. The multi-node cases, with
 * the official Redis adapters, are in test/accelerate-redis.test.js.
 */

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { Server } = require('socket.io');
const ioc = require('socket.io-client');
const socketIoAdapter = require('socket.io-adapter');
const { Adapter, SessionAwareAdapter, ClusterAdapter, ClusterAdapterWithHeartbeat } = socketIoAdapter;
const { accelerate, adapterStats, parser } = require('../lib');
const { WARNING_CODE } = require('../lib/adapters/accelerate');
const binding = require('../lib/binding');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');
const { runBoth, waitFor, until } = require('./support/e2e');

const NATIVE = binding.native && binding.addon.registry != null;

/** A subclass of its own, so that the checks below see a user's adapter class. */
class PlainAdapter extends Adapter {}

/**
 * Defines a test that runs `scenario` on PlainAdapter as it is and through
 * accelerate(), and expects the same outcome.
 */
function same(name, serverOpts, scenario, check, AdapterClass = PlainAdapter) {
  test(name, async () => {
    const { stock, ours } = await runBoth(serverOpts, scenario, { adapter: () => AdapterClass });
    assert.deepStrictEqual(ours, stock);
    if (check) check(stock);
  });
}

/** Rooms joined on connection, from the client's auth. */
function joinFromAuth(io) {
  io.on('connection', (socket) => {
    if (socket.handshake.auth.rooms) socket.join(socket.handshake.auth.rooms);
  });
}

same('rooms, except and unions reach the same clients, in order', { parser }, async (ctx) => {
  joinFromAuth(ctx.io);
  const cs = [];
  for (const rooms of [['a'], ['a', 'b'], ['b'], ['b', 'c'], ['c'], []]) cs.push(await ctx.connected('/', { rooms }));
  const io = ctx.io;
  io.to('a').emit('m', 1);
  io.to(['a', 'b']).emit('m', 2);
  io.in('b').to('c').except('a').emit('m', 3);
  io.except(['b', 'c']).emit('m', 4);
  io.to('nobody').emit('m', 5);
  io.emit('m', 6, { nested: [1, 'two'] });
  io.volatile.emit('m', 7);
  io.compress(false).to('c').emit('m', 8);
  io.emit('bin', Buffer.from([1, 2, 3]));
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  // Client 5 is in no room; a volatile packet may be dropped on its transport.
  assert.deepStrictEqual(outcome[5].map((e) => e[1]).filter((n) => typeof n === 'number' && n !== 7), [4, 6]);
  assert.deepStrictEqual(outcome[0].map((e) => e[1]).filter((n) => typeof n === 'number' && n !== 7), [1, 2, 4, 6]);
  assert.strictEqual(outcome[0].filter((e) => e[0] === 'bin').length, 1);
});

same('fetchSockets, socketsJoin, socketsLeave and disconnectSockets act on the same sockets', {}, async (ctx) => {
  joinFromAuth(ctx.io);
  const cs = [];
  for (const rooms of [['a'], ['a', 'b'], ['b'], []]) cs.push(await ctx.connected('/', { rooms }));
  const io = ctx.io;
  const names = async (op) => (await op.fetchSockets()).map((s) => ctx.label(s.id)).sort();
  const out = { fetched: [await names(io.in('a')), await names(io.except('a')), await names(io)] };
  io.in('b').socketsJoin('j');
  out.joined = await names(io.in('j'));
  io.to('j').emit('to-j', 1);
  io.in('a').socketsLeave('j');
  out.left = await names(io.in('j'));
  io.to('j').emit('to-j', 2);
  await ctx.barrier(cs);
  const gone = [waitFor(cs[0], 'disconnect'), waitFor(cs[1], 'disconnect')];
  io.in('a').disconnectSockets();
  await Promise.all(gone);
  out.after = await names(io);
  io.emit('last');
  await ctx.barrier([cs[2], cs[3]]);
  out.got = cs.map((c) => ctx.got(c));
  return out;
}, (outcome) => {
  assert.deepStrictEqual(outcome.joined, ['#1', '#2']);
  assert.deepStrictEqual(outcome.left, ['#2']);
  assert.deepStrictEqual(outcome.after, ['#2', '#3']);
});

same('broadcasts with an ack count and collect the same answers, and time out the same way', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 4; i++) {
    const c = await ctx.connected('/');
    // Client #2 never answers.
    if (i !== 2) c.on('ask', (n, cb) => cb(`#${i}:${n}`));
    cs.push(c);
  }
  const answers = await ctx.io.timeout(2000).emitWithAck('ask', 0).catch((err) => ['error', err.message]);
  const partial = await ctx.io.timeout(200).emitWithAck('ask', 1).then(
    () => 'resolved', (err) => [err.message, [...err.responses].sort()]);
  return { answers: Array.isArray(answers) ? answers.slice().sort() : answers, partial };
}, (outcome) => {
  assert.deepStrictEqual(outcome.partial, ['operation has timed out', ['#0:1', '#1:1', '#3:1']]);
});

same('a broadcast from an onAnyOutgoing listener, in the middle of a broadcast, arrives in stock order', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await ctx.connected('/'));
  const [s1] = [...ctx.io.of('/').sockets.values()].slice(1, 2);
  let once = true;
  s1.onAnyOutgoing((event) => {
    if (event === 'first' && once) {
      once = false;
      ctx.io.emit('nested');
    }
  });
  ctx.io.emit('first');
  ctx.io.emit('second');
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
});

same('dynamic namespaces: broadcasts from the parent and from each child reach the same clients', {}, async (ctx) => {
  const parent = ctx.io.of(/^\/dyn-\d+$/);
  parent.on('connection', (socket) => {
    if (socket.handshake.auth.rooms) socket.join(socket.handshake.auth.rooms);
  });
  const one = [await ctx.connected('/dyn-1', { rooms: ['r'] }), await ctx.connected('/dyn-1')];
  const two = [await ctx.connected('/dyn-2', { rooms: ['r'] }), await ctx.connected('/dyn-2')];
  parent.emit('p', 1);
  parent.to('r').emit('p', 2);
  ctx.io.of('/dyn-2').except('r').emit('c', 3);
  ctx.io.of('/dyn-1').to('r').emit('c', 4);
  await ctx.barrier(one, '/dyn-1');
  await ctx.barrier(two, '/dyn-2');
  return [...one, ...two].map((c) => ctx.got(c));
}, (outcome) => {
  assert.deepStrictEqual(outcome, [[['p', 1], ['p', 2], ['c', 4]], [['p', 1]], [['p', 1], ['p', 2]], [['p', 1], ['c', 3]]]);
});

/** socket.io-adapter's session-aware adapter, as an adapter class of the application's. */
class PlainSessionAdapter extends SessionAwareAdapter {}

same('connection state recovery on an accelerated SessionAwareAdapter: missed packets replayed, rooms restored', {
  connectionStateRecovery: { maxDisconnectionDuration: 60 * 1000 },
}, async (ctx) => {
  joinFromAuth(ctx.io);
  const stay = await ctx.connected('/', { rooms: ['news'] });
  const away = await ctx.connected('/', { rooms: ['news', 'sports'] });
  const firstId = away.id;
  ctx.io.to('news').emit('n', 1);
  await ctx.barrier([stay, away]);
  const serverSawIt = waitFor(ctx.io.of('/').sockets.get(firstId), 'disconnect');
  const clientSawIt = waitFor(away, 'disconnect');
  away.io.engine.close();
  await serverSawIt;
  await clientSawIt;
  ctx.io.to('news').emit('n', 2);
  ctx.io.to('sports').except('news').emit('n', 3);
  ctx.io.except('sports').emit('n', 4);
  ctx.io.to(firstId).emit('direct', 'while away');
  away.connect();
  await waitFor(away, 'connect');
  const rooms = [...ctx.io.of('/').sockets.get(away.id).rooms].map((r) => (r === away.id ? 'own' : r));
  ctx.io.to('sports').emit('n', 5);
  await ctx.barrier([stay, away]);
  // Stored packets carry their offset as a last argument (random: left out).
  const strip = (events) => events.map((e) => (e.length > 2 ? e.slice(0, -1) : e));
  return {
    sameId: away.id === firstId,
    recovered: away.recovered,
    rooms: rooms.sort(),
    away: strip(away.received.filter((e) => e[0] !== 'barrier')),
    stay: strip(stay.received.filter((e) => e[0] !== 'barrier')),
  };
}, (o) => {
  assert.strictEqual(o.recovered, true);
  assert.deepStrictEqual(o.rooms, ['news', 'own', 'sports']);
  assert.deepStrictEqual(o.away, [['n', 1], ['n', 2], ['direct', 'while away'], ['n', 5]]);
}, PlainSessionAdapter);

/**
 * A server on `factory` with `n` websocket clients, for the tests below.
 *
 * @param {any} factory
 * @param {number} n
 */
async function serverWith(factory, n = 2) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: factory });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = ioc(`http://127.0.0.1:${httpServer.address().port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    c.received = [];
    c.onAny((...args) => c.received.push(args));
    await waitFor(c, 'connect');
    clients.push(c);
  }
  return {
    io,
    clients,
    async close() {
      for (const c of clients) c.disconnect();
      await new Promise((resolve) => io.close(() => resolve()));
    },
  };
}

/** Warnings with accelerate()'s code emitted while `fn` runs (and the tick after). */
async function warningsDuring(fn) {
  const seen = [];
  const onWarning = (w) => {
    if (w.code === WARNING_CODE) seen.push(w);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('an accelerated adapter keeps its class, and writes broadcasts through the native fan-out', async () => {
  const srv = await serverWith(accelerate(PlainAdapter));
  try {
    const adapter = srv.io.of('/').adapter;
    assert.ok(adapter instanceof PlainAdapter);
    assert.strictEqual(adapter.constructor, PlainAdapter);
    const before = adapterStats(srv.io);
    srv.io.emit('hello', 1);
    await until(() => srv.clients.every((c) => c.received.length === 1), 'both clients got hello');
    const after = adapterStats(srv.io);
    if (!NATIVE) {
      // Without the addon, accelerate() hands the factory back as it is.
      assert.strictEqual(after.accelerated, undefined);
      assert.strictEqual(Object.getPrototypeOf(adapter.rooms), Map.prototype);
      return;
    }
    assert.strictEqual(after.accelerated, true);
    assert.strictEqual(after.sockets, 2);
    // A view of the native registry (a Map subclass), not socket.io-adapter's own Map.
    assert.notStrictEqual(Object.getPrototypeOf(adapter.rooms), Map.prototype, 'rooms live in the native registry');
    if (fanoutAvailable()) {
      assert.strictEqual(after.recipients - before.recipients, 2);
      assert.strictEqual(after.framesWritten - before.framesWritten, 2);
    }
  } finally {
    await srv.close();
  }
});

test('no class is modified: the same class stays plain for the adapters accelerate() did not make', async () => {
  const snapshot = (C) => Object.getOwnPropertyNames(C.prototype).map((n) => [n, Object.getOwnPropertyDescriptor(C.prototype, n).value]);
  const classes = [Adapter, ClusterAdapter, ClusterAdapterWithHeartbeat, PlainAdapter];
  const before = classes.map(snapshot);
  const protosBefore = classes.map((C) => Object.getPrototypeOf(C.prototype));
  const fast = await serverWith(accelerate(PlainAdapter), 1);
  const plain = await serverWith(PlainAdapter, 1);
  try {
    assert.deepStrictEqual(classes.map(snapshot), before);
    assert.deepStrictEqual(classes.map((C) => Object.getPrototypeOf(C.prototype)), protosBefore);
    const plainAdapter = plain.io.of('/').adapter;
    assert.strictEqual(Object.getPrototypeOf(plainAdapter), PlainAdapter.prototype);
    assert.strictEqual(Object.getPrototypeOf(plainAdapter.rooms), Map.prototype);
    assert.strictEqual(plainAdapter.rooms.size, 1);
    assert.strictEqual(adapterStats(plain.io).accelerated, undefined);
    plain.io.emit('plain');
    fast.io.emit('fast');
    await until(() => plain.clients[0].received.length === 1 && fast.clients[0].received.length === 1, 'both got theirs');
    assert.deepStrictEqual(plain.clients[0].received, [['plain']]);
    assert.deepStrictEqual(fast.clients[0].received, [['fast']]);
  } finally {
    await fast.close();
    await plain.close();
  }
});

/**
 * Runs a server on accelerate(factory) with two namespaces and returns what
 * it said: warnings, adapterStats() of both namespaces, and whether rooms
 * still work the adapter's own way.
 */
async function refused(factory) {
  let stats;
  let rooms;
  const warnings = await warningsDuring(async () => {
    const srv = await serverWith(accelerate(factory), 1);
    try {
      srv.io.of('/other');
      stats = [adapterStats(srv.io), adapterStats(srv.io.of('/other'))];
      const socket = [...srv.io.of('/').sockets.values()][0];
      socket.join('r');
      rooms = [...socket.rooms].length;
      srv.io.to('r').emit('in-r');
      await until(() => srv.clients[0].received.length === 1, 'the client got in-r');
    } finally {
      await srv.close();
    }
  });
  return { warnings, stats, rooms };
}

test('an adapter class that overrides membership stays unaccelerated, with one warning and the reason in adapterStats()', { skip: !NATIVE && 'accelerate() needs the addon' }, async () => {
  class OwnRooms extends Adapter {
    addAll(id, rooms) {
      super.addAll(id, rooms);
    }
  }
  const { warnings, stats, rooms } = await refused(OwnRooms);
  assert.strictEqual(warnings.length, 1);
  assert.match(warnings[0].message, /OwnRooms overrides addAll\(\)/);
  for (const s of stats) {
    assert.strictEqual(s.accelerated, false);
    assert.strictEqual(s.fanout, false);
    assert.match(s.reason, /addAll/);
  }
  assert.strictEqual(rooms, 2);
});

test('an adapter whose own methods call _encode() stays unaccelerated', { skip: !NATIVE && 'accelerate() needs the addon' }, async () => {
  class OwnBroadcast extends Adapter {
    broadcast(packet, opts) {
      packet.nsp = this.nsp.name;
      const encoded = this._encode(packet, {});
      this.apply(opts, (socket) => socket.client.writeToEngine(encoded, {}));
    }
  }
  const { warnings, stats } = await refused(OwnBroadcast);
  assert.strictEqual(warnings.length, 1);
  assert.match(stats[0].reason, /OwnBroadcast\.broadcast\(\) calls _encode\(\)/);
});

test('an adapter built on a second copy of socket.io-adapter stays unaccelerated', { skip: !NATIVE && 'accelerate() needs the addon' }, async () => {
  // A second copy, as a second node_modules/socket.io-adapter would load.
  const file = require.resolve('socket.io-adapter');
  const dir = require('node:path').dirname(file);
  const cached = Object.keys(require.cache).filter((k) => k.startsWith(dir));
  const saved = cached.map((k) => [k, require.cache[k]]);
  for (const k of cached) delete require.cache[k];
  let Other;
  try {
    Other = require('socket.io-adapter').Adapter;
  } finally {
    for (const k of Object.keys(require.cache)) if (k.startsWith(dir)) delete require.cache[k];
    for (const [k, m] of saved) require.cache[k] = m;
  }
  assert.notStrictEqual(Other, Adapter);
  const { warnings, stats } = await refused(Other);
  assert.strictEqual(warnings.length, 1);
  assert.match(stats[0].reason, /another copy of socket\.io-adapter/);
});

test('accelerate() validates its arguments, and hands back what it cannot wrap', async () => {
  assert.throws(() => accelerate(PlainAdapter, { flushBudget: 1 }), { code: 'ERR_SOCKET_IO_NATIVE_UNKNOWN_OPTION' });
  assert.throws(() => accelerate(PlainAdapter, 1), { code: 'ERR_INVALID_ARG_TYPE' });
  // socket.io given accelerate itself rather than accelerate(factory).
  assert.throws(() => new accelerate(), { code: 'ERR_SOCKET_IO_NATIVE_ADAPTER_NOT_CALLED' });
  const notAFactory = { not: 'a function' };
  let result;
  const warnings = await warningsDuring(() => {
    result = accelerate(notAFactory);
  });
  assert.strictEqual(result, notAFactory);
  if (NATIVE) {
    assert.strictEqual(warnings.length, 1);
    assert.match(warnings[0].message, /not a function/);
    assert.notStrictEqual(accelerate(PlainAdapter), PlainAdapter);
  } else {
    assert.strictEqual(warnings.length, 0);
    assert.strictEqual(accelerate(PlainAdapter), PlainAdapter);
  }
});
