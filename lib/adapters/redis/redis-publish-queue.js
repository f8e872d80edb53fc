'use strict';

const debug = require('debug')('socket.io-native:redis');
const redis = require('./redis-commands');
const { redisError } = require('./redis-errors');

/** How often a queue waiting for Redis to come back looks again, in milliseconds. */
const RECHECK_MS = 20;

/**
 * How long another node's reader position counts for pacing after its last
 * report: a reader that stops reporting (caught up, or its node gone) stops
 * holding this node's appends back after that.
 */
const REPORT_TTL_MS = 1000;

/**
 * @typedef {object} QueuedEntry
 * @property {number} seq push order, kept across a retry
 * @property {string} stream
 * @property {Record<string, string>} fields
 * @property {(err: Error | null, id?: string) => void} done called once, with the entry id or why it was dropped
 * @property {boolean} retried
 * @property {(() => void) | undefined} onHold called when the entry waits for Redis to be ready
 */

/**
 * The stream appends (XADD) of one createRedisAdapter(), in the order they
 * were made, with two brakes the official adapter gets from elsewhere or not
 * at all:
 *
 * - While the publishing client is not ready (Redis restarting, the client's
 *   reconnect backoff) entries wait here instead of failing, and go out in
 *   order once it is ready again, as node-redis's and ioredis's offline
 *   queues hold the official adapter's commands. Unlike those, this queue is
 *   bounded (`maxQueued` entries): past it, the oldest entry is dropped and
 *   counted.
 * - Pacing: at most `window` entries of this process may be on a stream and
 *   not yet read back by this process's own reader of that stream. A burst
 *   of broadcasts (20,000 io.emit in one loop) otherwise lands in Redis far
 *   faster than any node's reader (readCount entries per round trip) can
 *   follow, and MAXLEN trims entries nobody read. The own reader stands for
 *   the others: it reads the same stream at the same rate. The window is a
 *   quarter of maxLen, so four nodes bursting at once still fit.
 *
 * An entry that failed to send because the connection dropped with it in
 * flight is queued again once, in its place; a second failure drops it
 * (counted), and so does a failure while the client is ready.
 */
class RedisPublishQueue {
  /**
   * @param {any} client the publishing client
   * @param {{ maxLen: number, maxQueued: number }} opts
   */
  constructor(client, opts) {
    /** @private */
    this._client = client;
    /** @private */
    this._maxLen = opts.maxLen;
    /** @private */
    this._window = Math.max(1, Math.floor(opts.maxLen / 8));
    /** @private */
    this._max = opts.maxQueued;
    /** @private @type {QueuedEntry[]} */
    this._queue = [];
    /** @private */
    this._seq = 0;
    /**
     * stream -> ids of entries this process appended that its reader has not
     * read yet, oldest first, and how many appends are in flight.
     *
     * `readAt` is the last id the reader read: a reply that comes back after
     * the reader already passed its entry (the two use different
     * connections) is not waited for.
     *
     * `others` holds the positions other nodes' readers reported, with when.
     *
     * @private @type {Map<string, { ids: string[], head: number, inFlight: number, tracked: boolean, readAt: string | null,
     *   others: Map<string, { id: string, at: number }> }>}
     */
    this._streams = new Map();
    /** @private @type {NodeJS.Timeout | null} */
    this._timer = null;
    /** @private */
    this._stopped = false;
    /** Entries that waited here (Redis away, or paced) before being sent. */
    this.queued = 0;
    /** Entries dropped: the queue was full, or sending failed twice. */
    this.dropped = 0;
  }

  /**
   * @private
   * @param {string} stream
   */
  _state(stream) {
    let s = this._streams.get(stream);
    if (s === undefined) {
      s = { ids: [], head: 0, inFlight: 0, tracked: false, readAt: null, others: new Map() };
      this._streams.set(stream, s);
    }
    return s;
  }

  /**
   * Says that this process reads `stream` (its appends are paced against that
   * reader from now on).
   *
   * @param {string} stream
   */
  track(stream) {
    this._state(stream).tracked = true;
  }

  /**
   * Called by this process's reader of `stream` for every id it reads, in order.
   *
   * @param {string} stream
   * @param {string} id
   */
  read(stream, id) {
    const s = this._streams.get(stream);
    if (s === undefined) return;
    s.readAt = id;
    this._release(s);
  }

  /**
   * Another node's reader of `stream` says it has read up to `id`.
   *
   * @param {string} stream
   * @param {string} reader an id of that node
   * @param {string} id
   */
  progress(stream, reader, id) {
    const s = this._streams.get(stream);
    if (s === undefined || !s.tracked) return;
    const known = s.others.get(reader);
    if (known !== undefined && compareIds(id, known.id) < 0) return;
    s.others.set(reader, { id, at: Date.now() });
    this._release(s);
  }

  /**
   * The position of the slowest reader that counts: this process's own and
   * the others' recent reports.
   *
   * @private
   * @param {any} s
   * @returns {string | null}
   */
  _slowest(s) {
    let min = s.readAt;
    const now = Date.now();
    for (const [reader, pos] of s.others) {
      if (now - pos.at > REPORT_TTL_MS) s.others.delete(reader);
      else if (min === null || compareIds(pos.id, min) < 0) min = pos.id;
    }
    return min;
  }

  /**
   * Forgets the ids every counted reader has read, and sends what that lets through.
   *
   * @private
   * @param {any} s
   */
  _release(s) {
    const min = this._slowest(s);
    let released = false;
    while (min !== null && s.head < s.ids.length && compareIds(s.ids[s.head], min) <= 0) {
      s.head++;
      released = true;
    }
    if (s.head > 1024 && s.head * 2 > s.ids.length) {
      s.ids = s.ids.slice(s.head);
      s.head = 0;
    }
    if (released && this._queue.length > 0) this._flush();
  }

  /**
   * Called when the reader of `stream` failed or stopped: its appends are no
   * longer paced by it until it reads again (a reader that cannot read must
   * not hold every broadcast back).
   *
   * @param {string} stream
   */
  readerDown(stream) {
    const s = this._streams.get(stream);
    if (s === undefined) return;
    s.ids = [];
    s.head = 0;
    s.others.clear();
    if (this._queue.length > 0) this._flush();
  }

  /**
   * Appends an entry, now or once Redis is ready and the stream's readers
   * are close enough behind. `done` runs once: with the entry id, or with
   * the reason it was dropped.
   *
   * @param {string} stream
   * @param {Record<string, string>} fields
   * @param {(err: Error | null, id?: string) => void} done
   * @param {() => void} [onHold] called (before `done`) if the entry has to
   *   wait for Redis: the client is not ready, or the append failed and is
   *   queued again
   */
  push(stream, fields, done, onHold) {
    const item = { seq: this._seq++, stream, fields, done, retried: false, onHold };
    if (this._stopped) {
      done(unavailable());
      return;
    }
    if (this._queue.length === 0 && this._canSend(stream)) {
      this._send(item);
      return;
    }
    this.queued++;
    if (this._queue.length >= this._max) {
      const oldest = /** @type {QueuedEntry} */ (this._queue.shift());
      this.dropped++;
      debug('publish queue full (%d entries): the oldest entry is dropped', this._max);
      oldest.done(redisError(`publish queue full (${this._max} entries)`, 'ERR_SOCKET_IO_NATIVE_REDIS_UNAVAILABLE'));
    }
    this._queue.push(item);
    if (onHold !== undefined && !redis.isReady(this._client)) onHold();
    this._flush();
  }

  /**
   * @private
   * @param {string} stream
   */
  _canSend(stream) {
    if (!redis.isReady(this._client)) return false;
    const s = this._streams.get(stream);
    if (s === undefined || !s.tracked) return true;
    if (s.ids.length - s.head + s.inFlight < this._window) return true;
    // Reports may have gone stale since the ids were counted.
    if (s.others.size > 0) this._release(s);
    return s.ids.length - s.head + s.inFlight < this._window;
  }

  /**
   * @private
   * @param {QueuedEntry} item
   */
  _send(item) {
    const s = this._state(item.stream);
    s.inFlight++;
    let sent;
    try {
      sent = redis.xadd(this._client, item.stream, item.fields, this._maxLen);
    } catch (err) {
      sent = Promise.reject(err);
    }
    // The entry's `done` runs in the reaction to the reply itself, not a few
    // promise hops later: restoreSession() relies on a broadcast whose reply
    // arrived before its own XRANGE reply having been delivered locally.
    sent.then((id) => {
      s.inFlight--;
      // A reply may come back after every reader passed its entry (readers
      // and publisher use different connections): nothing to wait for then.
      if (s.tracked) {
        const slowest = this._slowest(s);
        if (slowest === null || compareIds(id, slowest) > 0) s.ids.push(id);
      }
      item.done(null, id);
    }, (err) => {
      s.inFlight--;
      // Sent again only while the connection is down: every entry sent after
      // it is then failing too (and is queued again behind it) or waiting
      // here. A failure that comes back once the client is ready again may
      // have later entries ahead of it in Redis already: sending it again
      // would reorder the stream, so it is dropped (counted).
      if (!item.retried && !this._stopped && !redis.isReady(this._client)) {
        item.retried = true;
        debug('XADD to %s failed (%s): queued again', item.stream, err && err.message);
        this._requeue(item);
        if (item.onHold !== undefined) item.onHold();
        return;
      }
      this.dropped++;
      item.done(err);
    });
  }

  /**
   * Puts a failed entry back in its place (queued entries are in push order).
   *
   * @private
   * @param {QueuedEntry} item
   */
  _requeue(item) {
    let i = 0;
    while (i < this._queue.length && this._queue[i].seq < item.seq) i++;
    this._queue.splice(i, 0, item);
    this.queued++;
    this._flush();
  }

  /**
   * Sends queued entries while Redis is ready and their streams are not
   * paced; otherwise looks again shortly (pacing also resumes from read()).
   *
   * @private
   */
  _flush() {
    while (this._queue.length > 0 && this._canSend(this._queue[0].stream)) {
      this._send(/** @type {QueuedEntry} */ (this._queue.shift()));
    }
    if (this._queue.length > 0 && this._timer === null && !this._stopped) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this._flush();
      }, RECHECK_MS);
      this._timer.unref();
    }
  }

  /** Drops what is still queued (the adapter is closing). */
  stop() {
    this._stopped = true;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    for (const item of this._queue.splice(0)) item.done(unavailable());
  }
}

/**
 * Compares two stream ids ("<ms>-<seq>").
 *
 * @param {string} a
 * @param {string} b
 * @returns {number} negative, 0 or positive
 */
function compareIds(a, b) {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const ma = Number(a.slice(0, da));
  const mb = Number(b.slice(0, db));
  if (ma !== mb) return ma - mb;
  return Number(a.slice(da + 1)) - Number(b.slice(db + 1));
}

/** @returns {Error & { code: string }} */
function unavailable() {
  return redisError('the adapter is closed; not published', 'ERR_SOCKET_IO_NATIVE_REDIS_UNAVAILABLE');
}

module.exports = { RedisPublishQueue, compareIds };
