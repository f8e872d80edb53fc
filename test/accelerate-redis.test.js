'use strict';

/**
 * accelerate() under the official Redis adapters, over a real Redis:
 * socket.io servers in separate processes (test/support/cluster-node.js),
 * MIXED clusters of official nodes and accelerated nodes (a rolling
 * upgrade), with node-redis and with ioredis. One scenario (broadcasts with
 * rooms and except from every node, broadcast acks with a timeout,
 * fetchSockets, socketsJoin / socketsLeave, disconnectSockets, serverSideEmit
 * with acks) runs on the mixed cluster and on the same cluster with no
 * acceleration: the clients must receive the same events in the same order
 * and the operations must answer the same. The accelerated nodes must show,
 * in adapterStats(), broadcasts from the other nodes written by the native
 * fan-out. Each cluster starts its own redis-server on a random loopback port.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { startNodes, connectClient, until, got, settle } = require('./support/cluster');
const binding = require('../lib/binding');
const { fanoutAvailable } = require('../lib/native-fanout');

const HAVE_REDIS = findRedisServer() !== null;
const SKIP = HAVE_REDIS ? false
  : 'redis-server not found: install it (apt-get install redis-server) to run the Redis cluster tests';
const NATIVE = binding.native && binding.addon.registry != null;

/** Client name -> index of its node (A, B, C). */
const LAYOUT = { a1: 0, a2: 0, b1: 1, b2: 1, c1: 2 };
/** Rooms each client joins before the scenario. */
const ROOMS = { a1: ['r1'], b1: ['r1'], b2: ['r2'], c1: ['r2', 'r3'] };

/**
 * Starts Redis, three nodes and the clients of LAYOUT.
 *
 * @param {any[]} configs one per node
 */
async function cluster(configs) {
  const redis = await startRedis();
  let nodes = [];
  const clients = [];
  try {
    nodes = await startNodes(configs.map((c) => ({ redisUrl: redis.url, greet: false, ...c })));
    for (const [name, i] of Object.entries(LAYOUT)) {
      const c = await connectClient(nodes[i], name);
      // c1 never answers "maybe-ack": the broadcast ack times out with the others' answers.
      c.on('maybe-ack', (...args) => {
        const cb = args.pop();
        if (name !== 'c1') cb(`${name}:${args[0]}`);
      });
      clients.push(c);
    }
    await settle(nodes, clients);
    for (const c of clients) for (const room of ROOMS[c.name] || []) await c.emitWithAck('join', room);
  } catch (err) {
    await teardown({ redis, nodes, clients });
    throw err;
  }
  return { redis, nodes, clients, byName: Object.fromEntries(clients.map((c) => [c.name, c])) };
}

async function teardown(ctx) {
  if (!ctx) return;
  for (const c of ctx.clients) c.disconnect();
  await Promise.all(ctx.nodes.map((n) => n.kill()));
  await ctx.redis.stop();
}

let markerSeq = 0;

/**
 * Broadcasts a marker from `node` and waits until every connected client has
 * it: what the node published before has been delivered by then (Redis
 * delivers one publisher's messages in order).
 */
async function barrier(ctx, node) {
  const tag = `marker-${++markerSeq}`;
  await node.call('broadcast', { event: 'marker', data: [tag] });
  await until(() => ctx.clients.every((c) => !c.connected || got(c, 'marker').some((a) => a[0] === tag)),
    `marker ${tag} from ${node.name}`);
}

/** Names of the sockets fetchSockets() returns from `node` for `args`, with their rooms. */
async function fetched(node, args) {
  const sockets = await node.call('fetchSockets', { timeout: 5000, ...args });
  return sockets.map((s) => `${s.data.name}:${s.rooms.filter((r) => r !== s.id).join('+')}`).sort();
}

/**
 * The scenario both clusters run. Returns what each client received (in
 * order, markers and probes left out) and what the operations answered.
 */
async function scenario(ctx) {
  const [A, B, C] = ctx.nodes;
  const out = {};
  // Only what arrives from here on counts (earlier tests may have used the cluster).
  const start = new Map(ctx.clients.map((c) => [c, c.events.length]));
  // Broadcasts with rooms and except, from an official node and from accelerated ones.
  const sends = [
    [A, { event: 's', data: [1], rooms: ['r1'], except: ['r2'] }],
    [B, { event: 's', data: [2], rooms: ['r1', 'r2'] }],
    [B, { event: 's', data: [3], except: ['r1'] }],
    [C, { event: 's', data: [4, { deep: ['x', null, 1.5] }], rooms: ['r2'], except: ['r3'] }],
    [A, { event: 's', data: [5] }],
    [C, { event: 's', data: [6], rooms: ['nobody'] }],
    [B, { event: 's', data: ['7'], rooms: ['r3'] }],
  ];
  for (const [node, args] of sends) {
    await node.call('broadcast', args);
    await barrier(ctx, node);
  }
  // Broadcast acks across nodes, answered by everyone, and timing out on c1.
  const acks = await B.call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
  out.acksFromB = { err: acks.err, responses: [...acks.responses].sort() };
  const fromA = await A.call('broadcastAck', { event: 'ack-me', data: [], rooms: ['r2'], timeout: 5000 });
  out.acksFromA = { err: fromA.err, responses: [...fromA.responses].sort() };
  const partial = await C.call('broadcastAck', { event: 'maybe-ack', data: ['p'], timeout: 500 });
  out.partial = { err: partial.err, responses: [...(partial.responses || [])].sort() };
  // fetchSockets from every node.
  out.fetchAll = await fetched(A, {});
  out.fetchR2 = await fetched(B, { rooms: ['r2'] });
  out.fetchExcept = await fetched(C, { except: ['r1'] });
  // socketsJoin / socketsLeave requested from one node, acting on all.
  await B.call('socketsJoin', { rooms: ['r2'], join: 'j' });
  await A.call('socketsJoin', { rooms: ['r1'], except: ['r2'], join: ['j', 'k'] });
  await until(async () => (await fetched(C, { rooms: ['j'] })).length === 4, 'four sockets in j');
  out.afterJoin = await fetched(C, { rooms: ['j'] });
  await C.call('broadcast', { event: 's', data: ['to-j'], rooms: ['j'], except: ['k'] });
  await barrier(ctx, C);
  await A.call('socketsLeave', { rooms: ['r2'], leave: 'j' });
  await until(async () => (await fetched(B, { rooms: ['j'] })).length === 2, 'two sockets left in j');
  out.afterLeave = await fetched(B, { rooms: ['j'] });
  await A.call('broadcast', { event: 's', data: ['to-j-again'], rooms: ['j'] });
  await barrier(ctx, A);
  // serverSideEmit with and without acks.
  const sse = await B.call('serverSideEmit', { event: 'ping-servers', data: ['from-B'], ack: true });
  out.serverSideEmit = { err: sse.err, responses: [...(sse.responses || [])].sort() };
  await C.call('serverSideEmit', { event: 'note', data: ['from-C'] });
  await until(async () => (await A.call('received')).some((e) => e[0] === 'note'), 'A got the note');
  out.received = [];
  for (const node of ctx.nodes) out.received.push(await node.call('received'));
  // disconnectSockets from an official node, reaching the accelerated ones.
  await A.call('disconnectSockets', { rooms: ['r2'] });
  await until(() => !ctx.byName.b2.connected && !ctx.byName.c1.connected, 'b2 and c1 disconnected');
  out.afterDisconnect = await fetched(C, {});
  await B.call('broadcast', { event: 's', data: ['last'] });
  await barrier(ctx, B);
  out.events = Object.fromEntries(ctx.clients.map((c) => [c.name,
    c.events.slice(start.get(c)).filter((e) => e[0] !== 'marker' && e[0] !== 'probe').map((e) => e.map((v) => (typeof v === 'function' ? '<ack>' : v)))]));
  return out;
}

/** What every cluster must agree on, whatever its adapters. */
function checkOutcome(out) {
  assert.deepStrictEqual(out.events.a1.filter((e) => e[0] === 's').map((e) => e[1]), [1, 2, 5, 'to-j-again', 'last']);
  assert.deepStrictEqual(out.events.c1.filter((e) => e[0] === 's').map((e) => e[1]), [2, 3, 5, '7', 'to-j']);
  assert.deepStrictEqual(out.acksFromB.responses, ['a1', 'a2', 'b1', 'b2', 'c1']);
  assert.deepStrictEqual(out.acksFromA.responses, ['b2', 'c1']);
  assert.deepStrictEqual(out.partial, { err: 'operation has timed out', responses: ['a1:p', 'a2:p', 'b1:p', 'b2:p'] });
  assert.deepStrictEqual(out.fetchR2, ['b2:r2', 'c1:r2+r3']);
  // (cluster-node.js sorts each socket's rooms.)
  assert.deepStrictEqual(out.afterJoin, ['a1:j+k+r1', 'b1:j+k+r1', 'b2:j+r2', 'c1:j+r2+r3']);
  assert.deepStrictEqual(out.afterLeave, ['a1:j+k+r1', 'b1:j+k+r1']);
  assert.deepStrictEqual(out.serverSideEmit.responses, ['A', 'C']);
  assert.deepStrictEqual(out.afterDisconnect, ['a1:j+k+r1', 'a2:', 'b1:j+k+r1']);
}

/** Node configs: `accelerated` lists the indexes of the nodes to accelerate. */
function configs(adapter, client, accelerated) {
  return ['A', 'B', 'C'].map((name, i) => ({ name, adapter, client, accelerate: accelerated.includes(i) }));
}

/** The outcome of the scenario on an all-official cluster, per adapter kind and client, computed once. */
const baselines = new Map();
async function baseline(adapter, client) {
  const key = `${adapter}/${client}`;
  if (!baselines.has(key)) {
    const ctx = await cluster(configs(adapter, client, []));
    try {
      baselines.set(key, await scenario(ctx));
    } finally {
      await teardown(ctx);
    }
  }
  return baselines.get(key);
}

/** Adapter kind (see cluster-node.js) -> package and class. */
const KINDS = {
  classic: ['@socket.io/redis-adapter', 'RedisAdapter'],
  sharded: ['@socket.io/redis-adapter createShardedAdapter', 'ShardedRedisAdapter'],
  official: ['@socket.io/redis-streams-adapter', 'RedisStreamsAdapter'],
};

for (const [adapter, client] of [['classic', 'redis'], ['classic', 'ioredis'], ['sharded', 'redis'], ['official', 'redis']]) {
  describe(`${KINDS[adapter][0]} (${client}): official node A, accelerated nodes B and C`, { skip: SKIP }, () => {
    let ctx;
    before(async () => {
      ctx = await cluster(configs(adapter, client, [1, 2]));
    });
    after(() => teardown(ctx));

    it('accelerates B and C (with the addon) and leaves A official', async () => {
      const [a, b] = await Promise.all([ctx.nodes[0].call('packageStats'), ctx.nodes[1].call('packageStats')]);
      assert.strictEqual(a.accelerated, undefined);
      assert.strictEqual(b.accelerated, NATIVE ? true : undefined);
      const kind = await ctx.nodes[1].call('adapterKind');
      assert.strictEqual(kind.name, KINDS[adapter][1]);
      assert.strictEqual(kind.native, NATIVE);
    });

    it('writes broadcasts from the other nodes through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' }, async () => {
      const before = await ctx.nodes[1].call('packageStats');
      await ctx.nodes[0].call('broadcast', { event: 'from-a', data: ['x'] });
      await barrier(ctx, ctx.nodes[0]);
      await ctx.nodes[2].call('broadcast', { event: 'from-c', data: ['y'], rooms: ['r1'] });
      await barrier(ctx, ctx.nodes[2]);
      const after = await ctx.nodes[1].call('packageStats');
      // B's clients: b1 and b2 for from-a and each marker, b1 for from-c; all
      // four broadcasts arrived from A or C.
      assert.strictEqual(after.broadcasts - before.broadcasts, 4);
      assert.strictEqual(after.recipients - before.recipients, 2 + 2 + 1 + 2);
      assert.strictEqual(after.framesWritten - before.framesWritten + after.framesHanded - before.framesHanded, 7);
      assert.ok(after.framesWritten - before.framesWritten > 0);
    });

    it('gives the same clients the same events in the same order as an all-official cluster', async () => {
      const mixed = await scenario(ctx);
      checkOutcome(mixed);
      const official = await baseline(adapter, client);
      checkOutcome(official);
      assert.deepStrictEqual(mixed, official);
    });
  });
}
