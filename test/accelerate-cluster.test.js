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
const { startNodeCluster } = require('./support/node-cluster');
const {
  connectCluster, teardown, checkAccelerated, checkCrossNodeFanout, sameAsOfficial,
} = require('./support/accelerate-scenario');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

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

  it('accelerates B and C (with the addon) and leaves A official', () => checkAccelerated(ctx, 'NodeClusterAdapter'));

  it('writes broadcasts from the other workers through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' },
    () => checkCrossNodeFanout(ctx));

  it('gives the same clients the same events in the same order as all-official workers', () => sameAsOfficial(ctx, () => cluster([])));
});
