'use strict';

/**
 * Slow readers: clients that stop reading their socket in the middle of a
 * burst of broadcasts and resume later. Stock socket.io and this package run
 * the same scenario in the same test (bench/slow-reader.bench.js's runCase:
 * the server in a child process, raw websocket clients on loopback that
 * check every message byte for byte and in order). Both must deliver every
 * message to every client, and this package's server must not grow
 * unboundedly: its peak RSS growth stays within a generous bound made of
 * stock's growth in the same run and of the bytes the paused clients left
 * outstanding. No timing is asserted.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const { runCase } = require('../bench/slow-reader.bench.js');
const { expectedPayload } = require('../bench/support/slow-payload');

test('clients paused mid-burst get every frame byte-exact and in order; memory stays bounded', {
  skip: process.platform !== 'linux' && 'reads /proc for the peak RSS',
  timeout: 240000,
}, async (t) => {
  const c = {
    name: 'mid-burst',
    clients: 20,
    pausedShare: 0.5,
    // 600 x 16 KB: about 9.6 MB per client, more than loopback buffers for
    // a client that stops reading, so the server holds the rest.
    messages: 600,
    size: 16 * 1024,
    perTurn: 20,
    // The paused clients stop after 100 messages, while the server is
    // still emitting (20 per event-loop turn, 30 turns).
    pauseAt: 100,
  };
  const opts = { pauseMs: 1500, timeoutMs: 120000, allowFallback: true };
  const stock = await runCase(c, 'stock', opts);
  const ours = await runCase(c, 'native', opts);
  const summary = (r) => ({ paused: r.paused, complete: r.complete, framesReceived: r.framesReceived,
    missing: r.missing, bad: r.bad, closed: r.closed, errors: r.errors, error: r.error, timedOut: r.timedOut });
  t.diagnostic(`stock: RSS +${stock.rssGrowthMB} MB (${stock.peakFrom}), ours: RSS +${ours.rssGrowthMB} MB ` +
    `(${ours.peakFrom}), fan-out ${JSON.stringify(ours.fanout)}`);
  const expected = { paused: 10, complete: 20, framesReceived: 20 * 600, missing: 0, bad: 0, closed: 0, errors: [],
    error: undefined, timedOut: undefined };
  assert.deepEqual(summary(stock), expected);
  assert.deepEqual(summary(ours), summary(stock));
  // Bytes the paused clients had not read when they paused: what any server
  // must hold somewhere (socket buffers, the kernel's or its own).
  let frameBytes = 0;
  for (let seq = c.pauseAt; seq < c.messages; seq++) frameBytes += expectedPayload(seq, c.size).length + 4;
  const outstandingMB = (10 * frameBytes) / 1048576;
  const boundMB = Math.max(3 * stock.rssGrowthMB, stock.rssGrowthMB + outstandingMB) + 32;
  assert.ok(ours.rssGrowthMB <= boundMB,
    `ours grew ${ours.rssGrowthMB} MB; stock ${stock.rssGrowthMB} MB, outstanding ${outstandingMB.toFixed(1)} MB, ` +
    `bound ${boundMB.toFixed(1)} MB`);
  if (ours.fanout !== null) {
    // The scenario reached what it is about: the native fan-out wrote, and
    // paused clients' sockets filled up, so bytes went back to JS.
    assert.ok(ours.fanout.framesWritten > 0, 'the native fan-out wrote');
    assert.ok(ours.fanout.handedPartial > 0 || ours.fanout.handedBusy > 0, 'full sockets handed bytes to JS');
  }
});
