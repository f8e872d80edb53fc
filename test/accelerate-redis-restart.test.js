'use strict';

/**
 * Redis killed and restarted on the same port in the middle of traffic,
 * under @socket.io/redis-adapter's classic and sharded adapters, with
 * node-redis and with ioredis: the same scenario on an all-official cluster
 * and on a mixed one (official node A, accelerated nodes B and C), each with
 * its own redis-server on a random loopback port.
 *
 * The scenario: the clients of test/support/accelerate-scenario.js; traffic
 * from A and from C delivered in full; then A and C broadcasting a numbered
 * stream, Redis killed once another node's client has part of it, every
 * node waits until its Redis clients have seen the loss; each node
 * broadcasts while Redis is down; Redis restarted on the same port; once
 * every node delivers to every other again, the accelerate-scenario (room
 * broadcasts from every node, acks with timeouts, fetchSockets,
 * socketsJoin/Leave, serverSideEmit, disconnectSockets).
 *
 * Required of the mixed cluster, against the official one: no node exits;
 * what the clients got before and during the outage, and how much of it was
 * lost, is the same, except for the stream in flight when Redis died, which
 * depends on how far Redis got before the kill: of that, each client must get
 * a subsequence without duplicates (in order with the classic adapter), all
 * of its own node's, and an accelerated node's clients exactly the
 * broadcasts that reached its local layer (its counters), so the layer lost
 * nothing the official adapter handed it; after the restart, the same events in the same order and the same
 * answers. The nodes' clients fail commands at once while disconnected
 * (offlineQueue: false in cluster-node.js): with an offline queue, whether a
 * broadcast of the outage reaches another node depends on which of two
 * connections reconnects first, in either cluster.
 */

const { describe, it } = require('node:test');
const assert = require('node:assert');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { until, got, settle } = require('./support/cluster');
const {
  LAYOUT, startScenarioNodes, teardown, barrier, scenario, checkOutcome,
} = require('./support/accelerate-scenario');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const HAVE_REDIS = findRedisServer() !== null;
const SKIP = HAVE_REDIS ? false
  : 'redis-server not found: install it (apt-get install redis-server) to run the Redis restart tests';

/** Numbered broadcasts A and C send before the outage, and while Redis is killed. */
const BEFORE = 50;
const IN_FLIGHT = 2000;
/** The in-flight stream's broadcasts per event-loop turn. */
const BURST = 5;

/**
 * What a client got of the numbered stream `event`: how many, how many are
 * missing, and whether they came in order without duplicates.
 */
function stream(client, event, count) {
  const seen = got(client, event).map((args) => args[0]);
  return {
    got: seen.length,
    lost: count - new Set(seen).size,
    ordered: seen.every((v, i) => i === 0 || v > seen[i - 1]),
  };
}

/**
 * The fan-out counters of the node's local layer, or null when the node
 * has none (official, or no addon).
 */
async function counters(node) {
  const st = await node.call('packageStats');
  return st && st.fanout ? { broadcasts: st.broadcasts, recipients: st.recipients } : null;
}

/** Waits until every Redis client of every node is (or is not) ready. */
async function redisReady(nodes, ready, what) {
  await until(async () => {
    const states = await Promise.all(nodes.map((n) => n.call('redisReady')));
    return states.every((s) => s.length > 0 && s.every((r) => r === ready));
  }, what, 500);
}

/**
 * Runs the scenario on a fresh Redis and three nodes.
 *
 * @param {'classic' | 'sharded'} adapter
 * @param {'redis' | 'ioredis'} client
 * @param {number[]} accelerated indexes of the nodes to accelerate
 */
async function restartRun(adapter, client, accelerated) {
  const redis = await startRedis();
  const ctx = await startScenarioNodes(redis, ['A', 'B', 'C'].map((name, i) => ({
    name, adapter, client, redisUrl: redis.url, greet: false, survive: true, offlineQueue: false,
    accelerate: accelerated.includes(i),
  })));
  const nodes = ctx.nodes;
  try {
    const [A, , C] = nodes;
    const out = { before: {}, inFlight: {}, down: {}, accounted: {}, alive: null, after: null };

    // Traffic across nodes, delivered in full.
    await Promise.all([
      A.call('broadcastMany', { event: 'before-a', count: BEFORE, payload: 'a' }),
      C.call('broadcastMany', { event: 'before-c', count: BEFORE, payload: 'c' }),
    ]);
    await barrier(ctx, A);
    await barrier(ctx, C);
    for (const c of ctx.clients) {
      out.before[c.name] = [stream(c, 'before-a', BEFORE), stream(c, 'before-c', BEFORE)];
    }

    // Streams from A and C; Redis killed once b1 (on a node of its own) has
    // some of both, then every node waits until its clients saw it go.
    const start = await Promise.all(nodes.map(counters));
    const traffic = Promise.all([
      A.call('broadcastSpread', { event: 'load-a', count: IN_FLIGHT, burst: BURST, payload: 'x'.repeat(100) }),
      C.call('broadcastSpread', { event: 'load-c', count: IN_FLIGHT, burst: BURST, payload: 'y'.repeat(100) }),
    ]);
    await until(() => got(ctx.byName.b1, 'load-a').length >= 20 && got(ctx.byName.b1, 'load-c').length >= 20,
      'b1 got part of both streams', 1000);
    await redis.stop();
    await traffic;
    await redisReady(nodes, false, 'every node saw Redis go');
    // Every command of the streams has failed or been written: the local
    // deliveries that wait for their publish (the sharded adapter's) are done
    // and nothing is resent once Redis is back.
    await until(async () => (await Promise.all(nodes.map((n) => n.call('redisPending')))).every((p) => p === 0),
      'no Redis command left pending', 500);

    // While Redis is down: each node still serves its own clients; the
    // broadcast cannot reach the others (the publish fails at once).
    const end = await Promise.all(nodes.map(counters));
    for (const node of nodes) await node.call('broadcast', { event: 'down', data: [node.name] });
    await until(() => ctx.clients.every((c) => got(c, 'down').some((a) => a[0] === nodes[LAYOUT[c.name]].name)),
      'every client got its own node\'s broadcast while Redis was down');
    // Each client's connection delivers in order: by now it has everything
    // its node delivered before, the in-flight streams included.
    for (const c of ctx.clients) {
      out.inFlight[c.name] = [stream(c, 'load-a', IN_FLIGHT), stream(c, 'load-c', IN_FLIGHT)];
      out.down[c.name] = got(c, 'down').map((a) => a[0]);
    }
    // An accelerated node's clients got every broadcast its local layer
    // delivered (each of them reaches every client of the node).
    nodes.forEach((node, i) => {
      if (start[i] === null) return;
      const mine = ctx.clients.filter((c) => LAYOUT[c.name] === i);
      const broadcasts = end[i].broadcasts - start[i].broadcasts;
      out.accounted[node.name] = {
        broadcasts,
        recipients: end[i].recipients - start[i].recipients,
        received: mine.map((c) => out.inFlight[c.name][0].got + out.inFlight[c.name][1].got),
        expected: mine.map(() => broadcasts),
        expectedRecipients: broadcasts * mine.length,
      };
    });

    // Redis back on the same port: once every node delivers to every other
    // again, the accelerate-scenario.
    await redis.start();
    await redisReady(nodes, true, 'every node reconnected to Redis');
    await settle(nodes, ctx.clients);
    out.after = await scenario(ctx);
    out.alive = nodes.map((n) => n.alive);
    return out;
  } finally {
    await teardown(ctx);
  }
}

for (const adapter of ['classic', 'sharded']) {
  for (const client of ['redis', 'ioredis']) {
    const name = adapter === 'classic' ? '@socket.io/redis-adapter' : '@socket.io/redis-adapter createShardedAdapter';
    describe(`${name} (${client}): Redis restarted during traffic`, { skip: SKIP }, () => {
      it('a mixed cluster loses no more than an all-official one and delivers as it does after the restart', async (t) => {
        const official = await restartRun(adapter, client, []);
        const mixed = await restartRun(adapter, client, [1, 2]);
        for (const [label, out] of [['official', official], ['mixed', mixed]]) {
          t.diagnostic(`${label}: in-flight lost (load-a, load-c) per client: ${Object.entries(out.inFlight)
            .map(([c, [a, b]]) => `${c} ${a.lost}/${b.lost}${a.ordered && b.ordered ? '' : ' (out of order)'}`).join(', ')}`);
        }
        for (const [label, out] of [['official', official], ['mixed', mixed]]) {
          assert.deepStrictEqual(out.alive, [true, true, true], label);
          // Before the outage, everything arrived.
          for (const [c, s] of Object.entries(out.before)) {
            assert.deepStrictEqual(s, [{ got: BEFORE, lost: 0, ordered: true }, { got: BEFORE, lost: 0, ordered: true }], c);
          }
          for (const [c, [a, b]] of Object.entries(out.inFlight)) {
            // The classic adapter delivers locally at once and publishes on
            // one connection: every client gets each stream in order. The
            // sharded one (socket.io-adapter's ClusterAdapter) delivers
            // locally when the publish settles, and a publish in flight when
            // the connection died settles after later ones that failed at
            // once (ioredis resends it on reconnection): its own clients may
            // get the stream out of order, on official nodes too.
            if (adapter === 'classic') assert.ok(a.ordered && b.ordered, `${label} ${c}: in order ${JSON.stringify([a, b])}`);
            assert.ok(a.got === IN_FLIGHT - a.lost && b.got === IN_FLIGHT - b.lost, `${label} ${c}: no duplicates`);
            // A node's own broadcasts reach its clients whatever Redis does.
            if (LAYOUT[c] === 0) assert.strictEqual(a.lost, 0, `${c}: all of its own node's stream`);
            if (LAYOUT[c] === 2) assert.strictEqual(b.lost, 0, `${c}: all of its own node's stream`);
          }
          checkOutcome(out.after);
        }
        // During the outage both lose the same: every broadcast that had to
        // cross Redis, and only those.
        assert.deepStrictEqual(mixed.down, official.down);
        assert.deepStrictEqual(mixed.down, { a1: ['A'], a2: ['A'], b1: ['B'], b2: ['B'], c1: ['C'] });
        assert.deepStrictEqual(mixed.before, official.before);
        // After the restart: the same events in the same order, the same answers.
        assert.deepStrictEqual(mixed.after, official.after);
        // The accelerated nodes' local layer delivered, to every client, every
        // broadcast the official adapter handed it.
        assert.deepStrictEqual(Object.keys(official.accounted), []);
        assert.deepStrictEqual(Object.keys(mixed.accounted), fanoutAvailable() ? ['B', 'C'] : []);
        for (const acc of Object.values(mixed.accounted)) {
          assert.deepStrictEqual(acc.received, acc.expected);
          assert.strictEqual(acc.recipients, acc.expectedRecipients);
          assert.ok(acc.broadcasts > 0);
        }
      });
    });
  }
}
