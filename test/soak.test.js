'use strict';

/**
 * Leaks and soak. Each workload runs in a child process started with
 * --expose-gc (test/support/soak-child.js), which measures after full
 * collections: RSS, V8 heap, and the native registries' bytes
 * (nativeMemory()). Bounds are stated here and in docs/reliability.md.
 *
 * - adapter: 1,500,000 join/leave operations and 15,000 connect/disconnect
 *   cycles (as socket.io makes them: own room, two rooms, delAll) straight
 *   through the adapter, with broadcasts in between, in three rounds.
 * - connect: 10,000 real connect/disconnect cycles over loopback websockets,
 *   in batches of 100, with broadcasts in between, ours and stock in
 *   parallel (about 20 s).
 * - leave: N websocket clients connect at once (each server-side socket
 *   with a large socket.data), get broadcasts and leave; every server
 *   Socket must be collectable and the heap back as stock's, ours and stock
 *   in parallel; and the same where the sockets leave a namespace while
 *   their connections stay open.
 * - slow: a websocket client that stops reading while 20,000 broadcasts of
 *   1 KiB go out, ours and stock.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const binding = require('../lib/binding');

const CHILD = path.join(__dirname, 'support', 'soak-child.js');
const MiB = 1024 * 1024;

/**
 * Runs a workload in a child with --expose-gc; kills it after `limitMs`.
 *
 * @param {string[]} args
 * @param {number} limitMs
 * @returns {Promise<any>}
 */
function runChild(args, limitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`soak child ${args.join(' ')} ended with ${code ?? signal}: ${err}`));
        return;
      }
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

test('1.5M join/leave and 15,000 connect/disconnect cycles through the adapter return to baseline', { timeout: 60000 }, async (t) => {
  const r = await runChild(['adapter', 'ours'], 50000);
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.rooms, 0);
  assert.equal(r.sids, 0);
  if (binding.native) {
    // Two namespaces, two registries. Blocks are released exactly; what
    // stays is the tables sized for the peak ids (1,000 sockets, 200 rooms).
    assert.equal(r.after.registries, 2);
    assert.equal(r.after.native, r.baseline.native, 'native bytes after rounds 2 and 3 equal those after round 1');
    assert.equal(r.afterRound2.native, r.baseline.native);
    assert.ok(r.baseline.native - r.before.native <= 64 * 1024, `table growth ${r.baseline.native - r.before.native} B within 64 KiB`);
  }
  assert.ok(r.after.heap - r.baseline.heap <= 2 * MiB, `heap growth ${r.after.heap - r.baseline.heap} B within 2 MiB`);
  assert.ok(r.after.rss - r.baseline.rss <= 16 * MiB, `RSS growth ${r.after.rss - r.baseline.rss} B within 16 MiB`);
});

test('10,000 real connect/disconnect cycles: registry back to baseline, memory as stock', { timeout: 100000 }, async (t) => {
  const [ours, stock] = await Promise.all([
    runChild(['connect', 'ours', '10000'], 90000),
    runChild(['connect', 'stock', '10000'], 90000),
  ]);
  t.diagnostic(`ours ${JSON.stringify(ours)}`);
  t.diagnostic(`stock ${JSON.stringify(stock)}`);
  for (const r of [ours, stock]) {
    assert.equal(r.rooms, 0);
    assert.equal(r.sids, 0);
  }
  if (binding.native) {
    assert.equal(ours.after.registries, 1);
    assert.equal(ours.after.native, ours.baseline.native, 'native bytes back to the baseline');
  }
  // No connection stays registered with the fan-out, no descriptor leaks.
  assert.equal(ours.after.fanoutConnections, 0);
  if (ours.baseline.fds >= 0) assert.ok(ours.after.fds <= ours.baseline.fds, `fds ${ours.baseline.fds} -> ${ours.after.fds}`);
  const grow = (r, key) => r.after[key] - r.baseline[key];
  assert.ok(grow(ours, 'heap') <= grow(stock, 'heap') + 2 * MiB,
    `heap growth ${grow(ours, 'heap')} B within stock's ${grow(stock, 'heap')} B + 2 MiB`);
  assert.ok(grow(ours, 'rss') <= Math.max(grow(stock, 'rss'), 0) + 24 * MiB,
    `RSS growth ${grow(ours, 'rss')} B within stock's ${grow(stock, 'rss')} B + 24 MiB`);
  assert.ok(grow(ours, 'rss') <= 64 * MiB, `RSS growth ${grow(ours, 'rss')} B within 64 MiB`);
});

for (const [sockets, dataBytes] of [[2000, 0], [300, 200 * 1024]]) {
  test(`${sockets} sockets with ${dataBytes} B of socket.data connect, get a broadcast and leave: every Socket is collected, heap back as stock`, { timeout: 120000 }, async (t) => {
    const [ours, stock] = await Promise.all(['ours', 'stock'].map((kind) =>
      runChild(['leave', kind, String(sockets), String(dataBytes)], 100000)));
    const growth = (r) => r.after.heap - r.baseline.heap;
    t.diagnostic(`ours: heap +${growth(ours)} B, ${ours.reachable} of ${sockets} Sockets reachable`);
    t.diagnostic(`stock: heap +${growth(stock)} B, ${stock.reachable} of ${sockets} Sockets reachable`);
    for (const r of [ours, stock]) {
      assert.equal(r.received, r.expected, 'every client got its broadcasts before leaving');
      assert.equal(r.rooms, 0);
      assert.equal(r.sids, 0);
    }
    // socket.io drops every reference to a Socket when it disconnects: stock's
    // are all collectable, and nothing of ours (fan-out caches, room slots,
    // connection entries) may keep one, nor its client, conn or data.
    assert.equal(stock.reachable, 0, 'stock lets go of every Socket');
    assert.equal(ours.reachable, 0, 'every Socket is collectable after it left');
    assert.equal(ours.after.fanoutConnections, 0, 'no connection stays registered with the fan-out');
    // Keeping every Socket would add about 16 MiB (2,000 sockets) or 60 MiB
    // (300 with 200 KiB of data each), far beyond the margin; the reachable
    // count above catches even one.
    const margin = 2 * MiB;
    assert.ok(growth(ours) <= growth(stock) + margin,
      `heap growth ${growth(ours)} B within stock's ${growth(stock)} B + ${margin} B`);
  });
}

test('1,000 sockets with 100 KiB of socket.data leave a namespace while their connections stay open: every Socket is collected, heap as stock', { timeout: 120000 }, async (t) => {
  const [ours, stock] = await Promise.all(['ours', 'stock'].map((kind) =>
    runChild(['leave-namespace', kind, '1000', String(100 * 1024)], 100000)));
  const growth = (r) => r.after.heap - r.baseline.heap;
  t.diagnostic(`ours: heap +${growth(ours)} B, ${ours.reachable} of 1000 Sockets reachable`);
  t.diagnostic(`stock: heap +${growth(stock)} B, ${stock.reachable} of 1000 Sockets reachable`);
  for (const r of [ours, stock]) {
    assert.equal(r.received, r.expected, 'every client got its broadcasts before leaving');
    assert.equal(r.rooms, 0);
    assert.equal(r.sids, 0);
    assert.equal(r.open, 1000, 'the connections stayed open');
  }
  assert.equal(stock.reachable, 0, 'stock lets go of every Socket');
  // The connection stays registered with the native fan-out (it is open);
  // the Socket that left the namespace must not stay with it.
  assert.equal(ours.reachable, 0, 'every Socket is collectable after it left');
  const margin = 2 * MiB;
  assert.ok(growth(ours) <= growth(stock) + margin,
    `heap growth ${growth(ours)} B within stock's ${growth(stock)} B + ${margin} B`);
});

test('a client that stops reading costs what it costs stock, and delays nobody', { timeout: 90000 }, async (t) => {
  const ours = await runChild(['slow', 'ours'], 40000);
  const stock = await runChild(['slow', 'stock'], 40000);
  t.diagnostic(`ours ${JSON.stringify(ours)}`);
  t.diagnostic(`stock ${JSON.stringify(stock)}`);
  for (const r of [ours, stock]) {
    // The reading client got all broadcasts while the other was stalled,
    // and the stalled one got them all once it read again.
    assert.equal(r.fastCount, r.broadcasts);
    assert.equal(r.slowCount, r.broadcasts);
    assert.ok(r.fastOrdered, 'the reading client got them in order');
    assert.ok(r.slowOrdered, 'the stalled client got them in order');
  }
  const stalled = (r) => r.stalled.rss - r.baseline.rss;
  assert.ok(stalled(ours) <= stalled(stock) + 32 * MiB,
    `stalled growth ${stalled(ours)} B within stock's ${stalled(stock)} B + 32 MiB`);
  assert.ok(stalled(ours) <= 8 * ours.bytes, `stalled growth ${stalled(ours)} B within 8x the bytes sent`);
});
