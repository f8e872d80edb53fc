'use strict';

const debug = require('debug')('socket.io-native:redis');
const redis = require('./redis-commands');
const { redisError } = require('./redis-errors');
const { registryAvailable } = require('../create-adapter');
const { adapterNotCalledError } = require('../../errors');
const { RedisStreamReader } = require('./redis-stream-reader');

/**
 * socket.io-adapter versions whose ClusterAdapter this adapter builds on
 * (its MessageType numbering and onMessage(message, offset) are the wire
 * protocol shared with @socket.io/redis-streams-adapter 0.3.x).
 */
const SUPPORTED_ADAPTER = { major: 2, minMinor: 5, minPatch: 4 };

/**
 * Defaults: those of @socket.io/redis-streams-adapter 0.3.x, plus
 * `emitterKey`, off by default as the official adapter does not listen for
 * @socket.io/redis-emitter: with the emitter's default key, its channels are
 * those of any @socket.io/redis-adapter or emitter of another application
 * on the same Redis.
 */
const DEFAULTS = {
  streamName: 'socket.io',
  streamCount: 1,
  channelPrefix: 'socket.io',
  useShardedPubSub: false,
  maxLen: 10000,
  readCount: 100,
  blockTimeInMs: 5000,
  sessionKeyPrefix: 'sio:session:',
  heartbeatInterval: 5000,
  heartbeatTimeout: 10000,
  onlyPlaintext: false,
  emitterKey: false,
};

/**
 * Throws unless the installed socket.io-adapter is one this adapter was
 * written against.
 *
 * @param {string} [version] the version to check (the installed one by default)
 */
function checkAdapterVersion(version) {
  const v = version || require('socket.io-adapter/package.json').version;
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  const s = SUPPORTED_ADAPTER;
  const ok = m !== null && Number(m[1]) === s.major &&
    (Number(m[2]) > s.minMinor || (Number(m[2]) === s.minMinor && Number(m[3]) >= s.minPatch));
  const { ClusterAdapter, MessageType } = require('socket.io-adapter');
  // The parts of ClusterAdapter this adapter calls or overrides.
  const proto = typeof ClusterAdapter === 'function' ? ClusterAdapter.prototype : {};
  const methods = ['onMessage', 'onResponse', 'publish', 'publishAndReturnOffset', 'publishResponse',
    'addOffsetIfNecessary', 'fetchSockets', 'serverSideEmit'];
  if (!ok || methods.some((name) => typeof proto[name] !== 'function') || !MessageType ||
      MessageType.BROADCAST !== 3 || MessageType.BROADCAST_ACK !== 12 || MessageType.ADAPTER_CLOSE !== 13) {
    throw redisError(`createRedisAdapter needs socket.io-adapter >= 2.5.4 < 3 (found ${v})`,
      'ERR_SOCKET_IO_NATIVE_REDIS_VERSION');
  }
}

/**
 * @param {any} opts
 * @returns {typeof DEFAULTS}
 */
function normalizeOptions(opts) {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw redisError('createRedisAdapter(redisClient, opts): opts must be an object', 'ERR_SOCKET_IO_NATIVE_REDIS_OPTIONS');
  }
  const o = { ...DEFAULTS, ...opts };
  for (const key of ['streamCount', 'maxLen', 'readCount', 'blockTimeInMs']) {
    if (!Number.isInteger(o[key]) || o[key] < 1) {
      throw redisError(`option ${key} must be a positive integer`, 'ERR_SOCKET_IO_NATIVE_REDIS_OPTIONS');
    }
  }
  for (const key of ['streamName', 'channelPrefix', 'sessionKeyPrefix']) {
    if (typeof o[key] !== 'string' || o[key] === '') {
      throw redisError(`option ${key} must be a non-empty string`, 'ERR_SOCKET_IO_NATIVE_REDIS_OPTIONS');
    }
  }
  if (o.emitterKey !== false && (typeof o.emitterKey !== 'string' || o.emitterKey === '')) {
    throw redisError('option emitterKey must be a non-empty string or false', 'ERR_SOCKET_IO_NATIVE_REDIS_OPTIONS');
  }
  return o;
}

/**
 * The stream a namespace writes to and reads from (the official adapter's
 * hash, so both pick the same stream).
 *
 * @param {string} nsp
 * @param {{ streamName: string, streamCount: number }} opts
 */
function streamNameFor(nsp, opts) {
  if (opts.streamCount === 1) return opts.streamName;
  let hash = 0;
  for (let i = 0; i < nsp.length; i++) {
    hash = hash * 31 + nsp.charCodeAt(i);
    hash |= 0;
  }
  return `${opts.streamName}-${hash % opts.streamCount}`;
}

/**
 * Returns the value for socket.io's `adapter` option: a cluster adapter over
 * Redis Streams, with the same arguments, options and wire format as
 * @socket.io/redis-streams-adapter 0.3.x (a cluster may mix its nodes and
 * ours), and this package's native room registry and broadcast on each node.
 * Connection state recovery works across nodes (sessions and missed packets
 * live in Redis). With `emitterKey`, broadcasts and requests from the
 * @socket.io/redis-emitter with that key reach the clients of these nodes
 * too (the official adapter ignores them; so does this one by default).
 *
 * `redisClient` is a connected node-redis (v4+) or ioredis (v5+) client; it
 * publishes, and is duplicated once for subscriptions and once per stream
 * for blocking reads. While it is disconnected, broadcasts reach this
 * node's clients only, serverCount() is 1 and nothing queues; reads resume
 * from the last entry seen once it is back.
 *
 * Without the native addon (SOCKET_IO_NATIVE_DISABLE=1, no binary) the same
 * adapter runs on socket.io-adapter's in-memory rooms.
 *
 * @example
 * const client = createClient({ url });
 * await client.connect();
 * const io = new Server(httpServer, { adapter: createRedisAdapter(client) });
 *
 * @param {any} redisClient
 * @param {{
 *   streamName?: string, streamCount?: number, channelPrefix?: string,
 *   useShardedPubSub?: boolean, maxLen?: number, readCount?: number,
 *   blockTimeInMs?: number, sessionKeyPrefix?: string, onlyPlaintext?: boolean,
 *   heartbeatInterval?: number, heartbeatTimeout?: number,
 *   emitterKey?: string | false,
 * }} [opts] `emitterKey` is the `key` of the @socket.io/redis-emitter to accept,
 *   or false (the default) to not listen for emitters
 * @returns {(nsp: any) => any}
 */
function createRedisAdapter(redisClient, opts) {
  // socket.io makes each namespace's adapter with `new adapter(nsp)`; only
  // the uncalled factory gets there.
  if (new.target !== undefined) throw adapterNotCalledError('createRedisAdapter(redisClient)');
  checkAdapterVersion();
  redis.checkClient(redisClient, 'redisClient');
  const options = normalizeOptions(opts);
  const native = registryAvailable();
  // Loaded here so that a version mismatch is reported before the class is built.
  const { redisStreamsAdapterClass } = require('./redis-streams-adapter');
  const Cls = redisStreamsAdapterClass(native);

  /** @type {Map<string, any>} namespace name -> adapter */
  const adapters = new Map();
  const onError = (err) => debug('redis connection: %s', err && err.message);
  /** @type {RedisStreamReader[]} */
  const readers = [];
  let stopped = false;

  const onEntry = (message, id) => {
    const adapter = adapters.get(message.nsp);
    if (adapter !== undefined) adapter.onRawMessage(message, id);
  };
  const streams = new Set();
  if (options.streamCount === 1) streams.add(options.streamName);
  else for (let i = 0; i < options.streamCount; i++) streams.add(`${options.streamName}-${i}`);
  const readersReady = Promise.all([...streams].map(async (stream) => {
    const client = await redis.duplicate(redisClient, onError);
    const reader = new RedisStreamReader(client, stream, options, onEntry);
    if (stopped) {
      reader.stop();
      return;
    }
    readers.push(reader);
    reader.start();
  }));
  readersReady.catch((err) => debug('stream readers not started: %s', err.message));
  const subClient = redis.duplicate(redisClient, onError);
  subClient.catch((err) => debug('subscription connection not opened: %s', err.message));

  const cluster = {
    client: redisClient,
    counters: { invalid: 0, failed: 0 },
    opts: options,
    subClient,
    readersReady: readersReady.then(() => undefined, () => undefined),
    streamNameFor: (nsp) => streamNameFor(nsp, options),
    release(adapter) {
      if (adapters.get(adapter.nsp.name) === adapter) adapters.delete(adapter.nsp.name);
      if (adapters.size > 0 || stopped) return;
      stopped = true;
      debug('last namespace closed: stopping the stream readers');
      for (const reader of readers) reader.stop();
      subClient.then((c) => redis.close(c), () => {});
    },
  };

  debug('Redis Streams adapter (native local layer: %s)', native);
  return function nativeRedisAdapter(nsp) {
    const adapter = new Cls(nsp, cluster);
    adapters.set(nsp.name, adapter);
    return adapter;
  };
}

module.exports = { createRedisAdapter, checkAdapterVersion, streamNameFor };
