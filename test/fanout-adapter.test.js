'use strict';

// The native fan-out inside NativeAdapter#broadcast, against real socket.io
// and socket.io-client over loopback: what clients observe matches stock
// (same() runs each scenario on both), and the native path's own promises
// hold: frames coalesce per turn, nothing is lost or reordered when a client
// stops reading, and bytes never reach another client while connections
// churn and descriptors are reused.

// A tiny flush budget, so that broadcasts here are also written over several
// event-loop iterations (the per-iteration flush then defers connections).
process.env.SOCKET_IO_NATIVE_FLUSH_BUDGET = '3';
// And registrations spread over turns: two per turn, so recipients of one
// broadcast are partly native, partly on the standard path until registered.
process.env.SOCKET_IO_NATIVE_REGISTRATION_BUDGET = '2';

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { Server } = require('socket.io');
const ioc = require('socket.io-client');
const { runBoth, waitFor, until } = require('./support/e2e');
const { createAdapter, parser } = require('../lib/index');
const { fanoutAvailable, connectionRegistry } = require('../lib/fanout/native-fanout');

const skip = fanoutAvailable() ? false : 'native fan-out not available';
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Defines a test that runs `scenario` on stock and on ours and expects the same outcome. */
function same(name, serverOpts, scenario, check) {
  test(name, { timeout: 120000 }, async () => {
    const { stock, ours } = await runBoth(serverOpts, scenario);
    assert.deepStrictEqual(ours, stock);
    if (check) check(stock);
  });
}

same('bursts of 1,000 broadcasts reach websocket, polling and upgraded clients complete and in order', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await ctx.connected('/'));
  await ctx.barrier(cs);
  for (let b = 0; b < 3; b++) {
    for (let k = 0; k < 1000; k++) ctx.io.emit('m', b * 1000 + k, k % 97 === 0 ? Buffer.from([k & 255]) : 'x'.repeat(k % 300));
    await turn();
  }
  await ctx.barrier(cs);
  return cs.map((c) => {
    const got = ctx.got(c);
    return { count: got.length, inOrder: got.every((e, i) => e[1] === i) };
  });
}, (outcome) => {
  for (const o of outcome) assert.deepStrictEqual(o, { count: 3000, inOrder: true });
});

same('onAnyOutgoing listeners fire for every recipient, and their writes keep stock order', {}, async (ctx) => {
  const seen = [];
  ctx.io.on('connection', (socket) => {
    if (socket.handshake.auth.i % 2 === 0) {
      socket.onAnyOutgoing((ev, n) => {
        seen.push([ctx.label(socket.id), ev, n]);
        if (ev === 'm' && n === 2) socket.emit('side', n);
      });
    }
  });
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  for (let n = 0; n < 4; n++) ctx.io.emit('m', n);
  await ctx.barrier(cs);
  return { seen: seen.filter((e) => e[1] !== 'barrier'), got: cs.map((c) => ctx.got(c)) };
});

same('volatile broadcasts are dropped as socket.io drops them', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 3; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  // The first volatile packet of an idle turn goes out; the ones behind a
  // write in the same turn find the transport busy.
  ctx.io.volatile.emit('v', 1);
  ctx.io.volatile.emit('v', 2);
  ctx.io.emit('v', 3);
  ctx.io.volatile.emit('v', 4);
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  for (const got of outcome) assert.deepStrictEqual(got, [['v', 1], ['v', 3]]);
});

same('volatile broadcasts from timers due at once all arrive, as in stock', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  // Node runs the nextTick queue between timer callbacks, and socket.io's
  // transport is writable again after it: each timer's packet goes out.
  await new Promise((resolve) => {
    for (let k = 0; k < 10; k++) setTimeout(() => ctx.io.volatile.emit('v', k), 5);
    setTimeout(resolve, 5);
  });
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  for (const got of outcome) assert.deepStrictEqual(got, Array.from({ length: 10 }, (_, k) => ['v', k]));
});

same('volatile packets around nextTick, microtasks, immediates and room broadcasts drop as in stock', {}, async (ctx) => {
  ctx.io.on('connection', (socket) => socket.join(`r${socket.handshake.auth.i % 2}`));
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  const steps = [
    () => {
      ctx.io.volatile.emit('a', 1);
      process.nextTick(() => ctx.io.volatile.emit('a', 2));
    },
    () => {
      process.nextTick(() => ctx.io.volatile.emit('b', 1));
      ctx.io.emit('b', 2);
      process.nextTick(() => ctx.io.volatile.emit('b', 3));
    },
    () => {
      ctx.io.volatile.emit('c', 1);
      queueMicrotask(() => ctx.io.volatile.emit('c', 2));
      Promise.resolve().then(() => ctx.io.volatile.emit('c', 3));
    },
    () => {
      ctx.io.to('r0').emit('d', 1);
      ctx.io.volatile.emit('d', 2);
      ctx.io.to('r1').volatile.emit('d', 3);
      ctx.io.except('r0').volatile.emit('d', 4);
    },
    () => {
      ctx.io.volatile.emit('e', 1);
      setImmediate(() => ctx.io.volatile.emit('e', 2));
    },
  ];
  for (const step of steps) {
    await new Promise((resolve) => setTimeout(() => {
      step();
      setTimeout(resolve, 20);
    }, 1));
    await ctx.barrier(cs);
  }
  return cs.map((c) => ctx.got(c));
});

same('volatile relays from client handlers reach every other client, as in stock', {}, async (ctx) => {
  ctx.io.on('connection', (socket) => {
    socket.on('say', (n, done) => {
      socket.volatile.broadcast.emit('heard', socket.handshake.auth.i, n);
      done();
    });
  });
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  // One message per client per round, so no client's messages share a read.
  for (let round = 0; round < 20; round++) {
    await Promise.all(cs.map((c) => c.timeout(5000).emitWithAck('say', round)));
  }
  await ctx.barrier(cs);
  // Which sender's relay a client hears first in a round is a race of
  // independent connections; what arrives is not.
  return cs.map((c) => ctx.got(c).map((e) => `${e[1]}:${e[2]}`).sort());
}, (outcome) => {
  for (const heard of outcome) assert.strictEqual(heard.length, 5 * 20);
});

same('Engine.IO protocol 3 clients (allowEIO3) get binary broadcasts with their type byte, as in stock', { allowEIO3: true }, async (ctx) => {
  const WebSocket = require('ws');
  const frames = [];
  const ws = new WebSocket(`${ctx.url.replace('http', 'ws')}/socket.io/?EIO=3&transport=websocket`);
  ws.on('message', (data, isBinary) => frames.push(isBinary ? `bin:${data.toString('hex')}` : `text:${data}`));
  // A v2 client is connected to "/" as soon as the handshake is done.
  await until(() => frames.some((f) => f === 'text:40'), 'v2 connect');
  await until(() => ctx.io.of('/').sockets.size === 1, 'socket');
  for (let k = 0; k < 3; k++) {
    ctx.io.emit('b', Buffer.from([1, 2, k]), 'x');
    ctx.io.emit('t', k);
    await turn();
  }
  ctx.io.emit('end');
  await until(() => frames.some((f) => f.includes('"end"')), 'end');
  ws.close();
  // The open packet carries a random session id.
  return frames.filter((f) => !f.startsWith('text:0') && f !== 'text:2' && f !== 'text:3');
}, (frames) => {
  assert.ok(frames.includes('bin:04010200'), `no protocol-3 binary frame in ${frames}`);
});

same('volatile broadcasts from two timers of one loop iteration both go out, as in stock', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 3; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  // Timers due together run in one timers phase, with the nextTick queue
  // (where ws calls back and engine.io's transport turns writable again)
  // run between them: two turns, one loop iteration, one native flush.
  await new Promise((resolve) => {
    setTimeout(() => ctx.io.volatile.emit('v', 1), 1);
    setTimeout(() => {
      ctx.io.volatile.emit('v', 2);
      ctx.io.volatile.emit('v', 3);
      resolve();
    }, 1);
  });
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  for (const got of outcome) assert.deepStrictEqual(got, [['v', 1], ['v', 2]]);
});

same('engine.io packetCreate, flush and drain listeners see every packet, as in stock', {}, async (ctx) => {
  const seen = {};
  const note = (key) => { seen[key] = (seen[key] || 0) + 1; };
  ctx.io.on('connection', (socket) => {
    const who = ctx.label(socket.id);
    const i = socket.handshake.auth.i;
    // Some connections watched per connection, one per event; the others not.
    if (i % 4 === 0) socket.conn.on('packetCreate', (packet) => note(`${who} packetCreate ${packet.type}`));
    if (i % 4 === 1) socket.conn.on('flush', (buffer) => note(`${who} flush ${buffer.length}`));
    if (i % 4 === 2) socket.conn.on('drain', () => note(`${who} drain`));
  });
  const cs = [];
  for (let i = 0; i < 8; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  for (const k of Object.keys(seen)) delete seen[k];
  for (let n = 0; n < 20; n++) {
    ctx.io.emit('m', n);
    if (n % 5 === 4) await turn();
  }
  await ctx.barrier(cs);
  // A server-wide flush listener: every connection is watched.
  const ids = new Map([...ctx.io.of('/').sockets.values()].map((s) => [s.conn.id, ctx.label(s.id)]));
  const onServerFlush = (conn) => note(`${ids.get(conn.id)} server flush`);
  ctx.io.engine.on('flush', onServerFlush);
  for (let n = 20; n < 25; n++) ctx.io.emit('m', n);
  await ctx.barrier(cs);
  ctx.io.engine.off('flush', onServerFlush);
  return { got: cs.map((c) => ctx.got(c)), seen: Object.entries(seen).sort() };
});

same('packetCreate, flush and drain listeners added and removed after registration are followed, as in stock', {}, async (ctx) => {
  const seen = {};
  const note = (key) => { seen[key] = (seen[key] || 0) + 1; };
  const cs = [];
  for (let i = 0; i < 8; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  await ctx.barrier(cs);
  const sockets = () => [...ctx.io.of('/').sockets.values()];
  const who = (socket) => ctx.label(socket.id);
  // Every connection registered (two per turn in this file) and native.
  for (let n = 0; n < 10; n++) {
    ctx.io.emit('w', n);
    await turn();
  }
  await ctx.barrier(cs);
  const events = () => ctx.io.of('/').adapter.stats().standardPath.events;
  let before = 0;
  if (ctx.kind === 'ours' && skip === false) {
    assert.strictEqual(ctx.io.of('/').adapter.stats().connections, 8);
    before = events();
  }
  const emit = async (from, to) => {
    for (let n = from; n < to; n++) {
      ctx.io.emit('m', n);
      if (n % 3 === 2) await turn();
    }
    await ctx.barrier(cs);
  };
  // Listeners added to registered connections, in every way EventEmitter adds them.
  const listeners = new Map();
  for (const socket of sockets()) {
    const i = socket.handshake.auth.i;
    const onPacket = (packet) => note(`${who(socket)} packetCreate ${packet.type}`);
    const onFlush = (buffer) => note(`${who(socket)} flush ${buffer.length}`);
    const onDrain = () => note(`${who(socket)} drain`);
    if (i % 4 === 0) socket.conn.on('packetCreate', onPacket);
    if (i % 4 === 1) socket.conn.once('flush', onFlush);
    if (i % 4 === 2) socket.conn.prependListener('drain', onDrain);
    listeners.set(socket, { onPacket, onFlush, onDrain });
  }
  await turn();
  await emit(0, 6);
  if (ctx.kind === 'ours' && skip === false) {
    // Three of every four connections took the standard path (the once()
    // listener only until it fired), the fourth stayed native.
    assert.ok(events() > before, 'no recipient took the standard path for its listeners');
  }
  // Removed again: those connections are native again, and nobody sees more.
  for (const [socket, { onPacket }] of listeners) {
    socket.conn.off('packetCreate', onPacket);
    socket.conn.removeAllListeners('drain');
  }
  await turn();
  const quiet = ctx.kind === 'ours' && skip === false ? events() : 0;
  await emit(6, 12);
  if (ctx.kind === 'ours' && skip === false) {
    // Only the barrier's recipients may count: engine.io's own drain
    // listeners are gone with removeAllListeners, nothing else listens.
    assert.strictEqual(events(), quiet, 'connections whose listeners were removed stayed on the standard path');
  }
  // Removing every newListener listener (ours among them on our side) must
  // not hide a flush listener added afterwards.
  const [first] = sockets();
  first.conn.removeAllListeners('newListener');
  first.conn.on('flush', (buffer) => note(`${who(first)} late flush ${buffer.length}`));
  await turn();
  await emit(12, 15);
  // A server-wide drain listener, prepended and removed.
  const onServerDrain = (conn) => note(`server drain ${sockets().some((s) => s.conn === conn)}`);
  ctx.io.engine.prependListener('drain', onServerDrain);
  await turn();
  await emit(15, 18);
  ctx.io.engine.removeListener('drain', onServerDrain);
  await turn();
  await emit(18, 21);
  return { got: cs.map((c) => ctx.got(c)), seen: Object.entries(seen).sort() };
}, (outcome) => {
  assert.ok(outcome.seen.some(([key]) => key.includes('late flush')), 'the late flush listener saw nothing');
  assert.ok(outcome.seen.some(([key]) => key.startsWith('server drain')), 'the server drain listener saw nothing');
});

same('direct emits, acks of broadcastWithAck and broadcasts interleave as in stock', {}, async (ctx) => {
  ctx.io.on('connection', (socket) => socket.on('ask', (n, cb) => cb(n)));
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  for (const c of cs) c.on('q', (n, cb) => cb(`a${n}`));
  await ctx.barrier(cs);
  const replies = [];
  for (let n = 0; n < 30; n++) {
    if (n % 7 === 3) ctx.io.timeout(2000).emit('q', n, (err, r) => replies.push([n, err ? 'err' : r.length]));
    else if (n % 5 === 1) [...ctx.io.of('/').sockets.values()][n % 4].emit('d', n);
    else ctx.io.emit('m', n);
    if (n % 4 === 0) await turn();
  }
  await until(() => replies.length === 4, 'acks');
  await ctx.barrier(cs);
  const plain = (events) => events.map((e) => e.filter((x) => typeof x !== 'function'));
  return { replies, got: cs.map((c) => plain(ctx.got(c))) };
});

/** A server with this package's adapter and parser. */
async function nativeServer() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(), parser });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { io, url: `http://127.0.0.1:${httpServer.address().port}` };
}

function connect(url, opts = {}) {
  return ioc(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...opts });
}

test('broadcasts in one turn reach each connection in one write', { skip, timeout: 60000 }, async () => {
  const { io, url } = await nativeServer();
  const cs = [];
  for (let i = 0; i < 5; i++) {
    const c = connect(url);
    await waitFor(c, 'connect');
    cs.push(c);
  }
  const got = cs.map(() => []);
  cs.forEach((c, i) => c.on('m', (n) => got[i].push(n)));
  // An idle start: the connect packets were acknowledged, and every
  // connection registered (a few per turn, by this file's budget).
  const adapter = io.of('/').adapter;
  let warm = 0;
  for (; warm < 20 && (warm === 0 || adapter.stats().connections < 5); warm++) {
    io.emit('m', -1);
    await turn();
  }
  await until(() => got.every((g) => g.length === warm), 'first');
  const before = adapter.stats();
  for (let n = 0; n < 10; n++) io.emit('m', n);
  await until(() => got.every((g) => g.length === warm + 10), 'burst');
  const after = adapter.stats();
  assert.strictEqual(after.framesWritten - before.framesWritten, 50);
  assert.strictEqual(after.writes - before.writes, 5);
  assert.strictEqual(after.coalescedWrites - before.coalescedWrites, 5);
  assert.strictEqual(after.connections, 5);
  for (const g of got) assert.deepStrictEqual(g, [...Array(warm).fill(-1), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const c of cs) c.disconnect();
  io.close();
  await until(() => io.of('/').adapter.stats().connections === 0, 'unregistered');
});

test('a client that stops reading gets every frame in order once it resumes', { skip, timeout: 120000 }, async () => {
  const { io, url } = await nativeServer();
  const slow = connect(url);
  const fast = connect(url);
  await Promise.all([waitFor(slow, 'connect'), waitFor(fast, 'connect')]);
  const gotSlow = [];
  const gotFast = [];
  slow.on('m', (n) => gotSlow.push(n));
  fast.on('m', (n) => gotFast.push(n));
  slow.on('d', (n) => gotSlow.push(n));
  io.emit('m', -1, '');
  await until(() => gotSlow.length === 1 && gotFast.length === 1, 'idle start');
  const slowServer = io.of('/').sockets.get(slow.id);
  // The client's net.Socket stops reading: the kernel buffers fill up.
  const rawClient = slow.io.engine.transport.ws._socket;
  rawClient.pause();
  const before = io.of('/').adapter.stats();
  const pad = 'p'.repeat(32 * 1024);
  let n = 0;
  let broadcasts = 0;
  // Broadcasts only, until a native write finds the kernel buffers full
  // (bounded: 64 MB at most); then direct emits and broadcasts mixed, which
  // queue behind the remainder.
  for (let t = 0; t < 500 && io.of('/').adapter.stats().handedPartial === before.handedPartial; t++) {
    for (let k = 0; k < 4; k++, broadcasts++) io.emit('m', n++, pad);
    await turn();
  }
  for (let t = 0; t < 40; t++) {
    for (let k = 0; k < 5; k++) {
      if (k === 2) slowServer.emit('d', n++);
      else {
        io.emit('m', n++, pad);
        broadcasts++;
      }
    }
    await turn();
  }
  await until(() => gotFast.length === 1 + broadcasts, 'fast client');
  const stalled = io.of('/').adapter.stats();
  assert.ok(stalled.handedPartial > before.handedPartial, 'the socket buffer never filled');
  assert.ok(stalled.handedBusy > before.handedBusy, 'no broadcast took the standard path');
  rawClient.resume();
  await until(() => gotSlow.length === 1 + n, 'slow client');
  assert.deepStrictEqual(gotSlow, [-1, ...Array.from({ length: n }, (_, i) => i)]);
  // Drained: broadcasts take the native path again.
  await until(() => {
    io.emit('m', n++, '');
    return io.of('/').adapter.stats().framesWritten > stalled.framesWritten + 1;
  }, 'native again');
  slow.disconnect();
  fast.disconnect();
  io.close();
});

test('churn: hundreds of clients come and go while broadcasting; each gets only its own frames', { skip, timeout: 180000 }, async (t) => {
  const { io, url } = await nativeServer();
  // Every newcomer registers at its first broadcast here (no per-turn
  // budget), so that descriptor numbers are reused by registered connections.
  const registry = connectionRegistry();
  const budget = registry.registrationBudget;
  registry.registrationBudget = Infinity;
  registry.registrationsLeft = Infinity;
  t.after(() => {
    registry.registrationBudget = budget;
    registry.registrationsLeft = budget;
  });
  io.on('connection', (socket) => socket.join(socket.handshake.auth.group));
  const live = new Set();
  const problems = [];
  let opened = 0;
  let seq = 0;
  const open = () => {
    const me = opened++;
    const group = `g${me % 7}`;
    const c = connect(url, { auth: { me, group } });
    const state = { own: -1, all: -1, group: -1, count: 0 };
    c.on('own', (who, k) => {
      if (who !== me) problems.push(`client ${me} got a frame for ${who}`);
      if (k <= state.own) problems.push(`client ${me}: own ${k} after ${state.own}`);
      state.own = k;
      state.count++;
    });
    c.on('group', (g, s) => {
      if (g !== group) problems.push(`client ${me} (${group}) got group ${g}`);
      if (s <= state.group) problems.push(`client ${me}: group ${s} after ${state.group}`);
      state.group = s;
      state.count++;
    });
    c.on('all', (s) => {
      if (s <= state.all) problems.push(`client ${me}: all ${s} after ${state.all}`);
      state.all = s;
      state.count++;
    });
    c.on('connect_error', (err) => problems.push(`client ${me}: ${err.message}`));
    c.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') problems.push(`client ${me} disconnected: ${reason}`);
    });
    live.add(c);
    return waitFor(c, 'connect');
  };
  const opening = [];
  for (let i = 0; i < 50; i++) opening.push(open());
  await Promise.all(opening);
  for (let round = 0; round < 120; round++) {
    // Some leave, some arrive: freed descriptors are handed to newcomers.
    let k = 0;
    for (const c of live) {
      if (k++ % 9 !== round % 9 || !c.connected) continue;
      c.disconnect();
      live.delete(c);
    }
    // Two wait for their connection, two are still connecting during the broadcasts.
    await Promise.all([open(), open()]);
    // (Disconnected before connecting, they never get "connect".)
    open().catch(() => {});
    open().catch(() => {});
    for (const socket of io.of('/').sockets.values()) io.to(socket.id).emit('own', socket.handshake.auth.me, seq);
    io.to(`g${round % 7}`).emit('group', `g${round % 7}`, seq);
    io.emit('all', seq);
    seq++;
    await turn();
  }
  assert.ok(opened >= 500);
  for (const c of live) c.disconnect();
  const stats = io.of('/').adapter.stats();
  assert.ok(stats.framesWritten > 0, 'nothing took the native path');
  assert.ok(stats.registered > 300, `only ${stats.registered} connections registered`);
  io.close();
  await until(() => io.of('/').adapter.stats().connections === 0, 'all unregistered');
  assert.deepStrictEqual(problems, []);
});

test('stats count every recipient of every broadcast once, with the reason it took the standard path', { skip, timeout: 60000 }, async () => {
  const { io, url } = await nativeServer();
  const polling = [];
  for (let i = 0; i < 3; i++) {
    const c = connect(url, { transports: ['polling'] });
    await waitFor(c, 'connect');
    c.on('q', (cb) => cb('ok'));
    polling.push(c);
  }
  const adapter = io.of('/').adapter;
  const diff = (a, b) => ({
    broadcasts: b.broadcasts - a.broadcasts,
    recipients: b.recipients - a.recipients,
    nativeRecipients: b.nativeRecipients - a.nativeRecipients,
    standardPath: Object.fromEntries(Object.keys(b.standardPath).map((k) => [k, b.standardPath[k] - a.standardPath[k]])),
  });
  let before = adapter.stats();
  let got = 0;
  polling.forEach((c) => c.on('m', () => got++));
  for (let n = 0; n < 30; n++) io.emit('m', n);
  await until(() => got === 90, 'polling deliveries');
  assert.deepStrictEqual(diff(before, adapter.stats()), {
    broadcasts: 30,
    recipients: 90,
    nativeRecipients: 0,
    standardPath: { ack: 0, encoding: 0, listeners: 0, events: 0, unregistered: 90 },
  });
  // Websocket clients, one with an onAnyOutgoing listener, and an ack broadcast.
  const ws = [];
  for (let i = 0; i < 2; i++) {
    const c = connect(url);
    await waitFor(c, 'connect');
    c.on('q', (cb) => cb('ok'));
    ws.push(c);
  }
  [...io.of('/').sockets.values()].find((s) => s.conn.transport.name === 'websocket').onAnyOutgoing(() => {});
  before = adapter.stats();
  io.emit('m', 'x');
  await io.timeout(5000).emitWithAck('q');
  const d = diff(before, adapter.stats());
  assert.strictEqual(d.broadcasts, 2);
  assert.strictEqual(d.recipients, 10);
  assert.deepStrictEqual(d.standardPath, { ack: 5, encoding: 0, listeners: 1, events: 0, unregistered: 3 });
  assert.strictEqual(d.recipients, d.nativeRecipients + Object.values(d.standardPath).reduce((x, y) => x + y, 0));
  for (const c of [...polling, ...ws]) c.disconnect();
  io.close();
  await until(() => adapter.stats().connections === 0, 'unregistered');
});

test('permessage-deflate and polling connections keep the standard path', { skip, timeout: 60000 }, async () => {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(), parser, perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  const deflate = connect(url);
  const polling = connect(url, { transports: ['polling'] });
  await Promise.all([waitFor(deflate, 'connect'), waitFor(polling, 'connect')]);
  const got = [[], []];
  deflate.on('m', (n) => got[0].push(n));
  polling.on('m', (n) => got[1].push(n));
  const before = io.of('/').adapter.stats();
  for (let n = 0; n < 20; n++) io.emit('m', n);
  await until(() => got[0].length === 20 && got[1].length === 20, 'delivered');
  const after = io.of('/').adapter.stats();
  assert.strictEqual(after.framesQueued, before.framesQueued);
  assert.ok(after.refused.deflate >= 1);
  for (const g of got) assert.deepStrictEqual(g, Array.from({ length: 20 }, (_, i) => i));
  deflate.disconnect();
  polling.disconnect();
  io.close();
});
