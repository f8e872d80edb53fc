'use strict';

const debug = require('debug')('socket.io-native:redis');
const redis = require('./redis-commands');
const { errorSummary } = require('../../payload-debug');
const { compareIds } = require('./redis-publish-queue');

/** Retry delays after a failed XREAD: doubling from the first to the last. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

/**
 * Reads one Redis stream with XREAD BLOCK on its own connection and hands
 * every entry to `onEntry`, in order. It starts at the end of the stream and
 * keeps its position across reconnections; after a failure it waits a
 * little longer each time (up to a second) before reading again.
 *
 * A reader that falls more than maxLen entries behind loses entries to
 * MAXLEN trimming, and XREAD does not say so (it returns what follows the
 * given id, whatever is gone in between). So after a full read (the reader
 * is behind) it first checks that the last id it read is still in the
 * stream; when it is not, entries were trimmed unread: counted in `missed`,
 * reported through `hooks.missed`.
 */
class RedisStreamReader {
  /**
   * @param {any} client a connection used for nothing else (XREAD BLOCK holds it)
   * @param {string} stream
   * @param {{ readCount: number, blockTimeInMs: number, maxLen?: number }} opts
   * @param {(message: Record<string, string>, id: string) => void} onEntry
   * @param {{ read?: (id: string, count: number) => void, down?: () => void, missed?: () => void }} [hooks]
   *   `read` after each batch with its last id and size, `down` when a read failed,
   *   `missed` when entries were trimmed before this reader read them
   */
  constructor(client, stream, opts, onEntry, hooks) {
    /** @private */
    this._client = client;
    /** @private */
    this._stream = stream;
    /** @private */
    this._opts = opts;
    /** @private */
    this._onEntry = onEntry;
    /** @private */
    this._offset = '$';
    /** @private */
    this._stopped = false;
    /** @private */
    this._retryMs = 0;
    /** @private @type {NodeJS.Timeout | null} */
    this._timer = null;
    /** @private */
    this._hooks = hooks || {};
    /** @private whether the last read returned readCount entries (the reader is behind) */
    this._behind = false;
    /** @private @type {{ id: string, resolve: (reached: boolean) => void }[]} */
    this._waiters = [];
    /** Times entries were found trimmed before this reader read them. */
    this.missed = 0;
  }

  /**
   * The id of the last entry handed to `onEntry` (or skipped), or null
   * before the first one.
   *
   * @returns {string | null}
   */
  get position() {
    return this._offset === '$' ? null : this._offset;
  }

  /**
   * Resolves true once this reader has handed out `id` (or an entry after
   * it), false after `timeoutMs` or when the reader stops.
   *
   * @param {string} id
   * @param {number} timeoutMs
   * @returns {Promise<boolean>}
   */
  waitFor(id, timeoutMs) {
    const pos = this.position;
    if (pos !== null && compareIds(pos, id) >= 0) return Promise.resolve(true);
    if (this._stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { id, resolve };
      const timer = setTimeout(() => {
        const i = this._waiters.indexOf(waiter);
        if (i >= 0) this._waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      waiter.resolve = (reached) => {
        clearTimeout(timer);
        resolve(reached);
      };
      this._waiters.push(waiter);
    });
  }

  /** @private */
  _wake() {
    if (this._waiters.length === 0) return;
    const pos = this.position;
    this._waiters = this._waiters.filter((w) => {
      if (pos === null || compareIds(pos, w.id) < 0) return true;
      w.resolve(true);
      return false;
    });
  }

  /**
   * How many entries to ask for: readCount, or, while the reader is behind,
   * up to a quarter of maxLen, so that it catches up in fewer round trips
   * before MAXLEN trims what it has not read.
   *
   * @private
   * @returns {number}
   */
  _count() {
    const { readCount, maxLen } = this._opts;
    return this._behind ? Math.max(readCount, Math.floor((maxLen || 0) / 4)) : readCount;
  }

  /**
   * Whether the last id read is gone from the stream (trimmed unread
   * entries may have followed it).
   *
   * @private
   * @returns {Promise<boolean>}
   */
  async _trimmedSince() {
    const still = await redis.xrange(this._client, this._stream, this._offset, this._offset, 1);
    return still.length === 0;
  }

  /** Starts reading. */
  start() {
    this._poll();
  }

  /** @private */
  async _poll() {
    if (this._stopped) return;
    let entries = null;
    try {
      if (this._behind && this._offset !== '$' && await this._trimmedSince()) {
        this.missed++;
        debug('entries of %s after %s were trimmed before this node read them (maxLen too small for the traffic)',
          this._stream, this._offset);
        if (this._hooks.missed) this._hooks.missed();
      }
      entries = await redis.xread(this._client, this._stream, this._offset, this._count(), this._opts.blockTimeInMs);
      this._retryMs = 0;
    } catch (err) {
      if (this._stopped) return;
      this._retryMs = this._retryMs === 0 ? RETRY_FIRST_MS : Math.min(this._retryMs * 2, RETRY_MAX_MS);
      debug('XREAD on %s failed (%s); again in %d ms', this._stream, err.message, this._retryMs);
      this._behind = false;
      if (this._hooks.down) this._hooks.down();
      this._timer = setTimeout(() => {
        this._timer = null;
        this._poll();
      }, this._retryMs);
      return;
    }
    if (entries) {
      for (const entry of entries) {
        this._offset = entry.id;
        if (entry.message && entry.message.nsp) {
          try {
            this._onEntry(entry.message, entry.id);
          } catch (err) {
            debug('entry %s of %s failed: %s', entry.id, this._stream, errorSummary(err));
          }
        }
      }
      this._behind = entries.length >= this._opts.readCount;
      if (entries.length > 0) {
        if (this._hooks.read) this._hooks.read(this._offset, entries.length);
        this._wake();
      }
    } else {
      this._behind = false;
    }
    // Next read on a fresh stack, so a long run of entries does not grow it.
    setImmediate(() => this._poll());
  }

  /** Stops reading and closes the connection. */
  stop() {
    this._stopped = true;
    if (this._timer) clearTimeout(this._timer);
    for (const w of this._waiters.splice(0)) w.resolve(false);
    if (this._hooks.down) this._hooks.down();
    redis.close(this._client);
  }
}

module.exports = { RedisStreamReader };
