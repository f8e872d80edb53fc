'use strict';

const { randomBytes } = require('crypto');
const debug = require('debug')('socket.io-native:redis');
const redis = require('./redis-commands');
const { redisError } = require('./redis-errors');
const { registryAvailable } = require('../create-adapter');
const { adapterNotCalledError } = require('../../errors');
const { RedisStreamReader } = require('./redis-stream-reader');
const { RedisPublishQueue } = require('./redis-publish-queue');

/**
 * A reader that read at least this many entries at once reports its
 * position to the other nodes (and once more after that), so that their
 * publish queues pace bursts to it; a reader that keeps up reads fewer and
 * stays quiet.
 */
const REPORT_MIN_BATCH = 16;

/** The code of the process warning given once when a reader finds entries trimmed unread. */
const TRIMMED_WARNING_CODE = 'SOCKET_IO_NATIVE_REDIS_TRIMMED';

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
  maxQueued: 100000,
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
  const methods = ['onMessage', 'onResponse', 'publish', 'publishResponse',
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
  for (const key of ['streamCount', 'maxLen', 'readCount', 'blockTimeInMs', 'maxQueued']) {
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
 * The official adapter's hash of a namespace name (a 32-bit Java-style
 * string hash, negative for about half of all names).
 *
 * @param {string} nsp
 */
function nameHash(nsp) {
  let hash = 0;
  for (let i = 0; i < nsp.length; i++) {
    hash = hash * 31 + nsp.charCodeAt(i);
    hash |= 0;
  }
  return hash;
}

/**
 * The stream a namespace writes to: `<streamName>-<hash mod streamCount>`,
 * the official adapter's choice for names that hash positive. For names
 * that hash negative the official adapter takes the remainder as it comes
 * (`socket.io--3` for /notifications with streamCount 4), a stream no node
 * reads, so those broadcasts reach no other node; here the index is made
 * positive (`socket.io-1`), a stream every node reads, official ones too.
 *
 * @param {string} nsp
 * @param {{ streamName: string, streamCount: number }} opts
 */
function streamNameFor(nsp, opts) {
  if (opts.streamCount === 1) return opts.streamName;
  const n = opts.streamCount;
  return `${opts.streamName}-${((nameHash(nsp) % n) + n) % n}`;
}

/**
 * The streams this adapter reads: the `streamCount` streams the official
 * adapter reads, and, with streamCount > 1, the streams official nodes
 * write the namespaces that hash negative to (`<streamName>--1` ..
 * `<streamName>--<streamCount - 1>`), so that their broadcasts reach this
 * node's clients.
 *
 * @param {{ streamName: string, streamCount: number }} opts
 * @returns {string[]}
 */
function streamsRead(opts) {
  if (opts.streamCount === 1) return [opts.streamName];
  const names = [];
  for (let i = 0; i < opts.streamCount; i++) names.push(`${opts.streamName}-${i}`);
  for (let i = 1; i < opts.streamCount; i++) names.push(`${opts.streamName}--${i}`);
  return names;
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
 * read for blocking reads. While it is disconnected, stream entries
 * (broadcasts and the other replayable messages) wait in a bounded queue
 * (`maxQueued`) and go out in order once it is back; requests
 * (fetchSockets, acks, serverSideEmit) are answered by this node alone
 * (serverCount() is 1). Reads resume from the last entry seen.
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
 *   emitterKey?: string | false, maxQueued?: number,
 * }} [opts] `emitterKey` is the `key` of the @socket.io/redis-emitter to accept,
 *   or false (the default) to not listen for emitters; `maxQueued` bounds the
 *   stream entries held while Redis is away or readers are behind (default
 *   100000; past it the oldest is dropped and counted)
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
  /** @type {Map<string, RedisStreamReader>} stream -> its reader */
  const readers = new Map();
  const counters = { invalid: 0, failed: 0, missed: 0 };
  const queue = new RedisPublishQueue(redisClient, options);
  let stopped = false;
  let warned = false;
  // This node's name in reader reports, and the channel they travel on (no
  // namespace channel looks like it: those have a namespace starting with
  // "/" after the prefix; official nodes do not subscribe to it).
  const nodeId = randomBytes(8).toString('hex');
  const progressChannel = `${options.channelPrefix}#~progress#`;
  /** @type {Set<string>} streams whose last batch was reported */
  const reporting = new Set();
  const report = (stream, id, count) => {
    queue.read(stream, id);
    const busy = count >= REPORT_MIN_BATCH;
    if (!busy && !reporting.has(stream)) return;
    if (busy) reporting.add(stream);
    else reporting.delete(stream);
    if (!redis.isReady(redisClient)) return;
    redis.publish(redisClient, false, progressChannel, `${nodeId}\n${stream}\n${id}`)
      .catch((err) => debug('reader position not reported: %s', err.message));
  };
  const onProgress = (payload) => {
    // Anybody can publish here: only a well-formed report about a stream
    // this node reads is used, and it can at most slow this node's appends
    // down for REPORT_TTL_MS.
    const parts = payload.toString().split('\n');
    if (parts.length !== 3 || parts[0] === nodeId || !/^[0-9a-f]{16}$/.test(parts[0]) ||
        !readers.has(parts[1]) || !/^[0-9]{1,15}-[0-9]{1,15}$/.test(parts[2])) return;
    queue.progress(parts[1], parts[0], parts[2]);
  };

  const onEntry = (message, id) => {
    const adapter = adapters.get(message.nsp);
    if (adapter !== undefined) adapter.onRawMessage(message, id);
  };
  const onMissed = () => {
    counters.missed++;
    if (warned) return;
    warned = true;
    process.emitWarning('socket.io-native: a Redis stream reader found entries trimmed (maxLen) before it read them; ' +
      'broadcasts were lost on this node. Raise maxLen for this traffic.', { code: TRIMMED_WARNING_CODE });
  };
  const readersReady = Promise.all(streamsRead(options).map(async (stream) => {
    const client = await redis.duplicate(redisClient, onError);
    const reader = new RedisStreamReader(client, stream, options, onEntry, {
      read: (id, count) => report(stream, id, count),
      down: () => queue.readerDown(stream),
      missed: onMissed,
    });
    if (stopped) {
      reader.stop();
      return;
    }
    readers.set(stream, reader);
    queue.track(stream);
    reader.start();
  }));
  readersReady.catch((err) => debug('stream readers not started: %s', err.message));
  const subClient = redis.duplicate(redisClient, onError);
  subClient.catch((err) => debug('subscription connection not opened: %s', err.message));
  const progressSubscribed = subClient.then((c) => redis.subscribe(c, false, [progressChannel], onProgress));
  progressSubscribed.catch((err) => debug('reader reports not subscribed: %s', err.message));

  const cluster = {
    client: redisClient,
    counters,
    opts: options,
    subClient,
    queue,
    readersReady: readersReady.then(() => undefined, () => undefined),
    streamNameFor: (nsp) => streamNameFor(nsp, options),
    /** @param {string} stream @returns {RedisStreamReader | undefined} */
    readerOf: (stream) => readers.get(stream),
    release(adapter) {
      if (adapters.get(adapter.nsp.name) === adapter) adapters.delete(adapter.nsp.name);
      if (adapters.size > 0 || stopped) return;
      stopped = true;
      debug('last namespace closed: stopping the stream readers');
      queue.stop();
      progressSubscribed.then((undo) => undo(), () => {}).catch(() => {});
      for (const reader of readers.values()) reader.stop();
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

module.exports = { createRedisAdapter, checkAdapterVersion, streamNameFor, streamsRead, TRIMMED_WARNING_CODE };
