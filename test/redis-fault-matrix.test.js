'use strict';

/**
 * The fault matrix of the Redis Streams adapters: each scenario runs on a
 * cluster of official nodes (@socket.io/redis-streams-adapter) and on one
 * of ours (createRedisAdapter), with node-redis and with ioredis, in this
 * file, on a real redis-server started for each run (random loopback port,
 * no persistence). What the clients of the other node received is counted
 * (lost, duplicated, out of order), and ours must do no worse than official
 * on every count and stay up wherever official does:
 *
 * - burst: 5,000 io.emit in one loop with maxLen 1000 (both adapters get the
 *   same small maxLen, so the burst exceeds it five times over);
 * - restart: redis-server killed and started again on the same port while a
 *   node emits every 10 ms;
 * - recovery: one client hopping between two nodes with connection state
 *   recovery while a node emits every 5 ms, non-volatile and volatile events
 *   (volatile ones may be lost, but never duplicated or reordered);
 * - hash: streamCount 4 with /notifications and /dashboard, whose names hash
 *   negative (the official adapter writes them to a stream "socket.io--3"
 *   that no node reads), plus a mixed cluster of one official and one of
 *   our nodes, which must reach each other's clients both ways;
 * - poison: a stream entry whose handling throws (a serverSideEmit whose
 *   listener throws), then ordinary broadcasts.
 *
 * The figures are printed (`# ...` lines) for docs/redis.md. With
 * SOCKET_IO_NATIVE_MATRIX_ACCELERATED=1 each scenario also runs on
 * accelerate(official) nodes, printed only (the design docs/redis.md
 * compares against).
 */

const { describe, it } = require('node:test');
const assert = require('node:assert');
const { createClient } = require('redis');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { startNodes, connectClient, until, got, settle } = require('./support/cluster');

const SKIP = findRedisServer() === null
  ? 'redis-server not found: install it (apt-get install redis-server) to run the Redis fault matrix'
  : false;
const CLIENTS = ['redis', 'ioredis'];
const EXTRA = process.env.SOCKET_IO_NATIVE_MATRIX_ACCELERATED === '1' ? ['accelerated'] : [];

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Node config for an adapter kind: 'official', 'ours', or 'accelerated'
 * (accelerate() over the official factory).
 */
function nodeConfig(kind, name, client, redisUrl, extra) {
  return {
    name, client, redisUrl, greet: false, survive: true,
    adapter: kind === 'ours' ? 'ours' : 'official',
    accelerate: kind === 'accelerated',
    ...extra,
  };
}

/**
 * Starts Redis and nodes, runs `fn`, and always cleans up.
 *
 * @param {(redisUrl: string) => any[]} configs
 * @param {(ctx: { redis: any, nodes: any[] }) => Promise<any>} fn
 */
async function withCluster(configs, fn) {
  const redis = await startRedis();
  let nodes = [];
  try {
    nodes = await startNodes(configs(redis.url));
    return await fn({ redis, nodes });
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
    await redis.stop();
  }
}

/** Waits (bounded) until `count()` has not changed for `quietMs`. */
async function quiet(count, quietMs = 400, maxMs = 15000) {
  const start = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
    await delay(50);
  }
}

/**
 * Lost, duplicated and out-of-order sequence numbers in what a client got.
 *
 * @param {number[]} seqs in arrival order
 * @param {number} expected how many (0 .. expected - 1) were sent
 */
function tally(seqs, expected) {
  const seen = new Set();
  let duplicates = 0;
  let reordered = 0;
  let max = -1;
  for (const s of seqs) {
    if (seen.has(s)) duplicates++;
    else if (s < max) reordered++;
    seen.add(s);
    if (s > max) max = s;
  }
  return { received: seqs.length, lost: expected === null ? 0 : expected - seen.size, duplicates, reordered };
}

/** Whether every node process is still running. */
const allAlive = (nodes) => nodes.every((n) => n.alive);

/**
 * Runs `scenario` on official nodes, on ours (and, when asked, on
 * accelerate(official)), prints the outcomes and requires ours to be no
 * worse than official.
 *
 * @param {string} label
 * @param {(kind: string) => Promise<{ lost: number, duplicates: number, reordered: number, alive: boolean, [k: string]: any }>} scenario
 */
async function compare(label, scenario) {
  const out = {};
  for (const kind of ['official', 'ours', ...EXTRA]) {
    out[kind] = await scenario(kind);
    console.log(`# ${label} ${kind}: ${JSON.stringify(out[kind])}`);
  }
  const { official, ours } = out;
  if (official.alive) assert.strictEqual(ours.alive, true, `${label}: a node of ours died where official survived`);
  for (const key of ['lost', 'duplicates', 'reordered']) {
    assert.ok(ours[key] <= official[key], `${label}: ours ${key} ${ours[key]} > official ${official[key]}`);
  }
  return out;
}

/** A burst of 5,000 broadcasts with maxLen 1000, from A; b1 on B counts. */
async function burst(kind, client) {
  const COUNT = 5000;
  return withCluster((url) => ['A', 'B'].map((n) => nodeConfig(kind, n, client, url, { adapterOpts: { maxLen: 1000 } })), async ({ nodes }) => {
    const a1 = await connectClient(nodes[0], 'a1');
    const b1 = await connectClient(nodes[1], 'b1');
    await settle(nodes, [a1, b1]);
    await nodes[0].call('broadcastMany', { event: 'burst', count: COUNT, payload: 'x'.repeat(40) });
    await until(() => got(a1, 'burst').length === COUNT, 'the local client got the burst');
    await quiet(() => got(b1, 'burst').length);
    const stats = await nodes[1].call('redisStats');
    const res = { ...tally(got(b1, 'burst').map((a) => a[0]), COUNT), alive: allAlive(nodes) };
    if (stats) res.missedReported = stats.missed;
    a1.disconnect();
    b1.disconnect();
    return res;
  });
}

/** Redis killed and restarted during 300 broadcasts from A, one every 10 ms. */
async function restart(kind, client) {
  const COUNT = 300;
  return withCluster((url) => ['A', 'B'].map((n) => nodeConfig(kind, n, client, url)), async ({ redis, nodes }) => {
    const a1 = await connectClient(nodes[0], 'a1');
    const b1 = await connectClient(nodes[1], 'b1');
    await settle(nodes, [a1, b1]);
    const traffic = nodes[0].call('emitPaced', { event: 'tick', count: COUNT, intervalMs: 10 });
    await delay(600);
    await redis.stop();
    await delay(800);
    await redis.start();
    await traffic;
    await until(() => got(a1, 'tick').length === COUNT, 'the local client got every tick');
    await quiet(() => got(b1, 'tick').length, 1500, 20000);
    const res = { ...tally(got(b1, 'tick').map((a) => a[0]), COUNT), alive: allAlive(nodes) };
    a1.disconnect();
    b1.disconnect();
    return res;
  });
}

/**
 * One client hopping between A and B with connection state recovery while
 * A emits "ev" every 5 ms and every second one also as volatile "ev-v".
 */
async function recovery(kind, client) {
  const COUNT = 500;
  return withCluster((url) => ['A', 'B'].map((n) => nodeConfig(kind, n, client, url, { recovery: true })), async ({ redis: server, nodes }) => {
    const redis = createClient({ url: server.url });
    redis.on('error', () => {});
    await redis.connect();
    const probe = await connectClient(nodes[1], 'probe');
    await settle(nodes, [probe]);
    probe.disconnect();
    // Every incarnation of the client, in order; each records what it got
    // from before its CONNECT packet (replayed packets come first).
    const incarnations = [await connectClient(nodes[0], 'hopper')];
    const traffic = nodes[0].call('emitPaced', { event: 'ev', count: COUNT, intervalMs: 5, volatileEvery: 2 });
    let done = false;
    traffic.then(() => { done = true; }, () => { done = true; });
    let hops = 0;
    let notRecovered = 0;
    let offset = null;
    for (let i = 0; i < 40 && !done; i++) {
      await delay(150);
      const sock = incarnations[incarnations.length - 1];
      const { _pid: pid, id } = sock;
      // The offset of the last non-volatile event this incarnation got.
      for (const e of sock.events) if (e[0] === 'ev' && typeof e[e.length - 1] === 'string') offset = e[e.length - 1];
      sock.io.engine.close();
      // The node persists the session when it sees the close; the client
      // turns up elsewhere once it is in Redis (before, either adapter gives
      // it a new session, which is not what is measured here).
      await until(async () => (await redis.exists(`sio:session:${pid}`)) === 1, 'the session was persisted');
      const next = await connectClient(nodes[++hops % 2], 'hopper', { auth: { name: 'hopper', pid, offset } });
      // A recovered session keeps its socket id.
      if (next.id !== id) notRecovered++;
      incarnations.push(next);
    }
    await traffic;
    const all = () => incarnations.reduce((n, s) => n + s.events.length, 0);
    await quiet(all, 800);
    incarnations[incarnations.length - 1].disconnect();
    await redis.quit();
    const events = incarnations.flatMap((s) => s.events);
    const seqs = (ev) => events.filter((e) => e[0] === ev).map((e) => e[1]);
    const nv = tally(seqs('ev'), COUNT);
    const v = tally(seqs('ev-v'), null);
    return {
      lost: nv.lost, duplicates: nv.duplicates + v.duplicates, reordered: nv.reordered + v.reordered,
      volatileReceived: v.received, hops, notRecovered, alive: allAlive(nodes),
    };
  });
}

const HASH_NSPS = ['/notifications', '/dashboard'];

/** streamCount 4: broadcasts into namespaces that hash negative, from A to B and from B to A. */
async function hash(kinds, client) {
  const PER = 5;
  return withCluster((url) => ['A', 'B'].map((n, i) => nodeConfig(kinds[i], n, client, url,
    { adapterOpts: { streamCount: 4 }, namespaces: HASH_NSPS })), async ({ nodes }) => {
    const a1 = await connectClient(nodes[0], 'a1');
    const b1 = await connectClient(nodes[1], 'b1');
    await settle(nodes, [a1, b1]);
    const far = [];
    for (const nsp of HASH_NSPS) {
      // Each client counts what the other node sent (its own node's copies are local).
      far.push({ event: 'h-A', to: await connectClient(nodes[1], `b-${nsp}`, { nsp }) });
      far.push({ event: 'h-B', to: await connectClient(nodes[0], `a-${nsp}`, { nsp }) });
    }
    for (let i = 0; i < PER; i++) {
      for (const nsp of HASH_NSPS) {
        await nodes[0].call('broadcast', { nsp, event: 'h-A', data: [i] });
        await nodes[1].call('broadcast', { nsp, event: 'h-B', data: [i] });
      }
    }
    await quiet(() => far.reduce((n, f) => n + got(f.to, f.event).length, 0), 500, 5000);
    const total = { received: 0, lost: 0, duplicates: 0, reordered: 0 };
    for (const f of far) {
      const t = tally(got(f.to, f.event).map((a) => a[0]), PER);
      for (const k of Object.keys(total)) total[k] += t[k];
      f.to.disconnect();
    }
    a1.disconnect();
    b1.disconnect();
    return { ...total, alive: allAlive(nodes) };
  });
}

/** A stream entry whose handling throws, then 20 broadcasts from A. */
async function poison(kind, client) {
  const COUNT = 20;
  return withCluster((url) => ['A', 'B'].map((n) => nodeConfig(kind, n, client, url)), async ({ redis, nodes }) => {
    const a1 = await connectClient(nodes[0], 'a1');
    const b1 = await connectClient(nodes[1], 'b1');
    await settle(nodes, [a1, b1]);
    const raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    await raw.connect();
    try {
      await raw.sendCommand(['XADD', 'socket.io', '*', 'uid', 'someone-else', 'nsp', '/', 'type', '9',
        'data', JSON.stringify({ packet: ['throw-here'] })]);
    } finally {
      await raw.quit();
    }
    for (let i = 0; i < COUNT; i++) await nodes[0].call('broadcast', { event: 'after', data: [i] });
    await quiet(() => got(b1, 'after').length, 500, 5000);
    const res = { ...tally(got(b1, 'after').map((a) => a[0]), COUNT), alive: allAlive(nodes) };
    a1.disconnect();
    b1.disconnect();
    return res;
  });
}

describe('Redis Streams fault matrix: ours never worse than @socket.io/redis-streams-adapter', { skip: SKIP }, () => {
  for (const client of CLIENTS) {
    it(`burst of 5,000 broadcasts over maxLen 1000 (${client})`, async () => {
      const out = await compare(`burst ${client}`, (kind) => burst(kind, client));
      // Ours paces its publishing to its readers: nothing is trimmed unread.
      assert.strictEqual(out.ours.lost, 0);
    });

    it(`redis-server killed and restarted during traffic (${client})`, async () => {
      await compare(`restart ${client}`, (kind) => restart(kind, client));
    });

    it(`connection state recovery across nodes under traffic (${client})`, async () => {
      const out = await compare(`recovery ${client}`, (kind) => recovery(kind, client));
      assert.ok(out.ours.hops > 3, 'the client hopped several times');
      assert.strictEqual(out.ours.duplicates, 0);
      assert.strictEqual(out.ours.reordered, 0);
    });

    it(`streamCount 4, namespaces whose names hash negative (${client})`, async () => {
      const out = await compare(`hash ${client}`, (kind) => hash([kind, kind], client));
      assert.strictEqual(out.ours.lost, 0);
    });

    it(`a stream entry whose handling throws, then broadcasts (${client})`, async () => {
      const out = await compare(`poison ${client}`, (kind) => poison(kind, client));
      assert.strictEqual(out.ours.lost, 0);
    });
  }

  it('streamCount 4 in a mixed cluster: official and our nodes reach each other in namespaces that hash negative', async () => {
    const mixed = await hash(['official', 'ours'], 'redis');
    console.log(`# hash mixed official+ours: ${JSON.stringify(mixed)}`);
    assert.deepStrictEqual(mixed, { received: 20, lost: 0, duplicates: 0, reordered: 0, alive: true });
  });
});
