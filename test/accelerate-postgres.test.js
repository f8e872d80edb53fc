'use strict';

/**
 * accelerate() under @socket.io/postgres-adapter, against a real PostgreSQL
 * started by the test (test/support/postgres-process.js: initdb and pg_ctl in
 * a temporary folder, a random loopback port). Node A runs the official
 * adapter, B and C the same adapter through accelerate(); the scenario of
 * test/support/accelerate-scenario.js must give the clients the same events
 * in the same order, and the same answers, as three official nodes, and B
 * must show broadcasts from the other nodes in the native fan-out counters.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const { findPostgresBin, startPostgres } = require('./support/postgres-process');
const { until, got } = require('./support/cluster');
const {
  startScenarioNodes, teardown, checkAccelerated, checkCrossNodeFanout, sameAsOfficial,
} = require('./support/accelerate-scenario');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const SKIP = findPostgresBin() !== null ? false
  : 'PostgreSQL server binaries not found: install them (apt-get install postgresql) to run the Postgres adapter tests';

/**
 * Starts PostgreSQL (with the table the adapter keeps large payloads in) and
 * three nodes, and connects the scenario's clients.
 *
 * @param {number[]} accelerated indexes of the nodes to accelerate
 */
async function cluster(accelerated) {
  const pg = await startPostgres();
  try {
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: pg.url });
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS socket_io_attachments (
        id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`);
    } finally {
      await pool.end();
    }
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return startScenarioNodes(pg, ['A', 'B', 'C'].map((name, i) => ({
    name, adapter: 'postgres', pgUrl: pg.url, greet: false, accelerate: accelerated.includes(i),
  })));
}

describe('@socket.io/postgres-adapter: official node A, accelerated nodes B and C', { skip: SKIP }, () => {
  let ctx;
  before(async () => {
    ctx = await cluster([1, 2]);
  });
  after(() => teardown(ctx));

  it('accelerates B and C (with the addon) and leaves A official', () => checkAccelerated(ctx, 'PostgresAdapter'));

  it('writes broadcasts from the other nodes through the native fan-out', { skip: !fanoutAvailable() && 'no native fan-out' }, async () => {
    const { after: before } = await checkCrossNodeFanout(ctx);
    // A payload above the adapter's 8,000-byte threshold travels through the
    // attachments table: the receiving node reads it back with a query, so a
    // later small message (a marker) may overtake it; wait for it itself.
    await ctx.nodes[0].call('broadcast', { event: 'large', data: ['z'.repeat(9000)], rooms: ['r2'] });
    await until(() => ['b2', 'c1'].every((n) => got(ctx.byName[n], 'large').length === 1), 'b2 and c1 got the large payload');
    const after = await ctx.nodes[1].call('packageStats');
    // B's clients: b2 alone for the large payload.
    assert.strictEqual(after.broadcasts - before.broadcasts, 1);
    assert.strictEqual(after.recipients - before.recipients, 1);
    assert.strictEqual(after.framesWritten - before.framesWritten + after.framesHanded - before.framesHanded, 1);
    const large = ctx.byName.b2.events.filter((e) => e[0] === 'large');
    assert.deepStrictEqual(large, [['large', 'z'.repeat(9000)]]);
  });

  it('gives the same clients the same events in the same order as all-official nodes', () => sameAsOfficial(ctx, () => cluster([])));
});
