'use strict';

/**
 * accelerate() under @socket.io/redis-adapter's classic adapter with a
 * node-redis subscriber transcodes incoming broadcasts natively
 * (lib/adapters/redis/classic-transcode.js). Mixed-cluster differential
 * test: node A official, node B accelerated, against the same two nodes both
 * official; A publishes the same seeded random broadcasts in the same order
 * (ordinary payloads, payloads with every kind of key and value that the
 * transcoder partly refuses, binary ones, a second namespace, volatile and
 * uncompressed ones), and B's clients must receive the same engine.io
 * packets, byte for byte, in the same order: a websocket client (native
 * fan-out), a polling client (standard path) and a websocket client whose
 * server socket has an onAnyOutgoing listener (standard path; the listener
 * must see the same arguments). Run with socket.io's parser and with this
 * package's. adapterStats() on B counts the transcoded messages and those
 * left to the JS path. Each cluster starts its own redis-server.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { startNodes, connectClient, until, got, settle } = require('./support/cluster');
const binding = require('../lib/binding');
const { available } = require('../lib/adapters/redis/classic-message');

const SKIP = findRedisServer() === null
  ? 'redis-server not found: install it (apt-get install redis-server) to run the Redis cluster tests' : false;
const TRANSCODING = binding.native && available;

/** Client name -> [nsp, rooms, client options] on node B. */
const CLIENTS = {
  ws: ['', ['r1'], {}],
  poll: ['', ['r2'], { transports: ['polling'] }],
  any: ['', ['r1', 'r2'], {}],
  chat: ['/chat', ['r1'], {}],
};

/**
 * Starts Redis, A (official) and B, connects B's clients recording every
 * engine.io message packet they receive, and runs the broadcasts from A.
 *
 * @param {{ accelerate: boolean, parser?: string }} b node B's config
 */
async function run(b) {
  const redis = await startRedis();
  let nodes = [];
  const clients = [];
  try {
    nodes = await startNodes([
      { name: 'A', adapter: 'classic', client: 'redis', redisUrl: redis.url, greet: false, parser: b.parser },
      { name: 'B', adapter: 'classic', client: 'redis', redisUrl: redis.url, greet: false, ...b },
    ]);
    const [A, B] = nodes;
    for (const [name, [nsp, rooms, opts]] of Object.entries(CLIENTS)) {
      const c = await connectClient(B, name, { nsp, ...opts });
      c.raw = [];
      // Every message packet as it came off the wire: text, or binary as hex.
      c.io.engine.on('packet', (p) => {
        if (p.type !== 'message') return;
        // settle()'s probes: how many it takes depends on timing only.
        if (typeof p.data === 'string' && /^2(\/[^,]*,)?\["probe"/.test(p.data)) return;
        c.raw.push(typeof p.data === 'string' ? p.data : `<${Buffer.from(p.data).toString('hex')}>`);
      });
      for (const room of rooms) await c.emitWithAck('join', room);
      clients.push(c);
    }
    await settle([A, B], clients.filter((c) => c.name !== 'chat'));
    await B.call('watchOutgoing', { name: 'any' });
    let marks = 0;
    const barrier = async () => {
      const tag = ++marks;
      await A.call('broadcast', { event: 'mark', data: [tag] });
      await A.call('broadcast', { event: 'mark', data: [tag], nsp: '/chat' });
      await until(() => clients.every((c) => got(c, 'mark').some((a) => a[0] === tag)), `mark ${tag}`);
    };
    // A's publishes reach B in order: after this, no probe of settle() is
    // still on its way to be counted below.
    await barrier();
    const before = await B.call('packageStats');
    await A.call('broadcastRandom', { seed: 11, count: 150, odd: false, binary: 0 });
    await barrier();
    await A.call('broadcastRandom', { seed: 12, count: 150, odd: true, binary: 0.05 });
    await barrier();
    await A.call('broadcastRandom', { seed: 13, count: 60, odd: false, binary: 0.2, nsp: '/chat' });
    await barrier();
    await A.call('broadcast', { event: 'v', data: ['volatile', { a: [1.5, 'é'] }], volatile: true, rooms: ['r1'] });
    await barrier();
    await A.call('broadcast', { event: 'c', data: ['uncompressed', Buffer.from('x').toString('base64')], compress: false });
    await A.call('broadcast', { event: 'l', data: ['local to A only'], local: true });
    await A.call('broadcast', { event: 'e', data: [], except: ['r2'] });
    await barrier();
    const stats = await B.call('packageStats');
    return {
      raw: Object.fromEntries(clients.map((c) => [c.name, c.raw])),
      outgoing: await B.call('outgoing'),
      transcoded: stats.incomingTranscoded === undefined ? undefined : stats.incomingTranscoded - before.incomingTranscoded,
      jsPath: stats.incomingJsPath === undefined ? undefined : stats.incomingJsPath - before.incomingJsPath,
      accelerated: stats.accelerated,
    };
  } finally {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.kill()));
    await redis.stop();
  }
}

for (const parser of [undefined, 'native']) {
  describe(`classic Redis adapter (node-redis), ${parser === 'native' ? "this package's parser" : "socket.io's parser"}: ` +
    'accelerated B against official B', { skip: SKIP }, () => {
    let accelerated;
    let official;
    before(async () => {
      official = await run({ accelerate: false, parser });
      accelerated = await run({ accelerate: true, parser });
    });

    it('delivers the same packets, byte for byte, in the same order', () => {
      // The scenario reached every kind of recipient.
      for (const name of Object.keys(CLIENTS)) assert.ok(official.raw[name].length > 50, name);
      assert.ok(official.raw.ws.some((p) => p.startsWith('<')), 'binary attachments were sent');
      assert.deepStrictEqual(accelerated.raw, official.raw);
    });

    it('gives onAnyOutgoing listeners the same arguments', () => {
      assert.ok(official.outgoing.length > 50);
      assert.deepStrictEqual(accelerated.outgoing, official.outgoing);
    });

    it('counts the transcoded messages in adapterStats()', () => {
      assert.strictEqual(official.transcoded, undefined);
      if (!TRANSCODING) {
        assert.strictEqual(accelerated.transcoded, undefined);
        return;
      }
      // Messages to "/" only: B's "/chat" adapter counts its own. Of the 150
      // + 150 random ones, the marks and the four single broadcasts (the
      // local one never leaves A), the ordinary ones are all transcoded and
      // the odd ones partly refused; none of them is lost between the two.
      const total = 150 + 150 + 5 + 3;
      assert.strictEqual(accelerated.transcoded + accelerated.jsPath, total);
      assert.ok(accelerated.transcoded >= 150 + 5 + 3, JSON.stringify(accelerated));
      assert.ok(accelerated.jsPath > 0, 'some odd payloads took the JS path');
    });
  });
}
