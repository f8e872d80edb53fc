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
const { connectCluster, teardown, barrier, scenario, checkOutcome } = require('./support/accelerate-scenario');
const binding = require('../lib/binding');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const HAVE_REDIS = findRedisServer() !== null;
const SKIP = HAVE_REDIS ? false
  : 'redis-server not found: install it (apt-get install redis-server) to run the Redis cluster tests';
const NATIVE = binding.native && binding.addon.registry != null;

/**
 * Starts Redis and three nodes, and connects the scenario's clients.
 *
 * @param {any[]} configs one per node
 */
async function cluster(configs) {
  const redis = await startRedis();
  let nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await redis.stop();
  };
  try {
    nodes = await startNodes(configs.map((c) => ({ redisUrl: redis.url, greet: false, ...c })));
  } catch (err) {
    await stop();
    throw err;
  }
  const ctx = await connectCluster(nodes, stop);
  ctx.redisUrl = redis.url;
  return ctx;
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

for (const [adapter, client] of [['classic', 'redis'], ['classic', 'ioredis'], ['sharded', 'redis'], ['sharded', 'ioredis'], ['official', 'redis']]) {
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
      // The classic adapter with a node-redis subscriber: the four messages
      // were transcoded natively (lib/adapters/redis/classic-transcode.js);
      // elsewhere incoming messages keep the adapter's JS path.
      if (adapter === 'classic' && client === 'redis') {
        assert.strictEqual(after.incomingTranscoded - before.incomingTranscoded, 4);
        assert.strictEqual(after.incomingJsPath, before.incomingJsPath);
      } else {
        assert.strictEqual(after.incomingTranscoded, undefined);
      }
    });

    it('lets @socket.io/redis-emitter reach the clients of every node', { skip: adapter !== 'classic' && 'the emitter publishes in the classic format' }, async () => {
      const { createClient } = require('redis');
      const { Emitter } = require('@socket.io/redis-emitter');
      const pub = createClient({ url: ctx.redisUrl });
      await pub.connect();
      try {
        const emitter = new Emitter(pub);
        const before = await ctx.nodes[1].call('packageStats');
        emitter.to('r1').emit('emitted', 1);
        emitter.except('r1').emit('emitted', 2);
        await until(() => ['a1', 'b1'].every((n) => got(ctx.byName[n], 'emitted').length === 1) &&
          ['a2', 'b2', 'c1'].every((n) => got(ctx.byName[n], 'emitted').length === 1), 'the emitted events arrived');
        for (const c of ctx.clients) {
          assert.deepStrictEqual(got(c, 'emitted'), [[['a1', 'b1'].includes(c.name) ? 1 : 2]], c.name);
        }
        if (fanoutAvailable()) {
          const after = await ctx.nodes[1].call('packageStats');
          assert.strictEqual(after.recipients - before.recipients, 2);
        }
      } finally {
        await pub.quit();
      }
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

/**
 * Two nodes on the classic adapter (A official, B as `accelerateB` says),
 * Redis stopped during traffic and started again: what each node still
 * does while Redis is down, and that cross-node delivery resumes. The
 * official adapter leaves the rejection of a PUBLISH to a down Redis
 * unhandled, which ends a process by default: the nodes ignore unhandled
 * rejections, as an application that outlives an outage must.
 */
async function survivesRestart(client, accelerateB) {
  const redis = await startRedis();
  let nodes = [];
  const clients = [];
  try {
    nodes = await startNodes([
      { name: 'A', adapter: 'classic', client, redisUrl: redis.url, greet: false, survive: true },
      { name: 'B', adapter: 'classic', client, redisUrl: redis.url, greet: false, survive: true, accelerate: accelerateB },
    ]);
    const a1 = await connectClient(nodes[0], 'a1');
    const b1 = await connectClient(nodes[1], 'b1');
    clients.push(a1, b1);
    await settle(nodes, clients);
    const traffic = nodes[0].call('broadcastMany', { event: 'load', count: 200, payload: 'x'.repeat(100) });
    await redis.stop();
    await traffic;
    // Redis is down: each node still serves its own clients.
    await nodes[0].call('broadcast', { event: 'down-a', data: [] });
    await nodes[1].call('broadcast', { event: 'down-b', data: [] });
    await until(() => got(a1, 'down-a').length === 1 && got(b1, 'down-b').length === 1, 'local delivery while Redis is down');
    await redis.start();
    let n = 0;
    await until(async () => {
      await nodes[0].call('broadcast', { event: 'after', data: [++n] });
      await nodes[1].call('broadcast', { event: 'after-b', data: [n] });
      return got(b1, 'after').length > 0 && got(a1, 'after-b').length > 0;
    }, 'cross-node delivery resumed', 250);
    const res = await nodes[1].call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
    // Every load message reached a1 (its own node); b1 got an in-order subset of them.
    const loadA = got(a1, 'load').map((args) => args[0]);
    const loadB = got(b1, 'load').map((args) => args[0]);
    return {
      ack: { err: res.err, responses: [...res.responses].sort() },
      loadA: loadA.length,
      loadBInOrder: loadB.every((v, i) => i === 0 || v > loadB[i - 1]),
      downSeenAcross: got(b1, 'down-a').length + got(a1, 'down-b').length,
      stats: await nodes[1].call('packageStats'),
    };
  } finally {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((node) => node.kill()));
    await redis.stop();
  }
}

for (const client of ['redis', 'ioredis']) {
  describe(`@socket.io/redis-adapter (classic, ${client}): Redis restarted during traffic`, { skip: SKIP }, () => {
    it('an accelerated node survives it as an official one does: local delivery goes on, cross-node delivery resumes', async () => {
      const official = await survivesRestart(client, false);
      const mixed = await survivesRestart(client, true);
      for (const out of [official, mixed]) {
        assert.deepStrictEqual(out.ack, { err: null, responses: ['a1', 'b1'] });
        assert.strictEqual(out.loadA, 200);
        assert.strictEqual(out.loadBInOrder, true);
      }
      assert.strictEqual(mixed.downSeenAcross, official.downSeenAcross);
      assert.strictEqual(mixed.stats.accelerated, NATIVE ? true : undefined);
      if (fanoutAvailable()) assert.ok(mixed.stats.framesWritten > 0);
    });
  });
}
