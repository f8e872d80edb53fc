'use strict';

const debug = require('debug')('socket.io-native:redis');
const redis = require('./redis-commands');
const { errorSummary } = require('../../payload-debug');

/** Retry delays after a failed XREAD: doubling from the first to the last. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

/**
 * Reads one Redis stream with XREAD BLOCK on its own connection and hands
 * every entry to `onEntry`, in order. It starts at the end of the stream and
 * keeps its position across reconnections; after a failure it waits a
 * little longer each time (up to a second) before reading again.
 */
class RedisStreamReader {
  /**
   * @param {any} client a connection used for nothing else (XREAD BLOCK holds it)
   * @param {string} stream
   * @param {{ readCount: number, blockTimeInMs: number }} opts
   * @param {(message: Record<string, string>, id: string) => void} onEntry
   */
  constructor(client, stream, opts, onEntry) {
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
      entries = await redis.xread(this._client, this._stream, this._offset, this._opts.readCount, this._opts.blockTimeInMs);
      this._retryMs = 0;
    } catch (err) {
      if (this._stopped) return;
      this._retryMs = this._retryMs === 0 ? RETRY_FIRST_MS : Math.min(this._retryMs * 2, RETRY_MAX_MS);
      debug('XREAD on %s failed (%s); again in %d ms', this._stream, err.message, this._retryMs);
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
    }
    // Next read on a fresh stack, so a long run of entries does not grow it.
    setImmediate(() => this._poll());
  }

  /** Stops reading and closes the connection. */
  stop() {
    this._stopped = true;
    if (this._timer) clearTimeout(this._timer);
    redis.close(this._client);
  }
}

module.exports = { RedisStreamReader };
