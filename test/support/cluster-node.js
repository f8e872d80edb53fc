'use strict';

/**
 * One socket.io server of a Redis cluster test, run in its own process with
 * `fork()`. Configuration comes as JSON in argv[2]:
 *   { name, redisUrl, adapter: 'ours' | 'official' | 'classic' | 'sharded' | 'node-cluster' | 'postgres'
 *     (see makeAdapter), pgUrl, accelerate: boolean, survive: boolean (ignore unhandled rejections),
 *     client: 'redis' | 'ioredis', offlineQueue: boolean (default true; false: a command
 *       issued while the client is disconnected fails at once instead of waiting
 *       for the reconnection, so what an outage loses does not depend on which
 *       connection reconnects first),
 *     countEncodes: boolean (count the encoder's encode() calls, op `encodes`),
 *     recovery: boolean, parser: 'native' (this package's parser) or 'msgpack'
 *     (socket.io-msgpack-parser; default socket.io's),
 *     greet: boolean (default true: each client gets a "hello" event on connection),
 *     dynamic: boolean (namespaces /dyn-<n> as children of a dynamic namespace, with
 *       cleanupEmptyChildNamespaces; a middleware refuses the first connection to
 *       each of them, as an authorisation that fails once would) }
 * It listens on a random loopback port, sends { ready, port } to the
 * parent, then runs the operations the parent sends ({ id, op, args }) and
 * answers { id, result } or { id, error }.
 */

const http = require('node:http');
const { Server } = require('socket.io');

if (typeof process.send !== 'function' || process.argv[2] === undefined) {
  // Loaded by `node --test test/` as a plain file: it is a helper, not a test.
  return;
}

const config = JSON.parse(process.argv[2]);

// @socket.io/redis-adapter does not catch the rejection of a PUBLISH while
// Redis is down: an application that means to outlive an outage ignores
// (or logs) unhandled rejections, and so does a node given `survive`.
if (config.survive) process.on('unhandledRejection', () => {});

/** The Redis clients this node made (the adapter's), for the `redisReady` operation. */
const redisClients = [];

/** @returns {Promise<any>} a connected client of the configured library */
async function connectClient() {
  const offlineQueue = config.offlineQueue !== false;
  if (config.client === 'ioredis') {
    const IORedis = require('ioredis');
    const client = new IORedis(config.redisUrl, {
      maxRetriesPerRequest: 1, retryStrategy: () => 100, enableOfflineQueue: offlineQueue,
    });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('ready', resolve));
    redisClients.push(client);
    return client;
  }
  const { createClient } = require('redis');
  const client = createClient({
    url: config.redisUrl, socket: { reconnectStrategy: () => 100 }, disableOfflineQueue: !offlineQueue,
  });
  client.on('error', () => {});
  await client.connect();
  redisClients.push(client);
  return client;
}

/**
 * The adapter factory `config.adapter` names: 'ours' (createRedisAdapter),
 * 'official' (@socket.io/redis-streams-adapter), 'classic' and 'sharded'
 * (@socket.io/redis-adapter's pub/sub and sharded pub/sub adapters, with a
 * second connection for subscriptions), 'node-cluster' (@socket.io/cluster-adapter,
 * in a worker of node:cluster: see node-cluster-primary.js), 'postgres'
 * (@socket.io/postgres-adapter on a pg Pool to `config.pgUrl`). With `config.accelerate`, the factory
 * goes through accelerate().
 *
 * @param {any} client
 * @param {any} adapterOpts
 */
async function makeAdapter(client, adapterOpts) {
  if (config.adapter === 'node-cluster') return require('@socket.io/cluster-adapter').createAdapter(adapterOpts);
  if (config.adapter === 'postgres') {
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: config.pgUrl });
    pool.on('error', () => {});
    return require('@socket.io/postgres-adapter').createAdapter(pool, adapterOpts);
  }
  if (config.adapter === 'official') return require('@socket.io/redis-streams-adapter').createAdapter(client, adapterOpts);
  if (config.adapter === 'classic' || config.adapter === 'sharded') {
    const sub = client.duplicate();
    redisClients.push(sub);
    if (config.client === 'ioredis') {
      sub.on('error', () => {});
      if (sub.status !== 'ready') await new Promise((resolve) => sub.once('ready', resolve));
    } else {
      sub.on('error', () => {});
      await sub.connect();
    }
    const redisAdapter = require('@socket.io/redis-adapter');
    return config.adapter === 'classic'
      ? redisAdapter.createAdapter(client, sub, adapterOpts)
      : redisAdapter.createShardedAdapter(client, sub, adapterOpts);
  }
  return require('../../lib').createRedisAdapter(client, adapterOpts);
}

/** An inspector session while a CPU profile is recorded (benchmark diagnostics). */
let profiler = null;

/** Next sequence number of emitSeq(). */
let seq = 0;

/** Server-side events this node received: [event, ...args]. */
const received = [];
/** What the onAnyOutgoing listeners added by watchOutgoing saw, as JSON. */
const outgoing = [];

async function main() {
  // @socket.io/cluster-adapter talks through the node:cluster primary, and
  // @socket.io/postgres-adapter through PostgreSQL: no Redis for them.
  const client = config.adapter === 'node-cluster' || config.adapter === 'postgres' ? null : await connectClient();
  const adapterOpts = config.adapterOpts || {};
  let adapter = await makeAdapter(client, adapterOpts);
  if (config.accelerate) adapter = require('../../lib').accelerate(adapter);
  const httpServer = http.createServer();
  const serverOpts = { adapter };
  if (config.dynamic) serverOpts.cleanupEmptyChildNamespaces = true;
  if (config.parser === 'native') serverOpts.parser = require('../../lib').parser;
  if (config.parser === 'msgpack') serverOpts.parser = require('socket.io-msgpack-parser');
  if (config.recovery) {
    serverOpts.connectionStateRecovery = { maxDisconnectionDuration: 60000, skipMiddlewares: true };
  }
  const io = new Server(httpServer, serverOpts);
  // Counts packet encodings on this server's encoder instance (test only,
  // with config.countEncodes: a wrapped encoder is one accelerate() does not
  // transcode incoming Redis messages for, since it cannot know the wrapper).
  let encodes = 0;
  if (config.countEncodes) {
    const encode = io.encoder.encode.bind(io.encoder);
    io.encoder.encode = (packet) => {
      encodes++;
      return encode(packet);
    };
  }

  const onConnection = (socket) => {
    socket.data.node = config.name;
    socket.data.name = socket.handshake.auth && socket.handshake.auth.name;
    if (config.greet !== false) socket.emit('hello', { node: config.name, recovered: socket.recovered });
    socket.on('join', (room, cb) => {
      socket.join(room);
      if (typeof cb === 'function') cb();
    });
    socket.on('to-others', (event, data) => socket.broadcast.emit(event, data));
    socket.on('to-room-from-socket', (room, event, data) => socket.to(room).emit(event, data));
  };
  io.on('connection', onConnection);
  // A second namespace, on the same adapter factory (and, with streamCount > 1, maybe another stream).
  io.of('/chat').on('connection', onConnection);
  // More namespaces on the same factory (config.namespaces: names).
  for (const name of config.namespaces || []) io.of(name).on('connection', onConnection);
  io.on('ping-servers', (...args) => {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    received.push(['ping-servers', ...args]);
    if (cb) cb(config.name);
  });
  io.on('note', (...args) => received.push(['note', ...args]));
  // A server-side listener that throws, as application code can: the text
  // is an application secret that no debug namespace may print.
  io.on('throw-here', () => {
    throw new Error('listener failed with SECRET-APP-TEXT');
  });
  if (config.dynamic) {
    const refused = new Set();
    io.of(/^\/dyn-\d+$/).use((socket, next) => {
      const name = socket.nsp.name;
      if (refused.has(name)) return next();
      refused.add(name);
      next(new Error('refused once'));
    }).on('connection', onConnection);
    io.on('new_namespace', (nsp) => {
      nsp.on('ping-servers', (...args) => {
        const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
        if (cb) cb(config.name);
      });
    });
  }

  const target = (args) => {
    let op = args.nsp ? io.of(args.nsp) : io;
    if (args.timeout !== undefined) op = op.timeout(args.timeout);
    if (args.rooms && args.rooms.length) op = op.to(args.rooms);
    if (args.except && args.except.length) op = op.except(args.except);
    if (args.local) op = op.local;
    if (args.volatile) op = op.volatile;
    if (args.compress === false) op = op.compress(false);
    return op;
  };

  const ops = {
    async broadcast(args) {
      target(args).emit(args.event, ...args.data);
      return true;
    },
    // `count` broadcasts of seeded random payloads (test/support/msgpack-random.js:
    // `odd` adds every kind of key and value, `binary` is the chance of a
    // Buffer), to random rooms and except rooms: the same seed makes the same
    // broadcasts in the same order on any node.
    async broadcastRandom(args) {
      const { prng, makeGen } = require('./msgpack-random');
      const gen = makeGen(prng(args.seed));
      for (let i = 0; i < args.count; i++) {
        const data = [gen.value(3, Boolean(args.odd), args.binary || 0), gen.string(false)];
        const rooms = gen.pick([[], ['r1'], ['r2'], ['r1', 'r2'], ['nobody', 'r2']]);
        const except = gen.pick([[], [], ['r2']]);
        target({ nsp: args.nsp, rooms, except }).emit('rand', i, ...data);
      }
      return true;
    },
    // Adds an onAnyOutgoing listener to the socket of client `name`.
    async watchOutgoing(args) {
      for (const socket of io.of(args.nsp || '/').sockets.values()) {
        if (socket.data.name === args.name) socket.onAnyOutgoing((...a) => outgoing.push(JSON.stringify([args.name, ...a])));
      }
      return true;
    },
    async outgoing() {
      return outgoing;
    },
    async broadcastMany(args) {
      for (let i = 0; i < args.count; i++) target(args).emit(args.event, i, args.payload);
      return true;
    },
    // `count` broadcasts (event, i, payload), `burst` of them per event-loop
    // turn; answers when the last one is emitted.
    async broadcastSpread(args) {
      await new Promise((resolve) => {
        let i = 0;
        const turn = () => {
          for (let k = 0; k < args.burst && i < args.count; k++, i++) target(args).emit(args.event, i, args.payload);
          if (i < args.count) setImmediate(turn);
          else resolve();
        };
        turn();
      });
      return true;
    },
    // `count` emits of (event, i) every `intervalMs` (setTimeout), every
    // `volatileEvery`-th one (if set) also as a volatile event `${event}-v`;
    // answers once all were emitted (or `stopAfterMs` passed).
    async emitPaced(args) {
      const started = Date.now();
      for (let i = 0; i < args.count && Date.now() - started < (args.stopAfterMs || 60000); i++) {
        target(args).emit(args.event, i);
        if (args.volatileEvery && i % args.volatileEvery === 0) target(args).volatile.emit(`${args.event}-v`, i);
        await new Promise((r) => setTimeout(r, args.intervalMs));
      }
      return true;
    },
    // Benchmark: `count` io.emit('m', { seq, pad }) with `burst` of them per
    // event-loop turn; seq continues across calls, as sio_loadgen checks
    // 0, 1, 2, ... Answers once the emits are started; the clients report
    // when they have arrived.
    async emitSeq(args) {
      const pad = 'x'.repeat(args.pad);
      let left = args.count;
      const turn = () => {
        for (let i = 0; i < args.burst && left > 0; i++, left--) io.emit('m', { seq: seq++, pad });
        if (left > 0) setImmediate(turn);
      };
      setImmediate(turn);
      return true;
    },
    async broadcastAck(args) {
      try {
        const responses = await target(args).emitWithAck(args.event, ...args.data);
        return { err: null, responses };
      } catch (err) {
        return { err: err.message, responses: err.responses || null };
      }
    },
    async fetchSockets(args) {
      const sockets = await target(args).fetchSockets();
      return sockets.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }));
    },
    async socketsJoin(args) {
      target(args).socketsJoin(args.join);
      return true;
    },
    async socketsLeave(args) {
      target(args).socketsLeave(args.leave);
      return true;
    },
    async disconnectSockets(args) {
      target(args).disconnectSockets(Boolean(args.close));
      return true;
    },
    async serverSideEmit(args) {
      const nsp = args.nsp ? io.of(args.nsp) : io;
      if (!args.ack) {
        nsp.serverSideEmit(args.event, ...args.data);
        return true;
      }
      try {
        const responses = await nsp.serverSideEmitWithAck(args.event, ...args.data);
        return { err: null, responses };
      } catch (err) {
        return { err: err.message, responses: null };
      }
    },
    // Whether each of this node's Redis clients is connected and ready.
    async redisReady() {
      return redisClients.map((c) => (config.client === 'ioredis' ? c.status === 'ready' : c.isReady === true));
    },
    // Commands this node's Redis clients still hold (sent or queued, not
    // settled): ioredis keeps commands in flight when a connection dies, to
    // resend or fail them later. node-redis with offlineQueue: false fails
    // all of them when its connection errors, so it reports 0.
    async redisPending() {
      if (config.client !== 'ioredis') return 0;
      return redisClients.reduce((n, c) => n + c.commandQueue.length + (c.offlineQueue ? c.offlineQueue.length : 0), 0);
    },
    async serverCount() {
      return io.of('/').adapter.serverCount();
    },
    async encodes() {
      return encodes;
    },
    async received() {
      return received;
    },
    async localSockets() {
      const out = [];
      for (const socket of io.of('/').sockets.values()) out.push({ name: socket.data.name, rooms: [...socket.rooms].sort() });
      return out;
    },
    async adapterKind() {
      const a = io.of('/').adapter;
      return { name: a.constructor.name, native: typeof a.nativeMemoryUsage === 'function' };
    },
    async redisStats() {
      const a = io.of('/').adapter;
      return typeof a.redisStats === 'function' ? a.redisStats() : null;
    },
    async adapterStats() {
      const a = io.of('/').adapter;
      return typeof a.stats === 'function' ? a.stats() : null;
    },
    // What the package's adapterStats() says about the main namespace's adapter.
    async packageStats() {
      return require('../../lib').adapterStats(io);
    },
    async cpu() {
      return process.cpuUsage();
    },
    async profileStart() {
      const inspector = require('node:inspector');
      profiler = new inspector.Session();
      profiler.connect();
      const post = (method) => new Promise((resolve, reject) =>
        profiler.post(method, (err, res) => (err ? reject(err) : resolve(res))));
      await post('Profiler.enable');
      await post('Profiler.start');
      return true;
    },
    async profileStop(args) {
      const res = await new Promise((resolve, reject) =>
        profiler.post('Profiler.stop', (err, r) => (err ? reject(err) : resolve(r))));
      require('node:fs').writeFileSync(args.file, JSON.stringify(res.profile));
      profiler.disconnect();
      return true;
    },
    async close() {
      io.close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };

  process.on('message', async (msg) => {
    // In a node:cluster worker the adapter's own messages arrive here too.
    if (msg === null || typeof msg !== 'object' || msg.op === undefined) return;
    const fn = ops[msg.op];
    try {
      if (!fn) throw new Error(`unknown op ${msg.op}`);
      process.send({ id: msg.id, result: await fn(msg.args || {}) });
    } catch (err) {
      process.send({ id: msg.id, error: err.message });
    }
  });
  // The parent's end of the channel closing means the test is over.
  process.on('disconnect', () => process.exit(0));

  // exclusive: in a node:cluster worker, a port of its own rather than the primary's shared one.
  await new Promise((resolve) => httpServer.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve));
  // Give the adapter time to subscribe before the parent counts on it.
  for (const name of ['/', '/chat', ...(config.namespaces || [])]) {
    const nspAdapter = io.of(name).adapter;
    if (nspAdapter.ready) await nspAdapter.ready;
  }
  process.send({ ready: true, port: httpServer.address().port });
}

main().catch((err) => {
  process.send({ fatal: err.stack || String(err) });
  process.exit(1);
});
