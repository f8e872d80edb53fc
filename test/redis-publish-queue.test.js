'use strict';

/**
 * The Redis adapter's publish queue on a stand-in client with node-redis's
 * shape (no Redis needed): entries wait in order while the client is not
 * ready, the bound drops the oldest and counts it, a failed append is sent
 * again once in its place, and pacing holds appends back until every
 * counted reader has read them. The same behaviour over a real Redis is in
 * test/redis-fault-matrix.test.js.
 */

const { describe, it } = require('node:test');
const assert = require('node:assert');
const { RedisPublishQueue, compareIds } = require('../lib/adapters/redis/redis-publish-queue');

/** A node-redis look-alike whose XADD answers ids "1-<n>" (or fails when told). */
function fakeClient() {
  const client = {
    isReady: true,
    sent: /** @type {string[]} */ ([]),
    failNext: 0,
    n: 0,
    sSubscribe() {},
    xAdd(stream, id, fields) {
      if (client.failNext > 0) {
        client.failNext--;
        return Promise.reject(new Error('connection lost'));
      }
      client.sent.push(fields.v);
      return Promise.resolve(`1-${++client.n}`);
    },
  };
  return client;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Redis publish queue', () => {
  it('holds entries while the client is not ready and sends them in order once it is', async () => {
    const client = fakeClient();
    const q = new RedisPublishQueue(client, { maxLen: 1000, maxQueued: 100 });
    const ids = [];
    client.isReady = false;
    for (let i = 0; i < 5; i++) q.push('s', { v: String(i) }, (err, id) => ids.push(err ? err.code : id));
    await tick();
    assert.deepStrictEqual(client.sent, []);
    client.isReady = true;
    // A push while older entries wait goes behind them.
    q.push('s', { v: '5' }, (err, id) => ids.push(err ? err.code : id));
    await new Promise((r) => setTimeout(r, 60));
    assert.deepStrictEqual(client.sent, ['0', '1', '2', '3', '4', '5']);
    assert.deepStrictEqual(ids, ['1-1', '1-2', '1-3', '1-4', '1-5', '1-6']);
    assert.strictEqual(q.queued, 6);
    assert.strictEqual(q.dropped, 0);
    q.stop();
  });

  it('drops the oldest entry past maxQueued, counted, and tells its owner', async () => {
    const client = fakeClient();
    const q = new RedisPublishQueue(client, { maxLen: 1000, maxQueued: 3 });
    const outcome = [];
    client.isReady = false;
    for (let i = 0; i < 5; i++) q.push('s', { v: String(i) }, (err) => outcome.push(`${i}:${err ? err.code : 'ok'}`));
    client.isReady = true;
    await new Promise((r) => setTimeout(r, 60));
    assert.deepStrictEqual(client.sent, ['2', '3', '4']);
    assert.strictEqual(q.dropped, 2);
    assert.deepStrictEqual(outcome.slice(0, 2), ['0:ERR_SOCKET_IO_NATIVE_REDIS_UNAVAILABLE', '1:ERR_SOCKET_IO_NATIVE_REDIS_UNAVAILABLE']);
    q.stop();
  });

  it('sends an entry that failed with the connection once more, in its place; a second failure drops it', async () => {
    const client = fakeClient();
    const q = new RedisPublishQueue(client, { maxLen: 1000, maxQueued: 100 });
    // The connection drops with the entry in flight: the client is not ready when the failure arrives.
    const dropConnection = (n) => {
      const xAdd = client.xAdd;
      client.xAdd = (...args) => {
        if (n-- <= 0) return xAdd(...args);
        client.isReady = false;
        setTimeout(() => { client.isReady = true; }, 30);
        return Promise.reject(new Error('connection lost'));
      };
    };
    dropConnection(1);
    let held = 0;
    q.push('s', { v: 'a' }, () => {}, () => held++);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(client.sent, ['a']);
    assert.strictEqual(held, 1);
    assert.strictEqual(q.dropped, 0);
    dropConnection(2);
    let failed = null;
    q.push('s', { v: 'b' }, (err) => { failed = err; });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(client.sent, ['a']);
    assert.strictEqual(q.dropped, 1);
    assert.ok(failed instanceof Error);
    // A failure while the client is ready (an error reply) is not sent again.
    client.failNext = 1;
    q.push('s', { v: 'c' }, () => {});
    await new Promise((r) => setTimeout(r, 60));
    assert.deepStrictEqual(client.sent, ['a']);
    assert.strictEqual(q.dropped, 2);
    q.stop();
  });

  it('paces a tracked stream to its slowest counted reader (maxLen / 8 entries ahead)', async () => {
    const client = fakeClient();
    const q = new RedisPublishQueue(client, { maxLen: 80, maxQueued: 1000 });
    q.track('s');
    for (let i = 0; i < 30; i++) q.push('s', { v: String(i) }, () => {});
    await tick();
    assert.strictEqual(client.sent.length, 10);
    // The own reader read 5 of them: 5 more may go.
    q.read('s', '1-5');
    await tick();
    assert.strictEqual(client.sent.length, 15);
    // Another node's reader reports it is behind: nothing more until it reads on.
    q.progress('s', 'aaaaaaaaaaaaaaaa', '1-5');
    q.read('s', '1-15');
    await tick();
    assert.strictEqual(client.sent.length, 15);
    q.progress('s', 'aaaaaaaaaaaaaaaa', '1-15');
    await tick();
    assert.strictEqual(client.sent.length, 25);
    // A reader that stops reporting stops counting after a while; a reader
    // that is down does not hold anything back.
    q.readerDown('s');
    await new Promise((r) => setTimeout(r, 60));
    assert.strictEqual(client.sent.length, 30);
    q.stop();
  });

  it('compares stream ids numerically', () => {
    assert.ok(compareIds('10-0', '9-5') > 0);
    assert.ok(compareIds('9-10', '9-9') > 0);
    assert.strictEqual(compareIds('7-3', '7-3'), 0);
    assert.ok(compareIds('1700000000000-0', '1700000000001-0') < 0);
  });
});
