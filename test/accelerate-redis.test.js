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
 * Redis restarted during traffic: test/accelerate-redis-restart.test.js.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { until, got } = require('./support/cluster');
const {
  startScenarioNodes, teardown, scenario, checkOutcome, checkAccelerated, checkCrossNodeFanout,
} = require('./support/accelerate-scenario');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const HAVE_REDIS = findRedisServer() !== null;
const SKIP = HAVE_REDIS ? false
  : 'redis-server not found: install it (apt-get install redis-server) to run the Redis cluster tests';

/**
 * Starts Redis and three nodes, and connects the scenario's clients.
 *
 * @param {any[]} configs one per node
 */
async function cluster(configs) {
  const redis = await startRedis();
  const ctx = await startScenarioNodes(redis, configs.map((c) => ({ redisUrl: redis.url, greet: false, ...c })));
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

    it('accelerates B and C (with the addon) and leaves A official', () => checkAccelerated(ctx, KINDS[adapter][1]));

    it('writes broadcasts from the other nodes through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' }, async () => {
      const { before, after } = await checkCrossNodeFanout(ctx);
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
