'use strict';

const crypto = require('crypto');
const { Adapter } = require('socket.io-adapter');
const debug = require('debug')('socket.io-native:accelerate');
const Encoder = require('../../parser/encoder');
const { transcodeClassicMessage, available, MALFORMED } = require('./classic-message');

/**
 * Incoming broadcasts of @socket.io/redis-adapter's classic adapter, under
 * accelerate(), transcoded natively: the message goes from msgpack to the
 * packet text in C++ (lib/adapters/redis/classic-message.js) instead of
 * notepack.decode building JS objects and the Encoder serializing them again
 * (bench/RESULTS.md, "Incoming classic Redis adapter messages").
 *
 * The adapter's own `onmessage` is replaced on the instance only (an own
 * property; its class and other instances are untouched), and only where
 * node-redis calls it through `this.onmessage` at each message: with ioredis
 * the adapter registers `this.onmessage.bind(this)` in its constructor, before
 * accelerate() sees it, and re-registering a listener on the application's
 * client would change the order of its listeners, so ioredis keeps the JS
 * path. Everything else the official method does is done the same way, in
 * the same order; whatever the transcoder refuses, or a packet with an ack
 * id, goes to the official method itself.
 */

/**
 * SHA-256 of RedisAdapter#onmessage's source in the versions whose semantics
 * the replacement reproduces (@socket.io/redis-adapter 8.3.0). Another
 * version, or a subclass overriding it, keeps the official method.
 */
const KNOWN_ONMESSAGE = new Set([
  '851b4a3b17c7ae86b2c6593573e0f49d42fb6145432c1aae491ce4274c035f61',
]);

/** @type {WeakMap<object, boolean>} parser object -> whether it is notepack.io */
const notepackParsers = new WeakMap();

/**
 * Whether `parser` is a copy of notepack.io (the classic adapter's default
 * parser), found by its module in require's cache.
 *
 * @param {any} parser
 * @returns {boolean}
 */
function isNotepack(parser) {
  if (parser === null || typeof parser !== 'object') return false;
  let known = notepackParsers.get(parser);
  if (known === undefined) {
    known = Object.values(require.cache).some((m) => m !== undefined && m.exports === parser &&
      /[\\/]notepack\.io[\\/]lib[\\/]index\.js$/.test(m.filename));
    notepackParsers.set(parser, known);
  }
  return known;
}

/**
 * Whether `encoder` writes exactly what the transcoder reproduces: this
 * package's Encoder or socket.io-parser's, without a replacer or an
 * overridden encode().
 *
 * @param {any} encoder
 * @returns {boolean}
 */
function isStandardEncoder(encoder) {
  if (encoder === null || typeof encoder !== 'object' || encoder.replacer !== undefined) return false;
  if (Object.prototype.hasOwnProperty.call(encoder, 'encode')) return false;
  if (encoder.constructor === Encoder) return true;
  let StockEncoder;
  try {
    StockEncoder = require('socket.io-parser').Encoder;
  } catch {
    return false;
  }
  return encoder.constructor === StockEncoder;
}

/**
 * @param {Function} fn
 * @returns {string}
 */
function sourceHash(fn) {
  return crypto.createHash('sha256').update(Function.prototype.toString.call(fn)).digest('hex');
}

/**
 * Why incoming messages of `adapter` cannot be transcoded, or null.
 *
 * @param {any} adapter an adapter accelerate() is accelerating
 * @returns {string | null}
 */
function transcodingReason(adapter) {
  if (!available) return 'the addon has no transcoder';
  const onmessage = adapter.onmessage;
  if (typeof onmessage !== 'function' || !(adapter.redisListeners instanceof Map)) {
    return 'not the classic Redis adapter';
  }
  if (!KNOWN_ONMESSAGE.has(sourceHash(onmessage))) return 'RedisAdapter#onmessage is not a known version';
  if (!adapter.redisListeners.has('psub')) {
    return 'the subscriber is not a node-redis client (ioredis binds onmessage at construction)';
  }
  if (!isNotepack(adapter.parser)) return 'the adapter has a custom parser';
  if (!isStandardEncoder(adapter.encoder)) return "the server's parser is not socket.io-parser's or this package's";
  return null;
}

/**
 * The packet object the official method would have built, for what reads it
 * (onAnyOutgoing listeners, through socket.notifyOutgoingListeners): `type`
 * and `nsp` as own properties, `data` decoded from the message with the
 * adapter's own parser the first time it is read (then an own property, as
 * a write also makes it). The packet never reaches application code itself:
 * only Adapter#broadcast and the delivery loop see it, and they read `nsp`,
 * `id` and `data`.
 */
class LazyPacket {
  #parser;
  #msg;

  /**
   * @param {any} parser
   * @param {Buffer} msg
   * @param {number} type
   * @param {string} nsp
   */
  constructor(parser, msg, type, nsp) {
    this.type = type;
    this.nsp = nsp;
    this.#parser = parser;
    this.#msg = msg;
  }

  get data() {
    const data = this.#parser.decode(this.#msg)[1].data;
    this.data = data;
    return data;
  }

  set data(value) {
    Object.defineProperty(this, 'data', { value, writable: true, enumerable: true, configurable: true });
  }
}

/**
 * @param {any} parser
 * @param {Buffer} msg
 * @param {{ type: number, nsp: string }} t
 * @returns {any}
 */
function lazyPacket(parser, msg, t) {
  return new LazyPacket(parser, msg, t.type, t.nsp);
}

/**
 * Replaces `adapter.onmessage` with the transcoding one when it can (see the
 * file comment).
 *
 * @param {any} adapter
 * @param {{ transcoded: number, jsPath: number }} counters counted per message
 * @returns {string | null} why not, or null when installed
 */
function installTranscoding(adapter, counters) {
  const reason = transcodingReason(adapter);
  if (reason !== null) return reason;
  const official = adapter.onmessage;
  const parser = adapter.parser;

  /**
   * RedisAdapter#onmessage's steps, in its order: channel, room, decode,
   * uid, namespace, then Adapter#broadcast with the packet and opts.
   *
   * @this {any}
   * @param {any} pattern
   * @param {any} channel
   * @param {any} msg
   */
  function onmessage(pattern, channel, msg) {
    const t = Buffer.isBuffer(msg) ? transcodeClassicMessage(msg) : null;
    // Refused, malformed (the official method throws as it would have) or
    // with an ack id (the acks keep socket.io's own path).
    if (t === null || t === MALFORMED || t.id !== undefined) {
      counters.jsPath++;
      return official.call(this, pattern, channel, msg);
    }
    channel = channel.toString();
    if (!channel.startsWith(this.channel)) return debug('ignore different channel');
    const room = channel.slice(this.channel.length, -1);
    if (room !== '' && !this.hasRoom(room)) return debug('ignore unknown room %s', room);
    if (t.uid === this.uid) return debug('ignore same uid');
    if (t.nsp !== this.nsp.name) return debug('ignore different namespace');
    counters.transcoded++;
    /** @type {any} */
    const opts = { rooms: new Set(t.rooms), except: new Set(t.except) };
    if (t.flags !== undefined) opts.flags = t.flags;
    this._transcoded = t.encodedPackets;
    try {
      Adapter.prototype.broadcast.call(this, lazyPacket(parser, msg, t), opts);
    } finally {
      this._transcoded = null;
    }
  }
  Object.defineProperty(adapter, 'onmessage', { value: onmessage, writable: true, configurable: true, enumerable: false });
  return null;
}

module.exports = { installTranscoding, transcodingReason, lazyPacket, KNOWN_ONMESSAGE };
