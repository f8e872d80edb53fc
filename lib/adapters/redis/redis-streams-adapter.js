'use strict';

const { randomBytes } = require('crypto');
const { Adapter, ClusterAdapter, MessageType } = require('socket.io-adapter');
const { encode, decode } = require('@msgpack/msgpack');
const debug = require('debug')('socket.io-native:redis');
const redis = require('./redis-commands');
const { redisError } = require('./redis-errors');
const { payloadLogging, logPayload } = require('../../payload-debug');
const check = require('./redis-message-check');
const { nativeRooms } = require('../../rooms/native-rooms');
const { NativeAdapter, initLocalLayer } = require('../adapter');
const { compareIds } = require('./redis-publish-queue');

/** How many XRANGE pages restoreSession() reads at most, and how long each page is. */
const RESTORE_MAX_PAGES = 100;
const RESTORE_PAGE_SIZE = 1000;
/**
 * How long restoreSession() waits for this node's reader to reach the
 * client's offset (an offset another node handed out may be ahead of it).
 */
const RESTORE_WAIT_MS = 2000;

/** @redis/emitter request types this adapter answers (the others are requests between classic adapters). */
const EMITTER_REMOTE_JOIN = 2;
const EMITTER_REMOTE_LEAVE = 3;
const EMITTER_REMOTE_DISCONNECT = 4;
const EMITTER_SERVER_SIDE_EMIT = 6;

/**
 * What the `socket.io-native:redis` namespace says about an error raised
 * while handling a message from Redis: its code or class, never its message
 * (V8's messages quote values: "5 is not iterable", a listener's own text),
 * since the message came from whoever can write to Redis and may carry
 * application data. The whole message goes to `socket.io-native:payload`
 * when that namespace is named explicitly.
 *
 * @param {any} err
 * @returns {string}
 */
function errorKind(err) {
  if (err && typeof err.code === 'string') return err.code;
  if (err && typeof err.name === 'string') return err.name;
  return typeof err;
}

/** @returns {string} */
function randomId() {
  return randomBytes(8).toString('hex');
}

/**
 * Broadcast options as they travel: arrays instead of Sets.
 *
 * @param {{ rooms: Set<any>, except?: Set<any>, flags?: any }} opts
 */
function encodeOptions(opts) {
  return { rooms: [...opts.rooms], except: [...(opts.except || [])], flags: opts.flags };
}

/**
 * @param {{ rooms?: any[], except?: any[], flags?: any }} opts
 */
function decodeOptions(opts) {
  const o = opts || {};
  return { rooms: new Set(o.rooms || []), except: new Set(o.except || []), flags: o.flags || {} };
}

/**
 * Messages that go over pub/sub instead of the stream: nothing in them is
 * worth replaying (requests expect an answer now).
 *
 * @param {any} message
 */
function isEphemeral(message) {
  return (message.type === MessageType.BROADCAST && message.data.requestId !== undefined) ||
    message.type === MessageType.SERVER_SIDE_EMIT ||
    message.type === MessageType.FETCH_SOCKETS;
}

/**
 * Whether a value holds binary data (then the stream entry carries msgpack,
 * as the official adapter does).
 *
 * @param {any} value
 * @param {boolean} [fromToJSON]
 * @returns {boolean}
 */
function hasBinary(value, fromToJSON) {
  if (!value || typeof value !== 'object') return false;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasBinary(value[i])) return true;
    return false;
  }
  for (const key of Object.keys(value)) if (hasBinary(value[key])) return true;
  if (typeof value.toJSON === 'function' && !fromToJSON) return hasBinary(value.toJSON(), true);
  return false;
}

/** Types whose data may hold binary. */
const MAY_CONTAIN_BINARY = new Set([
  MessageType.BROADCAST,
  MessageType.FETCH_SOCKETS_RESPONSE,
  MessageType.SERVER_SIDE_EMIT,
  MessageType.SERVER_SIDE_EMIT_RESPONSE,
  MessageType.BROADCAST_ACK,
]);

/**
 * Whether a session that was in `sessionRooms` should get a packet sent with `opts`.
 *
 * @param {any[]} sessionRooms
 * @param {{ rooms: any[], except: any[] }} opts
 */
function reachesSession(sessionRooms, opts) {
  const rooms = opts.rooms || [];
  const except = opts.except || [];
  const included = rooms.length === 0 || sessionRooms.some((room) => rooms.includes(room));
  return included && sessionRooms.every((room) => !except.includes(room));
}

/**
 * A msgpack payload whose first byte says "array": what @socket.io/redis-emitter
 * publishes ([uid, packet, opts]); cluster messages are maps.
 *
 * @param {Uint8Array} payload
 */
function isMsgpackArray(payload) {
  const b = payload[0];
  return (b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd;
}

/** @type {Map<boolean, any>} */
const classes = new Map();

/**
 * The adapter class, on the native room registry when `native` is true and
 * on socket.io-adapter's in-memory rooms otherwise. Built once per kind.
 *
 * @param {boolean} native
 * @returns {any}
 */
function redisStreamsAdapterClass(native) {
  let Cls = classes.get(native);
  if (Cls === undefined) {
    Cls = defineClass(native);
    classes.set(native, Cls);
  }
  return Cls;
}

/**
 * @param {boolean} native
 */
function defineClass(native) {
  const Base = native ? nativeRooms(ClusterAdapter) : ClusterAdapter;
  // The local layer: NativeAdapter's delivery loop over the native
  // recipients, or socket.io-adapter's in-memory one. Both are called with
  // this adapter as `this`; nothing is installed on anybody's prototype.
  const Local = native ? NativeAdapter.prototype : Adapter.prototype;

  /**
   * A cluster adapter over Redis Streams, wire-compatible with
   * @socket.io/redis-streams-adapter 0.3.x (same stream entries, channels,
   * msgpack responses and session keys), so its nodes and ours form one
   * cluster. Cluster bookkeeping (requests, responses, acks) is
   * socket.io-adapter's ClusterAdapter; local delivery is this package's:
   * a frame read from Redis is decoded once and written to this node's
   * recipients through the native broadcast.
   *
   * With the `emitterKey` option it also accepts what the
   * @socket.io/redis-emitter with that key publishes (broadcasts and
   * socketsJoin / socketsLeave / disconnectSockets / serverSideEmit
   * requests); by default it ignores them, as the official adapter does.
   *
   * Everything read from Redis is checked before it is acted on and handled
   * inside {@link _guard}: a malformed or throwing message costs that
   * message only (counted in redisStats()).
   */
  class NativeRedisStreamsAdapter extends Base {
    /**
     * @param {any} nsp the socket.io Namespace
     * @param {any} cluster the shared state made by createRedisAdapter()
     */
    constructor(nsp, cluster) {
      super(nsp);
      // The fields NativeAdapter's methods (copied below) use: the native
      // fan-out, so that broadcasts from other nodes are written natively too.
      if (native) initLocalLayer(this);
      const opts = cluster.opts;
      /** @private */
      this._cluster = cluster;
      /** @private */
      this._client = cluster.client;
      /** @private */
      this._opts = opts;
      /** @private */
      this._streamName = cluster.streamNameFor(nsp.name);
      /** @private */
      this._publicChannel = `${opts.channelPrefix}#${nsp.name}#`;
      /** @private */
      this._privateChannel = `${opts.channelPrefix}#${nsp.name}#${this.uid}#`;
      /** @private */
      this._recovery = Boolean(nsp.server.opts && nsp.server.opts.connectionStateRecovery);
      /** @private */
      this._closed = false;
      /**
       * The id of the newest of this adapter's own broadcasts delivered to
       * its local clients with its offset (connection state recovery).
       *
       * @private @type {string | null}
       */
      this._ownDelivered = null;
      /**
       * This adapter's broadcasts waiting for their stream entry before
       * they are delivered locally, oldest first.
       *
       * @private @type {{ packet: any, opts: any, delivered: boolean }[]}
       */
      this._pendingLocal = [];
      /** @private @type {(() => Promise<void>)[]} */
      this._unsubscribe = [];
      /**
       * Messages from Redis dropped (malformed) or whose handling threw,
       * shared by the namespaces of one createRedisAdapter().
       *
       * @private
       */
      this._counters = cluster.counters || { invalid: 0, failed: 0, missed: 0 };
      /**
       * Resolves once the pub/sub subscriptions and the stream readers are in
       * place (messages published before that may be missed, as with any
       * pub/sub subscriber). Never rejects.
       *
       * @type {Promise<void>}
       */
      this.ready = Promise.all([this._subscribe(), cluster.readersReady]).then(() => undefined, (err) => {
        debug('[%s] not subscribed: %s', this.uid, err.message);
      });
      debug('[%s] namespace %s on stream %s (native local layer: %s)', this.uid, nsp.name, this._streamName, native);
    }

    /**
     * @private
     * @returns {Promise<void>}
     */
    async _subscribe() {
      const sub = await this._cluster.subClient;
      const sharded = this._opts.useShardedPubSub;
      const undo = this._unsubscribe;
      undo.push(await redis.subscribe(sub, sharded, [this._publicChannel, this._privateChannel], (payload) => {
        // The official adapter decodes these too and ignores them (an array
        // has no nsp); @socket.io/redis-adapter and its emitter publish them
        // on the same channel names with the default keys.
        if (this._closed || isMsgpackArray(payload)) return;
        this._guard('pub/sub message', () => {
          let message;
          try {
            message = decode(payload);
          } catch (err) {
            this._invalid('pub/sub message', 'not msgpack');
            return;
          }
          this.onMessage(message);
        });
      }));
      const key = this._opts.emitterKey;
      if (key) {
        const nsp = this.nsp.name;
        undo.push(await redis.psubscribe(sub, `${escapeGlob(`${key}#${nsp}#`)}*`, (payload) => {
          if (!this._closed && isMsgpackArray(payload)) this._guard('emitter broadcast', () => this._onEmitterBroadcast(payload));
        }));
        undo.push(await redis.subscribe(sub, false, [`${key}-request#${nsp}#`], (payload) => {
          if (!this._closed) this._guard('emitter request', () => this._onEmitterRequest(payload));
        }));
      }
      // Closed while subscribing: undo what was done.
      if (this._closed) this._dropSubscriptions();
    }

    /**
     * Undoes this namespace's subscriptions (the connection stays: other
     * namespaces share it).
     *
     * @private
     */
    _dropSubscriptions() {
      const undo = this._unsubscribe.splice(0);
      for (const fn of undo) {
        Promise.resolve().then(fn).catch((err) => debug('[%s] unsubscribe failed: %s', this.uid, err.message));
      }
    }

    /**
     * Runs the handling of one message from Redis so that whatever it throws
     * or rejects with costs that message only: counted, and logged without
     * its contents. Every entry point from Redis into this adapter goes
     * through here (the client libraries call listeners inside their own
     * event emitters, where an exception kills the process with ioredis).
     *
     * @private
     * @param {string} kind what the message is, for the log
     * @param {() => any} fn
     */
    _guard(kind, fn) {
      let result;
      try {
        result = fn();
      } catch (err) {
        this._failed(kind, err);
        return;
      }
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        result.then(undefined, (err) => this._failed(kind, err));
      }
    }

    /**
     * @private
     * @param {string} kind
     * @param {any} err
     */
    _failed(kind, err) {
      this._counters.failed++;
      debug('[%s] %s failed: %s', this.uid, kind, errorKind(err));
      if (payloadLogging) logPayload(`redis ${kind} failed:`, String(err && err.message));
    }

    /**
     * @private
     * @param {string} kind
     * @param {string} reason a fixed description, never message contents
     */
    _invalid(kind, reason) {
      this._counters.invalid++;
      debug('[%s] %s dropped: %s', this.uid, kind, reason);
    }

    /**
     * Counts of this adapter's cluster connection, shared by every namespace
     * of one createRedisAdapter(). Messages from Redis it could not use:
     * `invalid` were malformed and dropped, `failed` threw while being
     * handled (a throwing serverSideEmit listener counts here). `missed`:
     * times a stream reader found entries trimmed (maxLen) before it read
     * them (broadcasts lost on this node). `queued`: stream entries that
     * waited before being sent (Redis away, or the readers behind);
     * `dropped`: entries never sent (the queue was full, or sending failed
     * twice).
     *
     * @returns {{ invalid: number, failed: number, missed: number, queued: number, dropped: number }}
     */
    redisStats() {
      const q = this._cluster.queue;
      return {
        invalid: this._counters.invalid,
        failed: this._counters.failed,
        missed: this._counters.missed || 0,
        queued: q ? q.queued : 0,
        dropped: q ? q.dropped : 0,
      };
    }

    /**
     * Publishes a cluster message: requests over pub/sub, everything else
     * appended to the stream (whose entry id is the offset clients use for
     * connection state recovery). Requests fail at once while the client is
     * disconnected (the caller answers with this node alone); stream entries
     * go through the cluster's publish queue, which holds them while Redis
     * is away and paces them to the readers.
     *
     * @param {any} message
     * @returns {Promise<string>} the stream offset, or "" for pub/sub messages
     */
    doPublish(message) {
      if (isEphemeral(message)) {
        if (!redis.isReady(this._client)) return Promise.reject(unavailable());
        const payload = Buffer.from(encode(message));
        return redis.publish(this._client, this._opts.useShardedPubSub, this._publicChannel, payload).then(() => '');
      }
      return new Promise((resolve, reject) => {
        this._append(message, (err, id) => (err ? reject(err) : resolve(/** @type {string} */ (id))));
      });
    }

    /**
     * Encodes a message into a stream entry now and appends it through the
     * publish queue; `done` runs with its id once Redis has it.
     *
     * @private
     * @param {any} message
     * @param {(err: Error | null, id?: string) => void} done
     * @param {() => void} [onHold] see RedisPublishQueue#push
     */
    _append(message, done, onHold) {
      const fields = this._encodeEntry(message);
      this._cluster.queue.push(this._streamName, fields, done, onHold);
    }

    /**
     * Sends a response to the node that asked, on its private channel.
     *
     * @param {string} requesterUid
     * @param {any} response
     * @returns {Promise<void>}
     */
    doPublishResponse(requesterUid, response) {
      if (!redis.isReady(this._client)) return Promise.reject(unavailable());
      const channel = `${this._opts.channelPrefix}#${this.nsp.name}#${requesterUid}#`;
      let payload;
      try {
        payload = Buffer.from(encode(response));
      } catch (err) {
        // A response is sent from inside message handling (fetchSockets'
        // socket.data, an ack argument): a value msgpack cannot encode is
        // a rejection ClusterAdapter logs, not an exception in a promise
        // chain nobody awaits.
        return Promise.reject(err);
      }
      return redis.publish(this._client, this._opts.useShardedPubSub, channel, payload).then(() => undefined);
    }

    /**
     * The stream entry of a message, as the official adapter writes it.
     *
     * @private
     * @param {any} message
     * @returns {Record<string, string>}
     */
    _encodeEntry(message) {
      /** @type {Record<string, string>} */
      const entry = { uid: message.uid, nsp: message.nsp, type: String(message.type) };
      if (message.data) {
        if (!this._opts.onlyPlaintext && MAY_CONTAIN_BINARY.has(message.type) && hasBinary(message.data)) {
          entry.data = Buffer.from(encode(message.data)).toString('base64');
        } else {
          entry.data = JSON.stringify(message.data);
        }
      }
      return entry;
    }

    /**
     * Called by the stream reader for each entry of this namespace.
     *
     * @param {Record<string, string>} entry
     * @param {string} offset the entry id
     */
    onRawMessage(entry, offset) {
      if (this._closed || entry.uid === this.uid) return;
      this._guard('stream entry', () => {
        let message;
        try {
          message = decodeEntry(entry);
        } catch (err) {
          this._invalid('stream entry', 'data is neither JSON nor msgpack');
          return;
        }
        this.onMessage(message, offset);
      });
    }

    /**
     * Whether a cluster message from Redis has the shape socket.io-adapter
     * gives it, as far as this node acts on it. Messages for another
     * namespace or from this adapter are left to ClusterAdapter, which
     * ignores them.
     *
     * @private
     * @param {any} message
     * @returns {string | null} why it is dropped, or null
     */
    _malformed(message) {
      if (!check.isObject(message)) return 'not a map';
      if (message.uid === this.uid || message.nsp !== this.nsp.name) return null;
      const data = message.data;
      const optsOk = () => check.isObject(data.opts) && check.isBroadcastOptions(data.opts);
      switch (message.type) {
        case MessageType.BROADCAST:
          if (!check.isObject(data) || !optsOk()) return 'malformed broadcast options';
          if (!check.isBroadcastPacket(data.packet)) return 'not a socket.io event packet';
          return null;
        case MessageType.SOCKETS_JOIN:
        case MessageType.SOCKETS_LEAVE:
          if (!check.isObject(data) || !optsOk()) return 'malformed options';
          return check.isRoomList(data.rooms) || typeof data.rooms === 'string' ? null : 'malformed rooms';
        case MessageType.DISCONNECT_SOCKETS:
        case MessageType.FETCH_SOCKETS:
          return check.isObject(data) && optsOk() ? null : 'malformed options';
        case MessageType.SERVER_SIDE_EMIT:
          return check.isObject(data) && check.isServerSideEvent(data.packet) ? null : 'malformed server-side event';
        default:
          return null;
      }
    }

    /**
     * Handles a message from another node. Broadcasts are delivered here,
     * through this package's local layer; everything else is
     * socket.io-adapter's ClusterAdapter.
     *
     * @param {any} message
     * @param {string} [offset]
     */
    onMessage(message, offset) {
      const reason = this._malformed(message);
      if (reason !== null) {
        this._invalid('cluster message', reason);
        return;
      }
      if (message.type !== MessageType.BROADCAST || message.uid === this.uid || message.nsp !== this.nsp.name) {
        super.onMessage(message, offset);
        return;
      }
      const data = message.data;
      const opts = decodeOptions(data.opts);
      if (data.requestId === undefined) {
        if (offset !== undefined) this.addOffsetIfNecessary(data.packet, opts, offset);
        Local.broadcast.call(this, data.packet, opts);
        return;
      }
      const requester = message.uid;
      const requestId = data.requestId;
      Local.broadcastWithAck.call(this, data.packet, opts, (clientCount) => {
        this.publishResponse(requester, {
          type: MessageType.BROADCAST_CLIENT_COUNT,
          data: { requestId, clientCount },
        });
      }, (arg) => {
        this.publishResponse(requester, {
          type: MessageType.BROADCAST_ACK,
          data: { requestId, packet: arg },
        });
      });
    }

    /**
     * Broadcasts a packet to this node's recipients and publishes it to the
     * others. The local clients get it once its stream entry is written, as
     * with the official adapter (socket.io-adapter's ClusterAdapter awaits
     * the publish): with connection state recovery they need its offset,
     * and without, broadcasts whose replies come back together are written
     * to each connection together (one write instead of one per broadcast:
     * measured in bench/redis.bench.js). Without recovery, while Redis is
     * away, they get it at once instead (see RedisPublishQueue#push).
     *
     * @param {any} packet
     * @param {{ rooms: Set<any>, except: Set<any>, flags?: any }} opts
     * @returns {Promise<void>}
     */
    async broadcast(packet, opts) {
      if (opts.flags && opts.flags.local) {
        Local.broadcast.call(this, packet, opts);
        return;
      }
      const message = {
        uid: this.uid,
        nsp: this.nsp.name,
        type: MessageType.BROADCAST,
        data: { packet, opts: encodeOptions(opts) },
      };
      // The entry is encoded synchronously in _append, before local delivery
      // touches the packet (the offset is pushed onto its data).
      const pending = { packet, opts, delivered: false };
      this._pendingLocal.push(pending);
      const published = new Promise((resolve, reject) => {
        const deliver = () => {
          try {
            this._deliverPending(pending);
            resolve(undefined);
          } catch (e) {
            reject(e);
          }
        };
        this._append(message, (err, id) => {
          if (err) {
            debug('[%s] broadcast not published: %s', this.uid, err.message);
          } else if (!pending.delivered) {
            this.addOffsetIfNecessary(packet, opts, id);
            if (this._ownDelivered === null || compareIds(/** @type {string} */ (id), this._ownDelivered) > 0) {
              this._ownDelivered = /** @type {string} */ (id);
            }
          }
          // In the reaction to the XADD reply itself, so that it has happened
          // before any later reply on the same connection (a restoreSession()
          // XRANGE) is looked at: see restoreSession(). What the local
          // delivery throws (an onAnyOutgoing listener) rejects this
          // broadcast, as it does with the official adapter.
          deliver();
        // Without recovery the clients need no offset: while Redis is away
        // they get the broadcast at once (with what waits before it), and
        // the entry follows for the other nodes once Redis is back.
        }, this._recovery ? undefined : deliver);
      });
      await published;
    }

    /**
     * Delivers to this node's clients, in order, the broadcasts waiting for
     * their stream entry up to `last`.
     *
     * @private
     * @param {{ packet: any, opts: any, delivered: boolean }} last
     */
    _deliverPending(last) {
      if (last.delivered) return;
      const queue = this._pendingLocal;
      while (queue.length > 0) {
        const next = /** @type {{ packet: any, opts: any, delivered: boolean }} */ (queue.shift());
        next.delivered = true;
        Local.broadcast.call(this, next.packet, next.opts);
        if (next === last) return;
      }
    }

    /**
     * Broadcasts a packet expecting acknowledgements: the other nodes report
     * their client counts and forward each ack; socket.io's timeout settles
     * the whole operation.
     *
     * @param {any} packet
     * @param {{ rooms: Set<any>, except: Set<any>, flags?: any }} opts
     * @param {(clientCount: number) => void} clientCountCallback
     * @param {(...args: any[]) => void} ack
     */
    broadcastWithAck(packet, opts, clientCountCallback, ack) {
      const flags = opts.flags || {};
      if (!flags.local) {
        const requestId = randomId();
        this.ackRequests.set(requestId, { clientCountCallback, ack });
        this.publish({
          type: MessageType.BROADCAST,
          data: { packet, requestId, opts: encodeOptions(opts) },
        });
        // Responses arriving after socket.io's timeout are dropped.
        const timer = setTimeout(() => this.ackRequests.delete(requestId), flags.timeout || 0);
        timer.unref();
      }
      Local.broadcastWithAck.call(this, packet, opts, clientCountCallback, ack);
    }

    /**
     * The number of nodes in the cluster (subscribers of the namespace's
     * public channel). Never rejects: while Redis is unreachable it is 1, so
     * acks and fetchSockets settle with this node's answers.
     *
     * @returns {Promise<number>}
     */
    async serverCount() {
      if (!redis.isReady(this._client)) return 1;
      try {
        return Math.max(1, await redis.numSub(this._client, this._opts.useShardedPubSub, this._publicChannel));
      } catch (err) {
        debug('[%s] serverCount failed: %s', this.uid, err.message);
        return 1;
      }
    }

    /**
     * Keeps a disconnected client's session in Redis for
     * `connectionStateRecovery.maxDisconnectionDuration`.
     *
     * @param {any} session
     */
    persistSession(session) {
      const key = this._opts.sessionKeyPrefix + session.pid;
      const value = Buffer.from(encode(session)).toString('base64');
      const ttl = this.nsp.server.opts.connectionStateRecovery.maxDisconnectionDuration;
      redis.setPx(this._client, key, value, ttl).catch((err) => {
        debug('[%s] session of socket %s not persisted: %s', this.uid, session.sid, err.message);
      });
    }

    /**
     * Restores a session persisted by any node of the cluster, with the
     * packets it missed since `offset` read back from the stream.
     *
     * @param {string} pid
     * @param {string} offset
     * @returns {Promise<any>}
     */
    async restoreSession(pid, offset) {
      if (!/^[0-9]+-[0-9]+$/.test(offset)) throw redisError('invalid offset', 'ERR_SOCKET_IO_NATIVE_REDIS_OFFSET');
      // While Redis is away the client gets a new session now rather than waiting for it.
      if (!redis.isReady(this._client)) throw unavailable();
      const [raw, found] = await Promise.all([
        redis.getDel(this._client, this._opts.sessionKeyPrefix + pid),
        redis.xrange(this._client, this._streamName, offset, offset, 1),
      ]);
      if (!raw || found.length === 0) {
        throw redisError('session or offset not found', 'ERR_SOCKET_IO_NATIVE_REDIS_OFFSET');
      }
      const session = /** @type {any} */ (decode(Buffer.from(raw, 'base64')));
      // The replay and this node's live deliveries must meet exactly: every
      // entry after `offset` reaches the socket once, in stream order. An
      // entry this node already delivered (its reader handed it out, or,
      // for this adapter's own broadcasts, their XADD reply came back) is
      // replayed; a later one is not, since it will be delivered live once
      // the socket exists, which socket.io does without leaving the
      // microtask queue after this function returns. First this node's
      // reader must have reached `offset` (another node may have handed it
      // out before this one read it), or it would deliver live what the
      // client already has.
      const reader = this._cluster.readerOf ? this._cluster.readerOf(this._streamName) : undefined;
      if (reader !== undefined && !(await reader.waitFor(offset, RESTORE_WAIT_MS))) {
        debug('[%s] restoring %s: the stream reader did not reach %s in time', this.uid, pid, offset);
      }
      /** @type {{ id: string, message: Record<string, string> }[]} */
      const entries = [];
      let from = offset;
      for (let page = 0; page < RESTORE_MAX_PAGES; page++) {
        const batch = await redis.xrange(this._client, this._streamName, nextOffset(from), '+', RESTORE_PAGE_SIZE);
        for (const entry of batch) entries.push(entry);
        if (batch.length > 0) from = batch[batch.length - 1].id;
        // Lets the reactions to XADD replies that came with this one run
        // first (own broadcasts are delivered in them).
        await null;
        await null;
        const bound = latest(reader !== undefined ? reader.position : null, this._ownDelivered);
        if (batch.length < RESTORE_PAGE_SIZE && (bound === null || compareIds(bound, from) <= 0)) break;
      }
      // From here to the return nothing is awaited: the positions read now
      // are those the socket will be created at.
      const readerAt = reader !== undefined ? reader.position : null;
      const ownAt = this._ownDelivered;
      session.missedPackets = [];
      for (const entry of entries) {
        if (entry.message.nsp !== this.nsp.name || entry.message.type !== '3') continue;
        if (entry.message.uid === this.uid) {
          // This adapter's own broadcast whose reply has not come back yet is delivered live.
          if (ownAt === null || compareIds(entry.id, ownAt) > 0) continue;
        } else if (reader !== undefined && readerAt !== null && compareIds(entry.id, readerAt) > 0) {
          // Without a reader (not started yet) or before its first read, the
          // entries are replayed as they are.
          continue;
        }
        const { packet, opts } = decodeEntry(entry.message).data;
        if (packet.type !== 2 || packet.id !== undefined || (opts.flags && opts.flags.volatile !== undefined)) continue;
        if (reachesSession(session.rooms, opts)) {
          packet.data.push(entry.id);
          session.missedPackets.push(packet.data);
        }
      }
      return session;
    }

    /**
     * A broadcast from @socket.io/redis-emitter: [uid, packet, opts].
     *
     * @private
     * @param {Buffer} payload
     */
    _onEmitterBroadcast(payload) {
      let decoded;
      try {
        decoded = decode(payload);
      } catch (err) {
        this._invalid('emitter broadcast', 'not msgpack');
        return;
      }
      if (!Array.isArray(decoded)) return;
      const [uid, packet, opts] = decoded;
      if (uid === this.uid) return;
      if (!check.isBroadcastPacket(packet, this.nsp.name) || !check.isObject(opts) || !check.isBroadcastOptions(opts)) {
        this._invalid('emitter broadcast', 'not a socket.io event packet with broadcast options');
        return;
      }
      Local.broadcast.call(this, packet, decodeOptions(opts));
    }

    /**
     * A request from @socket.io/redis-emitter (JSON on the request channel).
     *
     * @private
     * @param {Buffer} payload
     */
    _onEmitterRequest(payload) {
      let request;
      try {
        request = JSON.parse(payload.toString());
      } catch (err) {
        this._invalid('emitter request', 'not JSON');
        return;
      }
      if (!check.isObject(request) || !check.isBroadcastOptions(request.opts)) {
        this._invalid('emitter request', 'malformed request');
        return;
      }
      const local = () => {
        const opts = decodeOptions(request.opts);
        opts.flags = { local: true };
        return opts;
      };
      const roomsOk = check.isRoomList(request.rooms) || typeof request.rooms === 'string';
      switch (request.type) {
        case EMITTER_REMOTE_JOIN:
          if (roomsOk) this.addSockets(local(), request.rooms);
          else this._invalid('emitter request', 'malformed rooms');
          break;
        case EMITTER_REMOTE_LEAVE:
          if (roomsOk) this.delSockets(local(), request.rooms);
          else this._invalid('emitter request', 'malformed rooms');
          break;
        case EMITTER_REMOTE_DISCONNECT:
          this.disconnectSockets(local(), Boolean(request.close));
          break;
        case EMITTER_SERVER_SIDE_EMIT:
          if (!check.isServerSideEvent(request.data)) this._invalid('emitter request', 'malformed server-side event');
          else if (request.uid !== this.uid) this.nsp._onServerSideEmit(request.data);
          break;
        default:
          // Requests between classic adapters (fetch, rooms): not ours to answer.
          break;
      }
    }

    /**
     * Stops handling messages for this namespace and drops its
     * subscriptions; the last adapter closed stops the stream readers and
     * closes the subscription connection.
     */
    close() {
      if (this._closed) return;
      this._closed = true;
      this._dropSubscriptions();
      this._cluster.release(this);
    }
  }

  if (native) {
    // NativeAdapter.prototype.broadcast / broadcastWithAck run with this
    // adapter as `this`: give this class the other methods NativeAdapter
    // adds over nativeRooms (the delivery loop _deliver, stats), so they
    // find them; the constructor sets up their fields with initLocalLayer().
    // Our own class only; test/redis-adapter-unit.test.js checks that nothing
    // NativeAdapter needs is missing.
    for (const name of Object.getOwnPropertyNames(NativeAdapter.prototype)) {
      if (name === 'constructor' || name === 'broadcast' || name === 'broadcastWithAck') continue;
      if (Object.prototype.hasOwnProperty.call(NativeRedisStreamsAdapter.prototype, name)) continue;
      Object.defineProperty(NativeRedisStreamsAdapter.prototype, name,
        /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(NativeAdapter.prototype, name)));
    }
  }
  return NativeRedisStreamsAdapter;
}

/**
 * A stream entry back into a cluster message.
 *
 * @param {Record<string, string>} entry
 */
function decodeEntry(entry) {
  /** @type {any} */
  const message = { uid: entry.uid, nsp: entry.nsp, type: parseInt(entry.type, 10) };
  if (entry.data) {
    message.data = entry.data.startsWith('{') ? JSON.parse(entry.data) : decode(Buffer.from(entry.data, 'base64'));
  }
  return message;
}

/**
 * The smallest id after `offset` (exclusive XRANGE needs Redis 6.2).
 *
 * @param {string} offset
 */
function nextOffset(offset) {
  const [ms, seq] = offset.split('-');
  return `${ms}-${parseInt(seq, 10) + 1}`;
}

/**
 * The later of two stream ids (null when both are).
 *
 * @param {string | null} a
 * @param {string | null} b
 * @returns {string | null}
 */
function latest(a, b) {
  if (a === null) return b;
  if (b === null) return a;
  return compareIds(a, b) >= 0 ? a : b;
}

/**
 * Escapes glob characters of a namespace name for PSUBSCRIBE.
 *
 * @param {string} text
 */
function escapeGlob(text) {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}

/** @returns {Error & { code: string }} */
function unavailable() {
  return redisError('Redis is not reachable; delivered to this server\'s clients only',
    'ERR_SOCKET_IO_NATIVE_REDIS_UNAVAILABLE');
}

module.exports = { redisStreamsAdapterClass };
