'use strict';

/**
 * accelerate() under @socket.io/cluster-adapter: a node:cluster primary with
 * the adapter's setupPrimary() and three workers, each a socket.io server on
 * its own loopback port (test/support/node-cluster.js). Worker A runs the
 * official adapter, B and C the same adapter through accelerate(); the
 * scenario of test/support/accelerate-scenario.js must give the clients the
 * same events in the same order, and the same answers, as three official
 * workers, and B must show broadcasts from the other workers in the native
 * fan-out counters.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const { startNodeCluster } = require('./support/node-cluster');
const { connectCluster, teardown, barrier, scenario, checkOutcome } = require('./support/accelerate-scenario');
const binding = require('../lib/binding');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const NATIVE = binding.native && binding.addon.registry != null;

/**
 * @param {number[]} accelerated indexes of the workers to accelerate
 */
async function cluster(accelerated) {
  const configs = ['A', 'B', 'C'].map((name, i) => ({
    name, adapter: 'node-cluster', greet: false, accelerate: accelerated.includes(i),
  }));
  const { nodes, kill } = await startNodeCluster(configs);
  return connectCluster(nodes, kill);
}

describe('@socket.io/cluster-adapter: official worker A, accelerated workers B and C', () => {
  let ctx;
  before(async () => {
    ctx = await cluster([1, 2]);
  });
  after(() => teardown(ctx));

  it('accelerates B and C (with the addon) and leaves A official', async () => {
    const [a, b] = await Promise.all([ctx.nodes[0].call('packageStats'), ctx.nodes[1].call('packageStats')]);
    assert.strictEqual(a.accelerated, undefined);
    assert.strictEqual(b.accelerated, NATIVE ? true : undefined);
    const kind = await ctx.nodes[1].call('adapterKind');
    assert.strictEqual(kind.name, 'NodeClusterAdapter');
    assert.strictEqual(kind.native, NATIVE);
  });

  it('writes broadcasts from the other workers through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' }, async () => {
    const before = await ctx.nodes[1].call('packageStats');
    await ctx.nodes[0].call('broadcast', { event: 'from-a', data: ['x'] });
    await barrier(ctx, ctx.nodes[0]);
    await ctx.nodes[2].call('broadcast', { event: 'from-c', data: ['y'], rooms: ['r1'] });
    await barrier(ctx, ctx.nodes[2]);
    const after = await ctx.nodes[1].call('packageStats');
    assert.strictEqual(after.broadcasts - before.broadcasts, 4);
    assert.strictEqual(after.recipients - before.recipients, 2 + 2 + 1 + 2);
    assert.ok(after.framesWritten - before.framesWritten > 0);
  });

  it('gives the same clients the same events in the same order as all-official workers', async () => {
    const mixed = await scenario(ctx);
    checkOutcome(mixed);
    const officialCtx = await cluster([]);
    let official;
    try {
      official = await scenario(officialCtx);
    } finally {
      await teardown(officialCtx);
    }
    checkOutcome(official);
    assert.deepStrictEqual(mixed, official);
  });
});
