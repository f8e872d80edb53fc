'use strict';

/**
 * Redis faults, run on a cluster of official @socket.io/redis-streams-adapter
 * nodes and on one of createRedisAdapter() nodes, with node-redis and with
 * ioredis, in this one file: the same input must reach the same clients,
 * and our nodes must never crash where the official ones do not (where the
 * official nodes crash or stop delivering, ours must still run and deliver).
 *
 * - Hostile input: a table of raw PUBLISH and XADD payloads that anybody
 *   with access to the Redis server can send, and a serverSideEmit whose
 *   listener throws. Nodes are child processes; after each row both must
 *   still be running and still deliver across nodes (stream and pub/sub).
 * - Another application on the same Redis with @socket.io/redis-adapter or
 *   @socket.io/redis-emitter and the default keys: none of its traffic
 *   reaches our clients, as with the official adapter.
 * - Namespaces closed while they subscribe and created again at once
 *   (cleanupEmptyChildNamespaces, a middleware refusing the first attempt,
 *   an immediate retry): the new namespace keeps its subscriptions.
 */

const { describe, it } = require('node:test');
const assert = require('node:assert');
const { encode } = require('@msgpack/msgpack');
const { findRedisServer, startRedis } = require('./support/redis-process');
const { startNodes, connectClient, until, got } = require('./support/cluster');

const SKIP = findRedisServer() === null
  ? 'redis-server not found: install it (apt-get install redis-server) to run the Redis fault tests'
  : false;

/** Text put in hostile payloads; no debug namespace but socket.io-native:payload may print it. */
const SECRET = 'SECRET-PAYLOAD-TEXT';
/** The text the throwing listener of test/support/cluster-node.js throws. */
const APP_SECRET = 'SECRET-APP-TEXT';

const mp = (value) => Buffer.from(encode(value));
const json = (value) => JSON.stringify(value);
const EVIL = 'evil-node-uid';
const emptyOpts = { rooms: [], except: [], flags: {} };

/**
 * The hostile inputs. `send` is what reaches Redis: a command for the raw
 * connection, or `serverSideEmit` from node B. `counted`: our node must
 * count it as dropped or failed (input our adapter does not subscribe to,
 * or skips by design before decoding, is not counted); `emitterCounted`:
 * counted when our nodes listen for an emitter with the default key.
 */
const HOSTILE = [
  { name: 'request channel: null', send: ['PUBLISH', 'socket.io-request#/#', 'null'], emitterCounted: true },
  { name: 'request channel: not JSON', send: ['PUBLISH', 'socket.io-request#/#', `{${SECRET}`], emitterCounted: true },
  { name: 'request channel: join with rooms 5', send: ['PUBLISH', 'socket.io-request#/#', json({ type: 2, opts: { rooms: 5 }, rooms: [SECRET] })], emitterCounted: true },
  { name: 'request channel: serverSideEmit of 5', send: ['PUBLISH', 'socket.io-request#/#', json({ type: 6, data: 5 })], emitterCounted: true },
  { name: 'request channel: serverSideEmit to a throwing listener', send: ['PUBLISH', 'socket.io-request#/#', json({ type: 6, data: ['throw-here'] })], emitterCounted: true },
  { name: 'public channel: msgpack null', send: ['PUBLISH', 'socket.io#/#', mp(null)], counted: true },
  { name: 'public channel: not msgpack', send: ['PUBLISH', 'socket.io#/#', Buffer.from([0xc1, 0x00])], counted: true },
  { name: 'public channel: a string', send: ['PUBLISH', 'socket.io#/#', mp(SECRET)], counted: true },
  { name: 'public channel: broadcast without data', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 3 })], counted: true },
  {
    name: 'public channel: broadcast with opts.rooms 5',
    send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 3, data: { packet: { type: 2, data: ['x', SECRET] }, opts: { rooms: 5 } } })],
    counted: true,
  },
  {
    name: 'public channel: broadcast with ack and no opts',
    send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 3, data: { requestId: 'r', packet: { type: 2, data: ['x'] } } })],
    counted: true,
  },
  { name: 'public channel: socketsJoin with opts.rooms 5', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 4, data: { opts: { rooms: 5 }, rooms: ['r'] } })], counted: true },
  { name: 'public channel: disconnectSockets without data', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 6 })], counted: true },
  { name: 'public channel: fetchSockets with data null', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 7, data: null })], counted: true },
  { name: 'public channel: serverSideEmit of 5', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 9, data: { packet: 5 } })], counted: true },
  { name: 'public channel: serverSideEmit to a throwing listener', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 9, data: { packet: ['throw-here'] } })], counted: true },
  { name: 'public channel: fetchSockets response with sockets 5', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 8, data: { requestId: 'r', sockets: 5 } })] },
  { name: 'public channel: ack response without data', send: ['PUBLISH', 'socket.io#/#', mp({ uid: EVIL, nsp: '/', type: 12 })], counted: true },
  { name: 'public channel: emitter array with a packet without data', send: ['PUBLISH', 'socket.io#/#', mp(['x', { type: 2, nsp: '/' }, {}])], emitterCounted: true },
  { name: 'public channel: emitter array with opts.rooms 5', send: ['PUBLISH', 'socket.io#/#', mp(['x', { type: 2, nsp: '/', data: ['x'] }, { rooms: 5 }])], emitterCounted: true },
  { name: 'public channel: emitter array of nulls', send: ['PUBLISH', 'socket.io#/#', mp([null, null, null])], emitterCounted: true },
  { name: 'serverSideEmit from a node to a throwing listener', send: 'serverSideEmit', counted: true },
  { name: 'stream: broadcast without data', send: ['XADD', 'socket.io', '*', 'uid', EVIL, 'nsp', '/', 'type', '3'], counted: true },
  { name: 'stream: data not JSON', send: ['XADD', 'socket.io', '*', 'uid', EVIL, 'nsp', '/', 'type', '3', 'data', `{${SECRET}`], counted: true },
  {
    name: 'stream: broadcast of a reserved event',
    send: ['XADD', 'socket.io', '*', 'uid', EVIL, 'nsp', '/', 'type', '3', 'data', json({ packet: { type: 2, data: ['disconnect', SECRET] }, opts: emptyOpts })],
    counted: true,
  },
  {
    name: 'stream: broadcast of a packet without arguments',
    send: ['XADD', 'socket.io', '*', 'uid', EVIL, 'nsp', '/', 'type', '3', 'data', json({ packet: { type: 2 }, opts: emptyOpts })],
    counted: true,
  },
  {
    name: 'stream: serverSideEmit to a throwing listener',
    send: ['XADD', 'socket.io', '*', 'uid', EVIL, 'nsp', '/', 'type', '9', 'data', json({ packet: ['throw-here'] })],
    counted: true,
  },
  {
    // A well-formed entry: both kinds of nodes deliver it (the control that
    // shows the comparison can see a delivery).
    name: 'stream: a well-formed broadcast',
    send: ['XADD', 'socket.io', '*', 'uid', EVIL, 'nsp', '/', 'type', '3', 'data', json({ packet: { type: 2, data: ['hand-made', 1] }, opts: emptyOpts })],
  },
];

/** Events that are the test's own traffic, not outcomes of a row. */
const OWN = /^(hello|probe|mark-)/;

/**
 * A raw connection to Redis for the hostile commands (node-redis, buffers as they are).
 *
 * @param {string} url
 */
async function rawClient(url) {
  const { createClient } = require('redis');
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * Makes an exception thrown inside socket.io-client while it dispatches an
 * event (an EVENT packet without arguments makes its emitter throw a
 * RangeError: `new Array(-1)`) an outcome of the row instead of an uncaught
 * exception in this process: it is recorded as an event, and the row is not
 * clean.
 *
 * @param {any} socket
 */
function watchClient(socket) {
  const emitEvent = socket.emitEvent.bind(socket);
  socket.crashes = 0;
  socket.emitEvent = (args) => {
    try {
      emitEvent(args);
    } catch (err) {
      socket.crashes++;
      socket.events.push(['socket.io-client threw', err.name]);
    }
  };
}

/**
 * Two nodes A and B of one kind, one client on each, everything subscribed.
 */
async function startPair(kind, lib, extra = {}) {
  const redis = await startRedis();
  const nodes = await startNodes(['A', 'B'].map((name) => ({
    name, adapter: kind, client: lib, redisUrl: redis.url, captureStderr: true,
    env: { DEBUG: 'socket.io-native:*' }, ...extra,
  })));
  const clients = [await connectClient(nodes[0], 'a1'), await connectClient(nodes[1], 'b1')];
  clients.forEach(watchClient);
  const pair = { redis, nodes, clients, mark: 0 };
  // A stream reader starts at "$" once its first XREAD is sent, so a marker
  // published before that is never read (official nodes and ours alike):
  // a fresh pair gets a few markers before it counts as not delivering.
  let ready = false;
  for (let attempt = 0; attempt < 5 && !ready; attempt++) ready = await deliversBothWays(pair);
  if (!ready) throw new Error(`${kind}/${lib}: the fresh cluster does not deliver`);
  return pair;
}

async function stopPair(pair) {
  if (!pair) return;
  for (const c of pair.clients) c.disconnect();
  await Promise.all(pair.nodes.map((n) => n.kill()));
  await pair.redis.stop();
}

/**
 * Whether both nodes run, both clients are connected, a broadcast from each
 * node reaches both clients (the stream path) and fetchSockets from A finds
 * both sockets (the pub/sub request and response path). Bounded: about 3 s
 * per wait.
 */
async function deliversBothWays(pair) {
  if (!pair.nodes.every((n) => n.alive) || !pair.clients.every((c) => c.connected && c.crashes === 0)) return false;
  for (const node of pair.nodes) {
    const tag = `mark-${++pair.mark}`;
    try {
      await node.call('broadcast', { event: tag, data: [] });
      await until(() => pair.clients.every((c) => got(c, tag).length > 0), tag, 150);
    } catch (_) {
      return false;
    }
  }
  try {
    const sockets = await pair.nodes[0].call('fetchSockets', { timeout: 3000 });
    if (sockets.length !== 2) return false;
  } catch (_) {
    return false;
  }
  // Whatever was delivered before the markers has been dispatched by now.
  return pair.clients.every((c) => c.connected && c.crashes === 0);
}

/**
 * Runs every row of HOSTILE on a pair of `kind` nodes. Returns one outcome
 * per row: { clean, crashed, received } where `received` is what each
 * client got besides the test's own traffic, and `counted` our counters'
 * growth. A row that leaves the pair unclean (a node dead or stuck, a
 * client gone) is followed by a fresh pair.
 */
async function runHostile(kind, lib, extra) {
  const outcomes = [];
  let pair = await startPair(kind, lib, extra);
  let raw = await rawClient(pair.redis.url);
  try {
    for (const row of HOSTILE) {
      for (const c of pair.clients) c.events = [];
      const statsBefore = await sumStats(pair);
      if (row.send === 'serverSideEmit') {
        await pair.nodes[1].call('serverSideEmit', { event: 'throw-here', data: [SECRET] });
      } else {
        await raw.sendCommand(row.send);
      }
      const clean = await deliversBothWays(pair);
      const crashed = pair.nodes.some((n) => !n.alive);
      const received = Object.fromEntries(pair.clients.map((c) =>
        [c.name, c.events.filter((e) => !OWN.test(String(e[0])))]));
      const statsAfter = crashed ? null : await sumStats(pair);
      outcomes.push({
        name: row.name, clean, crashed, received,
        counted: statsBefore === null || statsAfter === null ? null : statsAfter - statsBefore,
        stderr: pair.nodes.map((n) => n.stderr).join(''),
      });
      if (!clean) {
        await raw.quit().catch(() => {});
        await stopPair(pair);
        pair = await startPair(kind, lib, extra);
        raw = await rawClient(pair.redis.url);
      }
    }
    outcomes.stderr = pair.nodes.map((n) => n.stderr).join('');
  } finally {
    await raw.quit().catch(() => {});
    await stopPair(pair);
  }
  return outcomes;
}

/** invalid + failed over both nodes (null for official nodes). */
async function sumStats(pair) {
  let sum = 0;
  for (const node of pair.nodes) {
    if (!node.alive) return null;
    const stats = await node.call('redisStats');
    if (stats === null) return null;
    sum += stats.invalid + stats.failed;
  }
  return sum;
}

for (const lib of ['redis', 'ioredis']) {
  describe(`Redis faults: hostile input, official nodes and ours (${lib})`, { skip: SKIP }, () => {
    it('ours delivers what official delivers, never crashes, counts and logs without contents', async () => {
      const official = await runHostile('official', lib);
      const ours = await runHostile('ours', lib);
      // Ours again, listening for an emitter with the default key (opt-in):
      // the emitter handlers get the same table.
      const oursEmitter = await runHostile('ours', lib, { adapterOpts: { emitterKey: 'socket.io' } });
      const officialUnclean = official.filter((o) => !o.clean).map((o) => `${o.name}${o.crashed ? ' (crashed)' : ''}`);
      // What the official nodes did, for the record of this run.
      console.log(`# official (${lib}) crashed, stuck or lost a client on: ${officialUnclean.join('; ') || 'nothing'}`);
      for (let i = 0; i < HOSTILE.length; i++) {
        const o = official[i];
        const n = ours[i];
        assert.ok(!n.crashed, `ours crashed on: ${n.name}`);
        assert.ok(n.clean, `ours stopped delivering or lost a client after: ${n.name}`);
        if (o.clean) {
          assert.deepStrictEqual(n.received, o.received, `same deliveries as official after: ${n.name}`);
        }
        // Where the official nodes crash, get stuck re-reading an entry or
        // deliver a packet that makes socket.io-client drop the connection,
        // ours must not be worse: it runs on and delivers (checked above).
        if (HOSTILE[i].counted) assert.ok(n.counted >= 1, `ours counted: ${n.name}`);
        const e = oursEmitter[i];
        assert.ok(!e.crashed, `ours (emitterKey) crashed on: ${e.name}`);
        assert.ok(e.clean, `ours (emitterKey) stopped delivering or lost a client after: ${e.name}`);
        if (o.clean) assert.deepStrictEqual(e.received, o.received, `ours (emitterKey): same deliveries as official after: ${e.name}`);
        if (HOSTILE[i].counted || HOSTILE[i].emitterCounted) assert.ok(e.counted >= 1, `ours (emitterKey) counted: ${e.name}`);
      }
      // The control row reached both clients on both kinds of nodes.
      const control = HOSTILE.length - 1;
      for (const outcome of [official[control], ours[control], oursEmitter[control]]) {
        assert.deepStrictEqual(outcome.received, { a1: [['hand-made', 1]], b1: [['hand-made', 1]] });
      }
      // The debug namespaces were on (DEBUG=socket.io-native:*) and said what
      // was dropped, never what it contained.
      const log = [...ours, ...oursEmitter].map((o) => o.stderr).join('');
      assert.match(log, /socket\.io-native:redis .*(dropped|failed)/);
      assert.ok(!log.includes(SECRET), 'a payload was printed');
      assert.ok(!log.includes(APP_SECRET), 'a listener\'s error message was printed');
    });
  });
}

describe('Redis faults: another application on the same Redis with default keys', { skip: SKIP }, () => {
  for (const lib of ['redis', 'ioredis']) {
    // @socket.io/redis-adapter publishes its broadcasts in the emitter's
    // format ([uid, packet, opts] in msgpack on <key>#<nsp>#[room#]) and its
    // requests as JSON on <key>-request#<nsp>#, as the emitter does: the
    // emitter's traffic stands for both.
    it(`its emitter traffic reaches no client, as with official nodes (${lib})`, async () => {
      const results = {};
      for (const kind of ['official', 'ours']) {
        const pair = await startPair(kind, lib, { env: {} });
        const { createClient } = require('redis');
        const { Emitter } = require('@socket.io/redis-emitter');
        const pub = createClient({ url: pair.redis.url });
        pub.on('error', () => {});
        await pub.connect();
        // The other application's emitter, with the default key.
        const emitter = new Emitter(pub);
        try {
          await pair.clients[0].emitWithAck('join', 'room');
          await pair.clients[1].emitWithAck('join', 'room');
          for (const c of pair.clients) c.events = [];
          emitter.emit('other-all', 1);
          emitter.to('room').emit('other-room', 2);
          emitter.except('nowhere').emit('other-except', 3);
          emitter.in('room').socketsJoin('other-joined');
          emitter.serverSideEmit('note', 'other');
          emitter.disconnectSockets();
          // Everything published before the markers has been handled by then.
          const delivering = await deliversBothWays(pair);
          const joined = await pair.nodes[0].call('fetchSockets', { rooms: ['other-joined'], timeout: 3000 });
          results[kind] = {
            received: pair.clients.map((c) => c.events.filter((e) => !OWN.test(String(e[0])))),
            connected: pair.clients.map((c) => c.connected),
            delivering,
            joined: joined.length,
          };
        } finally {
          await pub.quit().catch(() => {});
          await stopPair(pair);
        }
      }
      assert.deepStrictEqual(results.official, { received: [[], []], connected: [true, true], delivering: true, joined: 0 });
      assert.deepStrictEqual(results.ours, results.official);
    });
  }
});

describe('Redis faults: a namespace closed while it subscribes, created again at once', { skip: SKIP }, () => {
  const COUNT = 20;
  for (const lib of ['redis', 'ioredis']) {
    it(`the new namespace keeps its subscriptions (${lib})`, async () => {
      const misses = {};
      for (const kind of ['official', 'ours']) {
        const pair = await startPair(kind, lib, { dynamic: true, env: {} });
        const extra = [];
        misses[kind] = [];
        try {
          for (let i = 0; i < COUNT; i++) {
            const nsp = `/dyn-${i}`;
            // The first attempt is refused by the middleware: the namespace
            // is created, its adapter subscribes, and it is closed as empty
            // at once; the client retries immediately, which creates it again.
            const ioc = require('socket.io-client');
            const socket = ioc(pair.nodes[0].url + nsp, {
              transports: ['websocket'], reconnection: false, forceNew: true, auth: { name: `d${i}` },
            });
            extra.push(socket);
            socket.on('ack-me', (cb) => cb(`d${i}`));
            await new Promise((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`${nsp} did not connect`)), 10000);
              socket.once('connect_error', () => socket.connect());
              socket.once('connect', () => {
                clearTimeout(timer);
                resolve();
              });
            });
          }
          // Node B asks about each namespace: A's sockets must be found, A's
          // clients must ack, A must answer server-side events.
          for (let i = 0; i < COUNT; i++) {
            const nsp = `/dyn-${i}`;
            // B's namespace of that name exists (and is subscribed) first.
            await pair.nodes[1].call('fetchSockets', { nsp, timeout: 1000 });
            const sockets = await pair.nodes[1].call('fetchSockets', { nsp, timeout: 2000 }).catch(() => []);
            const acks = await pair.nodes[1].call('broadcastAck', { nsp, event: 'ack-me', data: [], timeout: 2000 });
            const pong = await pair.nodes[1].call('serverSideEmit', { nsp, event: 'ping-servers', data: [], ack: true });
            const ok = sockets.length === 1 && (acks.responses || []).includes(`d${i}`) &&
              (pong.responses || []).includes('A');
            if (!ok) misses[kind].push(`${nsp}: ${sockets.length} socket(s), acks ${json(acks.responses)}, server answers ${json(pong.responses)}`);
          }
        } finally {
          for (const s of extra) s.disconnect();
          await stopPair(pair);
        }
      }
      console.log(`# namespaces missed after being re-created (${lib}): official ${misses.official.length}/${COUNT}` +
        ` (first: ${misses.official[0] || 'none'}), ours ${misses.ours.length}/${COUNT}`);
      // Ours misses none; official may (its closed adapter stays subscribed
      // and can answer first with no sockets), and ours is never worse.
      assert.deepStrictEqual(misses.ours, []);
      assert.ok(misses.ours.length <= misses.official.length);
    });
  }
});

describe('Redis faults: a namespace closed and created again in the same tick', { skip: SKIP }, () => {
  // What cleanupEmptyChildNamespaces does when a child namespace empties
  // (adapter.close(), then the namespace is forgotten), followed at once by
  // a new connection to the same name, with no time for the first adapter's
  // subscriptions to complete: the window of item 2, made certain. In
  // process, with a real Redis; a SERVER_SIDE_EMIT published as another node
  // would publish it must reach the new namespace.
  const http = require('node:http');
  const { Server } = require('socket.io');
  for (const lib of ['redis', 'ioredis']) {
    it(`the new adapter keeps the channels the closed one was still subscribing (${lib})`, async () => {
      const outcomes = {};
      for (const kind of ['official', 'ours']) {
        const redis = await startRedis();
        const client = lib === 'redis'
          ? require('redis').createClient({ url: redis.url })
          : new (require('ioredis'))(redis.url, { lazyConnect: true });
        client.on('error', () => {});
        await client.connect();
        const raw = await rawClient(redis.url);
        const adapter = kind === 'official'
          ? require('@socket.io/redis-streams-adapter').createAdapter(client)
          : require('../lib').createRedisAdapter(client);
        const io = new Server(http.createServer(), { adapter });
        const heard = [];
        try {
          for (let i = 0; i < 5; i++) {
            const name = `/again-${i}`;
            io.of(name).adapter.close();
            io._nsps.delete(name);
            io.of(name).on('hello-again', (n) => heard.push(n));
          }
          // Both kinds subscribe asynchronously: publish until every namespace
          // has heard one (bounded), then once more for the record.
          await until(async () => {
            for (let i = 0; i < 5; i++) {
              await raw.sendCommand(['PUBLISH', `socket.io#/again-${i}#`,
                mp({ uid: EVIL, nsp: `/again-${i}`, type: 9, data: { packet: ['hello-again', i] } })]);
            }
            await new Promise((r) => setTimeout(r, 20));
            return new Set(heard).size === 5;
          }, 'every namespace heard the other node', 50).catch(() => {});
          const numsub = [];
          for (let i = 0; i < 5; i++) {
            numsub.push(Number((await raw.sendCommand(['PUBSUB', 'NUMSUB', `socket.io#/again-${i}#`]))[1]));
          }
          outcomes[kind] = { heard: [...new Set(heard)].sort(), numsub };
        } finally {
          io.close();
          await raw.quit().catch(() => {});
          await client.quit().catch(() => {});
          await redis.stop();
        }
      }
      const expected = { heard: [0, 1, 2, 3, 4], numsub: [1, 1, 1, 1, 1] };
      assert.deepStrictEqual(outcomes.official, expected);
      assert.deepStrictEqual(outcomes.ours, expected);
    });
  }
});
