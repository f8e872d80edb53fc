'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { runBoth, waitFor, until } = require('./support/e2e');

/**
 * Defines a test that runs `scenario` with both adapters and expects the
 * same outcome; `check` (optional) asserts on that outcome.
 */
function same(name, serverOpts, scenario, check) {
  test(name, async () => {
    const { stock, ours } = await runBoth(serverOpts, scenario);
    assert.deepStrictEqual(ours, stock);
    if (check) check(stock);
  });
}

/** Rooms joined on connection, from the client's auth. */
function joinFromAuth(io, nsp = '/') {
  io.of(nsp).on('connection', (socket) => {
    if (socket.handshake.auth.rooms) socket.join(socket.handshake.auth.rooms);
  });
}

same('to/in/except and unions reach each client once', {}, async (ctx) => {
  joinFromAuth(ctx.io);
  const plan = [['a'], ['a', 'b'], ['b'], ['b', 'c'], ['c'], []];
  const cs = [];
  for (const rooms of plan) cs.push(await ctx.connected('/', { rooms }));
  const io = ctx.io;
  io.to('a').emit('m', 1);
  io.to(['a', 'b']).emit('m', 2);
  io.in('b').to('c').except('a').emit('m', 3);
  io.except(['b', 'c']).emit('m', 4);
  io.to('nobody').emit('m', 5);
  io.to('a').to('nobody').emit('m', 6);
  io.emit('m', 7);
  io.to(['a', 'b', 'c']).except('nobody').emit('m', 8);
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  assert.deepStrictEqual(outcome[1], [['m', 1], ['m', 2], ['m', 4], ['m', 6], ['m', 7], ['m', 8]].filter((e) => e[1] !== 4));
  assert.deepStrictEqual(outcome[5], [['m', 4], ['m', 7]]);
});

same('socket.broadcast and socket.to skip the sender', {}, async (ctx) => {
  joinFromAuth(ctx.io);
  ctx.io.on('connection', (socket) => {
    socket.on('shout', (n) => socket.broadcast.emit('heard', n));
    socket.on('whisper', (room, n) => socket.to(room).emit('heard', room, n));
  });
  const cs = [];
  for (const rooms of [['r'], ['r'], [], ['r']]) cs.push(await ctx.connected('/', { rooms }));
  cs[0].emit('shout', 1);
  cs[1].emit('whisper', 'r', 2);
  await until(() => cs[0].received.length >= 1 && cs[3].received.length >= 2, 'heard');
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
});

same('numeric room names stay numbers and differ from strings', {}, async (ctx) => {
  ctx.io.on('connection', (socket) => {
    socket.join(socket.handshake.auth.i === 0 ? 42 : '42');
  });
  const cs = [await ctx.connected(), await ctx.connected()];
  const adapter = ctx.io.of('/').adapter;
  const facts = {
    num: adapter.rooms.has(42),
    str: adapter.rooms.has('42'),
    numSize: adapter.rooms.get(42).size,
    rooms: [...(await ctx.io.in(42).fetchSockets())].map((s) => [...s.rooms].map((r) => ctx.label(r))),
  };
  ctx.io.to(42).emit('m', 'num');
  ctx.io.to('42').emit('m', 'str');
  await ctx.barrier(cs);
  return { facts, got: cs.map((c) => ctx.got(c)) };
});

same('dynamic namespaces (regex and function parents) and of()', {}, async (ctx) => {
  const io = ctx.io;
  const rx = io.of(/^\/dyn-\d+$/);
  const fn = io.of((name, auth, next) => next(null, name.startsWith('/fn-')));
  for (const parent of [rx, fn]) {
    parent.on('connection', (socket) => {
      ctx.checkAdapter(socket.nsp);
      socket.join('room');
    });
  }
  const cs = [
    await ctx.connected('/dyn-1'), await ctx.connected('/dyn-2'),
    await ctx.connected('/fn-a'), await ctx.connected('/fn-a'),
  ];
  const bad = ctx.connect('/nope');
  const [err] = await waitFor(bad, 'connect_error');
  rx.emit('m', 'all regex children');
  rx.to('room').emit('m', 'regex room');
  io.of('/fn-a').to('room').emit('m', 'fn-a room');
  fn.emit('m', 'all fn children');
  await until(() => cs.every((c) => c.received.length >= 2), 'dynamic deliveries');
  for (const c of cs) {
    const seen = waitFor(c, 'barrier');
    io.of(c.nsp).emit('barrier');
    await seen;
  }
  const sizes = ['/dyn-1', '/dyn-2', '/fn-a'].map((n) => io.of(n).adapter.rooms.get('room').size);
  return { err: err.message, got: cs.map((c) => ctx.got(c)), sizes };
});

same('broadcast with acks: responses and the timeout error', {}, async (ctx) => {
  ctx.io.on('connection', (socket) => socket.join(socket.handshake.auth.rooms || []));
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await ctx.connected('/', { rooms: i < 3 ? ['acking'] : [] }));
  cs.forEach((c, i) => c.on('q', (n, cb) => { if (i !== 2) cb(`${i}:${n}`); }));
  const all = await new Promise((resolve) => {
    ctx.io.to('acking').except('nobody').timeout(2000).emit('q', 'x', (err, res) => resolve([err && err.message, res]));
  });
  const partial = await new Promise((resolve) => {
    ctx.io.timeout(1500).emit('q', 'y', (err, res) => resolve([err && err.message, res]));
  });
  const answered = await new Promise((resolve) => {
    ctx.io.except('acking').timeout(2000).emit('q', 'z', (err, res) => resolve([err && err.message, res]));
  });
  const sort = ([e, r]) => [e, [...r].sort()];
  return { all: sort(all), partial: sort(partial), answered: sort(answered) };
}, (o) => {
  assert.strictEqual(o.partial[0], 'operation has timed out');
  assert.deepStrictEqual(o.answered, [null, ['3:z']]);
});

same('middleware errors reach the client, no rooms are left behind', {}, async (ctx) => {
  ctx.io.use((socket, next) => {
    if (socket.handshake.auth.token !== 'ok') {
      const err = new Error('not authorized');
      err.data = { reason: 'token' };
      return next(err);
    }
    next();
  });
  const good = await ctx.connected('/', { token: 'ok' });
  const bad = ctx.connect('/', { token: 'no' });
  const [err] = await waitFor(bad, 'connect_error');
  const adapter = ctx.io.of('/').adapter;
  return { message: err.message, data: err.data, rooms: adapter.rooms.size, sids: adapter.sids.size, ok: good.connected };
});

same('fetchSockets, socketsJoin, socketsLeave, disconnectSockets', {}, async (ctx) => {
  joinFromAuth(ctx.io);
  const cs = [];
  for (const rooms of [['a'], ['a', 'b'], ['b'], ['c'], []]) cs.push(await ctx.connected('/', { rooms }));
  const io = ctx.io;
  const ids = async (op) => (await op.fetchSockets()).map((s) => ctx.label(s.id));
  const out = {};
  out.fetchA = await ids(io.in('a'));
  out.fetchAll = await ids(io);
  out.fetchUnion = await ids(io.in(['b', 'a']).except('c'));
  io.in('a').socketsJoin(['j', 'k']);
  io.except('a').socketsJoin('other');
  out.fetchJ = await ids(io.in('j'));
  out.fetchOther = await ids(io.in('other'));
  io.in('b').socketsLeave('j');
  out.fetchJ2 = await ids(io.in('j'));
  out.rooms = (await io.in('a').fetchSockets()).map((s) => [...s.rooms].map((r) => ctx.label(r)));
  out.allSockets = [...(await io.allSockets())].map((id) => ctx.label(id));
  const gone = ['disconnect', 'disconnect'].map((ev, i) => waitFor(cs[i], ev));
  io.in('a').disconnectSockets();
  out.reasons = (await Promise.all(gone)).map((a) => a[0]);
  const closed = waitFor(cs[3], 'disconnect');
  io.in('c').disconnectSockets(true);
  out.closeReason = (await closed)[0];
  out.after = await ids(io);
  const adapter = io.of('/').adapter;
  out.jRoom = adapter.rooms.has('j');
  return out;
});

same('volatile packets reach idle websocket clients', {}, async (ctx) => {
  const cs = [];
  for (let i = 0; i < 3; i++) cs.push(await ctx.connected('/', {}, { transports: ['websocket'] }));
  // Every earlier write is acknowledged by its client: the transports are idle.
  await ctx.barrier(cs);
  ctx.io.volatile.emit('v', 1);
  ctx.io.compress(false).emit('v', 2);
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
});

same('binary attachments', {}, async (ctx) => {
  joinFromAuth(ctx.io);
  const cs = [];
  for (let i = 0; i < 3; i++) cs.push(await ctx.connected('/', { rooms: ['bin'] }));
  ctx.io.to('bin').emit('b', Buffer.from([1, 2, 3]), { nested: Buffer.from('xyz'), n: 1 });
  await ctx.barrier(cs);
  return cs.map((c) => c.received.filter((e) => e[0] === 'b').map(([ev, a, b]) =>
    [ev, Buffer.from(a).toString('hex'), Buffer.from(b.nested).toString(), b.n]));
});

same('adapter events: order and arguments', {}, async (ctx) => {
  const events = [];
  const adapter = ctx.io.of('/').adapter;
  for (const ev of ['create-room', 'join-room', 'leave-room', 'delete-room']) {
    adapter.on(ev, (...args) => events.push([ev, ...args]));
  }
  ctx.io.on('connection', (socket) => {
    socket.join(['x', 'y']);
    socket.on('leave', (room, cb) => { socket.leave(room); cb(); });
  });
  const a = await ctx.connected();
  const b = await ctx.connected();
  await a.timeout(2000).emitWithAck('leave', 'x');
  await b.timeout(2000).emitWithAck('leave', 'y');
  const gone = waitFor(a, 'disconnect');
  const serverGone = new Promise((resolve) => ctx.io.of('/').sockets.forEach((s) => {
    if (ctx.label(s.id) === '#0') s.on('disconnect', resolve);
  }));
  a.disconnect();
  await Promise.all([gone, serverGone]);
  // Socket ids are random: compare with labels.
  return events.map((e) => ctx.label(e));
}, (events) => {
  assert.deepStrictEqual(events.slice(0, 6), [
    ['create-room', '#0'], ['join-room', '#0', '#0'],
    ['create-room', 'x'], ['join-room', 'x', '#0'],
    ['create-room', 'y'], ['join-room', 'y', '#0'],
  ]);
  // #0 left x earlier and #1 left y: disconnecting #0 empties its own room and y.
  assert.deepStrictEqual(events.slice(-4), [
    ['leave-room', '#0', '#0'], ['delete-room', '#0'], ['leave-room', 'y', '#0'], ['delete-room', 'y'],
  ]);
});

same('cleanup on disconnect leaves rooms and sids empty', {}, async (ctx) => {
  joinFromAuth(ctx.io);
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await ctx.connected('/', { rooms: ['a', `r${i}`, 7] }));
  const adapter = ctx.io.of('/').adapter;
  const before = { rooms: adapter.rooms.size, sids: adapter.sids.size, a: adapter.rooms.get('a').size };
  for (const c of cs) c.disconnect();
  await until(() => ctx.io.of('/').sockets.size === 0, 'all sockets gone');
  return { before, after: { rooms: adapter.rooms.size, sids: adapter.sids.size, keys: [...adapter.rooms.keys()] } };
}, (o) => {
  assert.deepStrictEqual(o.before, { rooms: 6 + 6 + 2, sids: 6, a: 6 });
  assert.deepStrictEqual(o.after, { rooms: 0, sids: 0, keys: [] });
});

const recovery = { connectionStateRecovery: { maxDisconnectionDuration: 60 * 1000 } };

same('connection state recovery: missed packets replayed, rooms restored', recovery, async (ctx) => {
  joinFromAuth(ctx.io);
  const stay = await ctx.connected('/', { rooms: ['news'] });
  const away = await ctx.connected('/', { rooms: ['news', 'sports'] });
  const firstId = away.id;
  ctx.io.to('news').emit('n', 1);
  ctx.io.to(firstId).emit('direct', 'before');
  await ctx.barrier([stay, away]);
  const serverSocket = ctx.io.of('/').sockets.get(firstId);
  const serverSawIt = waitFor(serverSocket, 'disconnect');
  const clientSawIt = waitFor(away, 'disconnect');
  away.io.engine.close();
  const [reason] = await serverSawIt;
  await clientSawIt;
  ctx.io.to('news').emit('n', 2);
  ctx.io.to('sports').except('news').emit('n', 3);
  ctx.io.to('sports').emit('n', 4);
  ctx.io.except('sports').emit('n', 5);
  ctx.io.to(firstId).emit('direct', 'while away');
  ctx.io.volatile.emit('n', 'volatile');
  away.connect();
  await waitFor(away, 'connect');
  const recoveredSocket = ctx.io.of('/').sockets.get(away.id);
  const rooms = [...recoveredSocket.rooms].map((r) => (r === away.id ? 'own' : r));
  ctx.io.to('sports').emit('n', 6);
  await ctx.barrier([stay, away]);
  // Stored packets carry their offset as a last argument; every event here
  // has one payload argument, so a third element is the offset.
  const strip = (events) => events.map((e) => (e.length > 2 ? e.slice(0, -1) : e));
  return {
    reason,
    sameId: away.id === firstId,
    recovered: away.recovered,
    rooms: rooms.sort(),
    away: strip(away.received.filter((e) => e[0] !== 'barrier')),
    stay: strip(stay.received.filter((e) => e[0] !== 'barrier')),
  };
}, (o) => {
  assert.strictEqual(o.recovered, true);
  assert.strictEqual(o.sameId, true);
  assert.deepStrictEqual(o.rooms, ['news', 'own', 'sports']);
  assert.deepStrictEqual(o.away, [['n', 1], ['direct', 'before'], ['n', 2], ['n', 4], ['direct', 'while away'], ['n', 6]]);
});

same('connection state recovery: expired sessions are not restored', {
  connectionStateRecovery: { maxDisconnectionDuration: 1 },
}, async (ctx) => {
  joinFromAuth(ctx.io);
  const away = await ctx.connected('/', { rooms: ['news'] });
  ctx.io.to('news').emit('n', 1);
  await ctx.barrier([away]);
  const firstId = away.id;
  const serverSawIt = waitFor(ctx.io.of('/').sockets.get(firstId), 'disconnect');
  away.io.engine.close();
  await serverSawIt;
  ctx.io.to('news').emit('n', 2);
  // The session expires after 1 ms; wait until it is strictly in the past.
  const persistedAt = Date.now();
  await until(() => Date.now() > persistedAt + 2, 'session expiry');
  away.connect();
  await waitFor(away, 'connect');
  const socket = ctx.io.of('/').sockets.get(away.id);
  return { recovered: away.recovered, sameId: away.id === firstId, rooms: socket.rooms.size };
}, (o) => {
  assert.deepStrictEqual(o, { recovered: false, sameId: false, rooms: 2 }); // own id + news, joined anew
});

same('connection state recovery: server-to-client emits with acks and static namespaces', recovery, async (ctx) => {
  const admin = ctx.io.of('/admin');
  admin.on('connection', (socket) => socket.join('staff'));
  ctx.io.on('connection', (socket) => {
    socket.on('ask', async (cb) => cb(await socket.timeout(2000).emitWithAck('question', 'q')));
  });
  const c = await ctx.connected();
  c.on('question', (q, cb) => cb(`answer to ${q}`));
  const a = await ctx.connected('/admin');
  const answer = await c.timeout(2000).emitWithAck('ask');
  admin.to('staff').emit('memo', 1);
  ctx.io.emit('root', 1);
  const seen = waitFor(a, 'barrier');
  admin.emit('barrier');
  await seen;
  await ctx.barrier([c]);
  const strip = (events) => events.map((e) => (e.length > 2 ? e.slice(0, -1) : e));
  return { answer, admin: strip(ctx.got(a)), root: strip(ctx.got(c)).filter((e) => e[0] !== 'question') };
}, (o) => {
  assert.deepStrictEqual(o, { answer: 'answer to q', admin: [['memo', 1]], root: [['root', 1]] });
});

// What engine.io's "packetCreate" listeners see of a broadcast: stock builds
// socket.io-adapter's pre-encoded websocket frame for every single-string
// broadcast before writing; this package builds it only when a write takes
// the standard path (a listened-to connection does), so such a listener must
// still find it, with stock's bytes, and clients must get the same packets.
same('a standard-path write finds the pre-encoded frame stock builds', {}, async (ctx) => {
  const seen = [];
  ctx.io.on('connection', (socket) => {
    if (socket.handshake.auth.i !== 0) return;
    socket.conn.on('packetCreate', (p) => {
      if (p.type !== 'message') return;
      const frame = p.options && p.options.wsPreEncodedFrame;
      seen.push([typeof p.data === 'string' ? p.data.length : 'binary',
        frame === undefined ? null : Buffer.concat(frame).toString('base64')]);
    });
  });
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await ctx.connected('/'));
  ctx.io.emit('small', 1);
  ctx.io.emit('large', 'é€😀'.repeat(30000));
  ctx.io.emit('bin', Buffer.from([1, 2, 3]));
  ctx.io.except('nobody').emit('after', 2);
  await ctx.barrier(cs);
  return { seen, got: cs.map((c) => ctx.got(c)) };
}, (outcome) => {
  // Client 0 is a websocket client: every single-string packet came with its frame.
  const strings = outcome.seen.filter((s) => s[0] !== 'binary' && s[1] !== null);
  assert.ok(strings.length >= 3, JSON.stringify(outcome.seen.map((s) => [s[0], s[1] && s[1].length])));
});
