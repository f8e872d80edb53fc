'use strict';

/**
 * Multi-node tests over a real Redis: socket.io servers in separate
 * processes (test/support/cluster-node.js) with createRedisAdapter(), real
 * socket.io-client clients spread over them, a mixed cluster with
 * @socket.io/redis-streams-adapter, @socket.io/redis-emitter, connection
 * state recovery across nodes, and faults (Redis restarted, a node killed).
 * Each block starts its own redis-server on a random loopback port.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { startNodes, connectClient, until, got, settle } = require('./support/cluster');
const binding = require('../lib/binding');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const HAVE_REDIS = findRedisServer() !== null;
const SKIP = HAVE_REDIS ? false
  : 'redis-server not found: install it (apt-get install redis-server) to run the Redis cluster tests';
const NATIVE = binding.native && binding.addon.registry != null;

/**
 * Names of the clients that got `event`, sorted.
 *
 * @param {any[]} clients
 * @param {string} event
 */
function receivers(clients, event) {
  return clients.filter((c) => got(c, event).length > 0).map((c) => c.name).sort();
}

/**
 * Broadcasts a marker to everyone from `node` and waits until every
 * connected client has it: everything the node published before has been
 * delivered by then (the stream is ordered).
 */
let markerSeq = 0;
async function barrier(node, clients) {
  const tag = `m${++markerSeq}`;
  await node.call('broadcast', { event: tag, data: [] });
  await until(() => clients.every((c) => !c.connected || got(c, tag).length > 0), `marker ${tag} from ${node.name}`);
}

/**
 * Starts Redis, the nodes, and clients: `layout` maps a client name to the
 * index of its node.
 */
async function cluster(configs, layout, clientOpts) {
  const redis = await startRedis();
  const nodes = await startNodes(configs.map((c) => ({ redisUrl: redis.url, ...c })));
  const clients = [];
  for (const [name, i] of Object.entries(layout)) clients.push(await connectClient(nodes[i], name, clientOpts));
  await settle(nodes, clients);
  const byName = Object.fromEntries(clients.map((c) => [c.name, c]));
  return { redis, nodes, clients, byName };
}

async function teardown(ctx) {
  if (!ctx) return;
  for (const c of ctx.clients) c.disconnect();
  await Promise.all(ctx.nodes.map((n) => n.kill()));
  await ctx.redis.stop();
}

describe('Redis cluster: three nodes with createRedisAdapter (node-redis)', { skip: SKIP }, () => {
  let ctx;
  before(async () => {
    // Three streams: "/" and "/chat" hash to different ones.
    const adapterOpts = { streamCount: 3 };
    ctx = await cluster(
      ['A', 'B', 'C'].map((name) => ({ name, adapter: 'ours', client: 'redis', adapterOpts, countEncodes: true })),
      { a1: 0, a2: 0, b1: 1, b2: 1, c1: 2 }
    );
    const { a1, b1, c1 } = ctx.byName;
    await a1.emitWithAck('join', 'r1');
    await b1.emitWithAck('join', 'r1');
    await c1.emitWithAck('join', 'r2');
  });
  after(() => teardown(ctx));

  it('runs the native local layer when the addon is loaded', async () => {
    const kind = await ctx.nodes[0].call('adapterKind');
    assert.strictEqual(kind.name, 'NativeRedisStreamsAdapter');
    assert.strictEqual(kind.native, NATIVE);
    assert.strictEqual(await ctx.nodes[0].call('serverCount'), 3);
  });

  it('broadcasts to every client of every node, once', async () => {
    await ctx.nodes[0].call('broadcast', { event: 'all', data: [1, { x: 'y' }] });
    await until(() => ctx.clients.every((c) => got(c, 'all').length === 1), 'all clients got "all"');
    for (const c of ctx.clients) assert.deepStrictEqual(got(c, 'all'), [[1, { x: 'y' }]]);
  });

  it('encodes a broadcast from Redis once per node, whatever the number of recipients', async () => {
    const before = await ctx.nodes[1].call('encodes');
    await ctx.nodes[0].call('broadcast', { event: 'once', data: ['payload'] });
    await until(() => ['b1', 'b2'].every((n) => got(ctx.byName[n], 'once').length === 1), 'b1 and b2 got "once"');
    assert.strictEqual((await ctx.nodes[1].call('encodes')) - before, 1);
  });

  it('writes broadcasts from other nodes through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' }, async () => {
    const before = await ctx.nodes[1].call('adapterStats');
    assert.strictEqual(before.fanout, true);
    await ctx.nodes[0].call('broadcast', { event: 'fanned', data: ['x'] });
    await until(() => ['b1', 'b2'].every((n) => got(ctx.byName[n], 'fanned').length === 1), 'b1 and b2 got "fanned"');
    const after = await ctx.nodes[1].call('adapterStats');
    // B's two websocket clients were offered to the fan-out for this broadcast.
    assert.strictEqual(after.broadcasts - before.broadcasts, 1);
    assert.strictEqual(after.recipients - before.recipients, 2);
  });

  it('keeps namespaces apart, on their own streams', async () => {
    const { streamNameFor } = require('../lib/adapters/redis/create-redis-adapter');
    assert.notStrictEqual(streamNameFor('/', { streamName: 's', streamCount: 3 }),
      streamNameFor('/chat', { streamName: 's', streamCount: 3 }));
    const chatA = await connectClient(ctx.nodes[0], 'chat-a', { nsp: '/chat' });
    const chatC = await connectClient(ctx.nodes[2], 'chat-c', { nsp: '/chat' });
    try {
      await until(async () => {
        await ctx.nodes[1].call('broadcast', { nsp: '/chat', event: 'chat-probe', data: [] });
        await new Promise((r) => setTimeout(r, 20));
        return got(chatA, 'chat-probe').length > 0 && got(chatC, 'chat-probe').length > 0;
      }, '/chat broadcasts reach both nodes', 100);
      await ctx.nodes[1].call('broadcast', { nsp: '/chat', event: 'in-chat', data: [1] });
      await ctx.nodes[1].call('broadcast', { event: 'in-main', data: [2] });
      await until(() => got(chatA, 'in-chat').length === 1 && got(chatC, 'in-chat').length === 1, '/chat delivery');
      await barrier(ctx.nodes[1], ctx.clients);
      assert.deepStrictEqual(receivers(ctx.clients, 'in-chat'), []);
      assert.deepStrictEqual(got(chatA, 'in-main'), []);
      const chat = await ctx.nodes[1].call('fetchSockets', { nsp: '/chat', timeout: 5000 });
      assert.deepStrictEqual(chat.map((s) => s.data.name).sort(), ['chat-a', 'chat-c']);
    } finally {
      chatA.disconnect();
      chatC.disconnect();
    }
  });

  it('broadcasts to a room and except a room across nodes', async () => {
    await ctx.nodes[2].call('broadcast', { event: 'to-r1', rooms: ['r1'], data: ['x'] });
    await ctx.nodes[1].call('broadcast', { event: 'not-r1', except: ['r1'], data: ['y'] });
    await ctx.nodes[0].call('broadcast', { event: 'r1-or-r2-not-r2', rooms: ['r1', 'r2'], except: ['r2'], data: [] });
    await barrier(ctx.nodes[2], ctx.clients);
    await barrier(ctx.nodes[1], ctx.clients);
    await barrier(ctx.nodes[0], ctx.clients);
    assert.deepStrictEqual(receivers(ctx.clients, 'to-r1'), ['a1', 'b1']);
    assert.deepStrictEqual(receivers(ctx.clients, 'not-r1'), ['a2', 'b2', 'c1']);
    assert.deepStrictEqual(receivers(ctx.clients, 'r1-or-r2-not-r2'), ['a1', 'b1']);
  });

  it('socket.broadcast and socket.to() reach the other nodes but not the sender', async () => {
    ctx.byName.a1.emit('to-others', 'others', 42);
    ctx.byName.b1.emit('to-room-from-socket', 'r1', 'room-from-b1', 7);
    await until(() => receivers(ctx.clients, 'others').length === 4, '4 clients got "others"');
    await until(() => receivers(ctx.clients, 'room-from-b1').length === 1, 'a1 got "room-from-b1"');
    await barrier(ctx.nodes[0], ctx.clients);
    await barrier(ctx.nodes[1], ctx.clients);
    assert.deepStrictEqual(receivers(ctx.clients, 'others'), ['a2', 'b1', 'b2', 'c1']);
    assert.deepStrictEqual(receivers(ctx.clients, 'room-from-b1'), ['a1']);
  });

  it('carries binary payloads', async () => {
    await ctx.nodes[1].call('broadcast', { event: 'bin', rooms: ['r2'], data: [{ ok: true }] });
    await until(() => got(ctx.byName.c1, 'bin').length === 1, 'c1 got "bin"');
    // A Buffer cannot cross the IPC channel; the client sends one through a room broadcast instead.
    ctx.byName.c1.emit('to-room-from-socket', 'r1', 'bin2', Buffer.from([1, 2, 3]));
    await until(() => receivers(ctx.clients, 'bin2').length === 2, 'a1 and b1 got "bin2"');
    for (const name of ['a1', 'b1']) {
      assert.deepStrictEqual([...new Uint8Array(got(ctx.byName[name], 'bin2')[0][0])], [1, 2, 3]);
    }
  });

  it('gathers broadcast acks from the clients of every node', async () => {
    const res = await ctx.nodes[0].call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
    assert.strictEqual(res.err, null);
    assert.deepStrictEqual(res.responses.sort(), ['a1', 'a2', 'b1', 'b2', 'c1']);
    const r1 = await ctx.nodes[2].call('broadcastAck', { event: 'ack-me', rooms: ['r1'], data: [], timeout: 5000 });
    assert.deepStrictEqual(r1.responses.sort(), ['a1', 'b1']);
  });

  it('fetchSockets returns the sockets of every node', async () => {
    const all = await ctx.nodes[1].call('fetchSockets', { timeout: 5000 });
    assert.deepStrictEqual(all.map((s) => s.data.name).sort(), ['a1', 'a2', 'b1', 'b2', 'c1']);
    const byName = Object.fromEntries(all.map((s) => [s.data.name, s]));
    assert.strictEqual(byName.c1.data.node, 'C');
    assert.ok(byName.a1.rooms.includes('r1'));
    const r1 = await ctx.nodes[2].call('fetchSockets', { rooms: ['r1'], timeout: 5000 });
    assert.deepStrictEqual(r1.map((s) => s.data.name).sort(), ['a1', 'b1']);
  });

  it('socketsJoin and socketsLeave act on every node', async () => {
    await ctx.nodes[2].call('socketsJoin', { rooms: ['r1'], join: 'r3' });
    await until(async () => (await ctx.nodes[0].call('fetchSockets', { rooms: ['r3'], timeout: 5000 })).length === 2,
      'r3 has a1 and b1');
    const r3 = await ctx.nodes[1].call('fetchSockets', { rooms: ['r3'], timeout: 5000 });
    assert.deepStrictEqual(r3.map((s) => s.data.name).sort(), ['a1', 'b1']);
    await ctx.nodes[0].call('socketsLeave', { rooms: ['r3'], leave: 'r3' });
    await until(async () => (await ctx.nodes[2].call('fetchSockets', { rooms: ['r3'], timeout: 5000 })).length === 0,
      'r3 is empty');
  });

  it('serverSideEmit reaches the other nodes, with and without acks', async () => {
    await ctx.nodes[0].call('serverSideEmit', { event: 'note', data: ['hi', 3] });
    await until(async () => {
      const [b, c] = await Promise.all([ctx.nodes[1].call('received'), ctx.nodes[2].call('received')]);
      return b.some((e) => e[0] === 'note') && c.some((e) => e[0] === 'note');
    }, 'B and C got "note"');
    assert.ok(!(await ctx.nodes[0].call('received')).some((e) => e[0] === 'note'));
    const res = await ctx.nodes[0].call('serverSideEmit', { event: 'ping-servers', data: ['q'], ack: true, timeout: 5000 });
    assert.strictEqual(res.err, null);
    assert.deepStrictEqual(res.responses.sort(), ['B', 'C']);
  });

  it('disconnectSockets disconnects clients on other nodes', async () => {
    const c1 = ctx.byName.c1;
    const gone = new Promise((resolve) => c1.once('disconnect', resolve));
    await ctx.nodes[0].call('disconnectSockets', { rooms: ['r2'] });
    await gone;
    const left = await ctx.nodes[1].call('fetchSockets', { timeout: 5000 });
    assert.deepStrictEqual(left.map((s) => s.data.name).sort(), ['a1', 'a2', 'b1', 'b2']);
  });
});

describe('Redis cluster: mixed with @socket.io/redis-streams-adapter (ioredis)', { skip: SKIP }, () => {
  let ctx;
  before(async () => {
    ctx = await cluster([
      { name: 'A', adapter: 'ours', client: 'ioredis' },
      { name: 'B', adapter: 'official', client: 'ioredis' },
      { name: 'C', adapter: 'ours', client: 'redis' },
    ], { a1: 0, b1: 1, b2: 1, c1: 2 });
    await ctx.byName.a1.emitWithAck('join', 'room');
    await ctx.byName.b1.emitWithAck('join', 'room');
  });
  after(() => teardown(ctx));

  it('broadcasts from either kind of node reach every client', async () => {
    await ctx.nodes[1].call('broadcast', { event: 'from-official', data: ['o'] });
    await ctx.nodes[0].call('broadcast', { event: 'from-ours', rooms: ['room'], data: ['n'] });
    await ctx.nodes[2].call('broadcast', { event: 'from-ours-except', except: ['room'], data: [] });
    await until(() => receivers(ctx.clients, 'from-official').length === 4, 'official broadcast delivered');
    await barrier(ctx.nodes[0], ctx.clients);
    await barrier(ctx.nodes[2], ctx.clients);
    assert.deepStrictEqual(receivers(ctx.clients, 'from-ours'), ['a1', 'b1']);
    assert.deepStrictEqual(receivers(ctx.clients, 'from-ours-except'), ['b2', 'c1']);
  });

  it('acks, fetchSockets and serverSideEmit work in both directions', async () => {
    for (const node of [ctx.nodes[0], ctx.nodes[1]]) {
      const acks = await node.call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
      assert.strictEqual(acks.err, null, node.name);
      assert.deepStrictEqual(acks.responses.sort(), ['a1', 'b1', 'b2', 'c1'], node.name);
      const sockets = await node.call('fetchSockets', { rooms: ['room'], timeout: 5000 });
      assert.deepStrictEqual(sockets.map((s) => s.data.name).sort(), ['a1', 'b1'], node.name);
      const pong = await node.call('serverSideEmit', { event: 'ping-servers', data: [], ack: true, timeout: 5000 });
      assert.strictEqual(pong.err, null, node.name);
      assert.deepStrictEqual(pong.responses.sort(), ['A', 'B', 'C'].filter((n) => n !== node.name), node.name);
    }
  });

  it('socketsJoin from the official node reaches ours', async () => {
    await ctx.nodes[1].call('socketsJoin', { join: 'everyone' });
    await until(async () => (await ctx.nodes[0].call('fetchSockets', { rooms: ['everyone'], timeout: 5000 })).length === 4,
      'everyone joined');
  });
});

describe('Redis cluster: socket.io-msgpack-parser, ours next to the official adapter', { skip: SKIP }, () => {
  const msgpackParser = require('socket.io-msgpack-parser');
  let ctx;
  before(async () => {
    ctx = await cluster([
      { name: 'A', adapter: 'ours', client: 'redis', parser: 'msgpack' },
      { name: 'B', adapter: 'official', client: 'redis', parser: 'msgpack' },
    ], { a1: 0, a2: 0, b1: 1, b2: 1 }, { parser: msgpackParser });
    await ctx.byName.a1.emitWithAck('join', 'room');
    await ctx.byName.b1.emitWithAck('join', 'room');
  });
  after(() => teardown(ctx));

  it('broadcasts, room broadcasts and binary reach the clients of both nodes alike', async () => {
    for (const node of ctx.nodes) {
      await node.call('broadcast', { event: `all-${node.name}`, data: [1, { s: 'é€😀' }] });
      await node.call('broadcast', { event: `room-${node.name}`, rooms: ['room'], data: ['r'] });
      await node.call('broadcast', { event: `except-${node.name}`, except: ['room'], data: [] });
    }
    // Binary from a client, through each node's local delivery and Redis.
    ctx.byName.a2.emit('to-others', 'bin-a2', { b: Buffer.from([0, 1, 254, 255]) });
    ctx.byName.b2.emit('to-room-from-socket', 'room', 'bin-b2', Buffer.from('msgpack'));
    await barrier(ctx.nodes[0], ctx.clients);
    await barrier(ctx.nodes[1], ctx.clients);
    await until(() => receivers(ctx.clients, 'bin-a2').length === 3 && receivers(ctx.clients, 'bin-b2').length === 2,
      'binary broadcasts delivered');
    for (const name of ['A', 'B']) {
      assert.deepStrictEqual(receivers(ctx.clients, `all-${name}`), ['a1', 'a2', 'b1', 'b2']);
      for (const c of ctx.clients) assert.deepStrictEqual(got(c, `all-${name}`), [[1, { s: 'é€😀' }]]);
      assert.deepStrictEqual(receivers(ctx.clients, `room-${name}`), ['a1', 'b1']);
      assert.deepStrictEqual(receivers(ctx.clients, `except-${name}`), ['a2', 'b2']);
    }
    assert.deepStrictEqual(receivers(ctx.clients, 'bin-a2'), ['a1', 'b1', 'b2']);
    for (const name of ['a1', 'b1', 'b2']) {
      assert.deepStrictEqual([...new Uint8Array(got(ctx.byName[name], 'bin-a2')[0][0].b)], [0, 1, 254, 255], name);
    }
    assert.deepStrictEqual(receivers(ctx.clients, 'bin-b2'), ['a1', 'b1']);
    for (const name of ['a1', 'b1']) {
      assert.strictEqual(Buffer.from(got(ctx.byName[name], 'bin-b2')[0][0]).toString(), 'msgpack', name);
    }
    // Nobody was disconnected by a frame it could not read.
    assert.ok(ctx.clients.every((c) => c.connected));
  });

  it('writes the msgpack frames through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' }, async () => {
    const before = await ctx.nodes[0].call('adapterStats');
    await ctx.nodes[1].call('broadcast', { event: 'fanned', data: [Buffer.from('x').toString('hex')] });
    await until(() => ['a1', 'a2'].every((n) => got(ctx.byName[n], 'fanned').length === 1), 'a1 and a2 got "fanned"');
    const after = await ctx.nodes[0].call('adapterStats');
    assert.strictEqual(after.recipients - before.recipients, 2);
    assert.ok(after.framesQueued - before.framesQueued >= 2);
  });
});

describe('Redis cluster: sharded pub/sub (useShardedPubSub), mixed with the official adapter', { skip: SKIP }, () => {
  let ctx;
  before(async () => {
    const adapterOpts = { useShardedPubSub: true };
    ctx = await cluster([
      { name: 'A', adapter: 'ours', client: 'redis', adapterOpts },
      { name: 'B', adapter: 'official', client: 'redis', adapterOpts },
      { name: 'C', adapter: 'ours', client: 'ioredis', adapterOpts },
    ], { a1: 0, b1: 1, c1: 2 });
  });
  after(() => teardown(ctx));

  it('requests and responses travel over SPUBLISH', async () => {
    const acks = await ctx.nodes[0].call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
    assert.deepStrictEqual(acks.responses.sort(), ['a1', 'b1', 'c1']);
    const sockets = await ctx.nodes[2].call('fetchSockets', { timeout: 5000 });
    assert.deepStrictEqual(sockets.map((s) => s.data.name).sort(), ['a1', 'b1', 'c1']);
    const pong = await ctx.nodes[2].call('serverSideEmit', { event: 'ping-servers', data: [], ack: true, timeout: 5000 });
    assert.deepStrictEqual(pong.responses.sort(), ['A', 'B']);
  });
});

describe('Redis cluster: @socket.io/redis-emitter reaches clients of our nodes', { skip: SKIP }, () => {
  let ctx;
  let emitter;
  let pub;
  before(async () => {
    // The emitter is opt-in (the official adapter ignores it): these nodes name its key.
    const adapterOpts = { emitterKey: 'socket.io' };
    ctx = await cluster(['A', 'B'].map((name) => ({ name, adapter: 'ours', client: 'redis', adapterOpts })),
      { a1: 0, a2: 0, b1: 1 });
    await ctx.byName.a1.emitWithAck('join', 'room');
    await ctx.byName.b1.emitWithAck('join', 'room');
    const { createClient } = require('redis');
    const { Emitter } = require('@socket.io/redis-emitter');
    pub = createClient({ url: ctx.redis.url });
    pub.on('error', () => {});
    await pub.connect();
    emitter = new Emitter(pub);
  });
  after(async () => {
    if (pub) await pub.quit();
    await teardown(ctx);
  });

  it('emits to all, to a room and except a room', async () => {
    emitter.emit('e-all', 1);
    emitter.to('room').emit('e-room', 2);
    emitter.except('room').emit('e-except', 3);
    await until(() => receivers(ctx.clients, 'e-all').length === 3, 'e-all delivered');
    await until(() => receivers(ctx.clients, 'e-room').length === 2, 'e-room delivered');
    await until(() => receivers(ctx.clients, 'e-except').length === 1, 'e-except delivered');
    await barrier(ctx.nodes[0], ctx.clients);
    assert.deepStrictEqual(receivers(ctx.clients, 'e-room'), ['a1', 'b1']);
    assert.deepStrictEqual(receivers(ctx.clients, 'e-except'), ['a2']);
    assert.deepStrictEqual(got(ctx.byName.a1, 'e-all'), [[1]]);
  });

  it('socketsJoin, serverSideEmit and disconnectSockets', async () => {
    emitter.in('room').socketsJoin('joined');
    await until(async () => (await ctx.nodes[1].call('fetchSockets', { rooms: ['joined'], timeout: 5000 })).length === 2,
      'a1 and b1 joined');
    emitter.serverSideEmit('note', 'from-emitter');
    await until(async () => {
      const lists = await Promise.all(ctx.nodes.map((n) => n.call('received')));
      return lists.every((l) => l.some((e) => e[0] === 'note' && e[1] === 'from-emitter'));
    }, 'both nodes got the server-side event');
    const gone = new Promise((resolve) => ctx.byName.a2.once('disconnect', resolve));
    emitter.except('room').disconnectSockets();
    await gone;
  });
});

describe('Redis cluster: connection state recovery across nodes', { skip: SKIP }, () => {
  let ctx;
  before(async () => {
    // B runs the official adapter: its broadcasts are in the stream the restores read.
    ctx = await cluster([
      { name: 'A', adapter: 'ours', client: 'redis', recovery: true },
      { name: 'B', adapter: 'official', client: 'redis', recovery: true },
      { name: 'C', adapter: 'ours', client: 'ioredis', recovery: true },
    ], { a1: 0, b1: 1 });
  });
  after(() => teardown(ctx));

  it('a client that left node A resumes on node C with the packets it missed', async () => {
    const a1 = ctx.byName.a1;
    await a1.emitWithAck('join', 'kept');
    await ctx.nodes[1].call('broadcast', { event: 'before', rooms: ['kept'], data: ['b'] });
    await until(() => got(a1, 'before').length === 1, 'a1 got "before"');
    const pid = a1._pid;
    const offset = a1._lastOffset;
    assert.ok(pid && /^[0-9]+-[0-9]+$/.test(offset), 'the client has a stream offset');
    const id = a1.id;
    // A transport close is recoverable; the client does not reconnect by itself.
    a1.io.engine.close();
    await until(async () => (await ctx.nodes[1].call('fetchSockets', { timeout: 5000 }))
      .every((s) => s.id !== id), 'node A dropped the socket');
    await ctx.nodes[1].call('broadcast', { event: 'missed', rooms: ['kept'], data: ['m1'] });
    await barrier(ctx.nodes[1], [ctx.byName.b1]);
    await ctx.nodes[0].call('broadcast', { event: 'missed', data: ['m2'] });
    await ctx.nodes[1].call('broadcast', { event: 'missed', rooms: ['elsewhere'], data: ['no'] });
    await barrier(ctx.nodes[1], [ctx.byName.b1]);
    await barrier(ctx.nodes[0], [ctx.byName.b1]);
    const back = await connectClient(ctx.nodes[2], 'a1-again', { auth: { name: 'a1-again', pid, offset } });
    ctx.clients.push(back);
    await until(() => got(back, 'missed').length === 2, 'the missed packets were replayed');
    assert.strictEqual(back.id, id);
    assert.deepStrictEqual(got(back, 'missed').map((args) => args[0]), ['m1', 'm2']);
    await until(() => got(back, 'hello').length === 1, 'the connection handler ran');
    assert.strictEqual(got(back, 'hello')[0][0].recovered, true);
    // The restored socket is back in its room, on node C now.
    const kept = await ctx.nodes[0].call('fetchSockets', { rooms: ['kept'], timeout: 5000 });
    assert.deepStrictEqual(kept.map((s) => s.data.node), ['C']);
  });

  it('a session left on the official node resumes on ours', async () => {
    const b1 = ctx.byName.b1;
    await b1.emitWithAck('join', 'b-room');
    await ctx.nodes[0].call('broadcast', { event: 'b-before', rooms: ['b-room'], data: [] });
    await until(() => got(b1, 'b-before').length === 1, 'b1 got "b-before"');
    const { _pid: pid, _lastOffset: offset, id } = b1;
    b1.io.engine.close();
    await until(async () => (await ctx.nodes[0].call('fetchSockets', { timeout: 5000 }))
      .every((s) => s.id !== id), 'node B dropped the socket');
    await ctx.nodes[2].call('broadcast', { event: 'b-missed', rooms: ['b-room'], data: ['x'] });
    await barrier(ctx.nodes[2], ctx.clients.filter((c) => c.connected));
    const back = await connectClient(ctx.nodes[0], 'b1-again', { auth: { name: 'b1-again', pid, offset } });
    ctx.clients.push(back);
    await until(() => got(back, 'b-missed').length === 1, 'the missed packet was replayed');
    assert.strictEqual(back.id, id);
  });
});

describe('Redis cluster: faults', { skip: SKIP }, () => {
  it('Redis restarted during traffic: local delivery goes on, cross-node delivery resumes', async () => {
    const ctx = await cluster(
      [{ name: 'A', adapter: 'ours', client: 'redis' }, { name: 'B', adapter: 'ours', client: 'ioredis' }],
      { a1: 0, b1: 1 }
    );
    try {
      const { a1, b1 } = ctx.byName;
      const traffic = ctx.nodes[0].call('broadcastMany', { event: 'load', count: 200, payload: 'x'.repeat(100) });
      await ctx.redis.stop();
      await traffic;
      // Redis is down: each node still serves its own clients, and settles requests with its own answers.
      await ctx.nodes[0].call('broadcast', { event: 'down-a', data: [] });
      await ctx.nodes[1].call('broadcast', { event: 'down-b', data: [] });
      await until(() => got(a1, 'down-a').length === 1 && got(b1, 'down-b').length === 1, 'local delivery while Redis is down');
      const local = await ctx.nodes[0].call('fetchSockets', { timeout: 2000 });
      assert.deepStrictEqual(local.map((s) => s.data.name), ['a1']);
      const acks = await ctx.nodes[1].call('broadcastAck', { event: 'ack-me', data: [], timeout: 2000 });
      assert.deepStrictEqual(acks.responses, ['b1']);
      assert.strictEqual(got(b1, 'down-a').length, 0);

      await ctx.redis.start();
      let n = 0;
      await until(async () => {
        await ctx.nodes[0].call('broadcast', { event: 'after', data: [++n] });
        await ctx.nodes[1].call('broadcast', { event: 'after-b', data: [n] });
        return got(b1, 'after').length > 0 && got(a1, 'after-b').length > 0;
      }, 'cross-node delivery resumed', 250);
      const res = await ctx.nodes[0].call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
      assert.strictEqual(res.err, null);
      assert.deepStrictEqual(res.responses.sort(), ['a1', 'b1']);
    } finally {
      await teardown(ctx);
    }
  });

  it('a node killed: fetchSockets and broadcast acks on the others settle within their timeout', async () => {
    const ctx = await cluster(
      ['A', 'B', 'C'].map((name) => ({ name, adapter: 'ours', client: 'redis' })),
      { a1: 0, b1: 1, c1: 2 }
    );
    try {
      const timeout = 1500;
      // Requests in flight when C dies, and requests right after.
      const during = [
        ctx.nodes[0].call('fetchSockets', { timeout }).catch((err) => ({ err: err.message })),
        ctx.nodes[0].call('broadcastAck', { event: 'ack-me', data: [], timeout }),
      ];
      await ctx.nodes[2].kill();
      const after = [
        ctx.nodes[1].call('fetchSockets', { timeout }).catch((err) => ({ err: err.message })),
        ctx.nodes[1].call('broadcastAck', { event: 'ack-me', data: [], timeout }),
        // serverSideEmitWithAck has socket.io-adapter's fixed 5 s timeout.
        ctx.nodes[0].call('serverSideEmit', { event: 'ping-servers', data: [], ack: true }),
      ];
      const settled = await Promise.allSettled([...during, ...after]);
      // Every call answered, with a result or fetchSockets' own timeout error
      // (ClusterNode.call fails after 15 s if a node hangs).
      for (const s of settled) assert.strictEqual(s.status, 'fulfilled', s.reason && s.reason.message);
      for (const r of [settled[0].value, settled[2].value]) {
        if (r.err) assert.match(r.err, /timeout reached/);
      }
      const pong = settled[4].value;
      assert.ok(pong.err === null ? pong.responses.includes('B') : /timeout/.test(pong.err), JSON.stringify(pong));
      const acks = settled[3].value;
      for (const name of ['a1', 'b1']) assert.ok(acks.responses.includes(name), `ack from ${name}`);
      await until(async () => (await ctx.nodes[0].call('serverCount')) === 2, 'the dead node left the count');
      const sockets = await ctx.nodes[0].call('fetchSockets', { timeout });
      assert.deepStrictEqual(sockets.map((s) => s.data.name).sort(), ['a1', 'b1']);
      const res = await ctx.nodes[1].call('broadcastAck', { event: 'ack-me', data: [], timeout });
      assert.strictEqual(res.err, null);
      assert.deepStrictEqual(res.responses.sort(), ['a1', 'b1']);
    } finally {
      await teardown(ctx);
    }
  });
});
