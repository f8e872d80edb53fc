'use strict';

/**
 * Errors of the Redis adapter. Every error carries a `code`:
 *
 * - ERR_SOCKET_IO_NATIVE_REDIS_CLIENT: the argument is not a supported Redis client
 * - ERR_SOCKET_IO_NATIVE_REDIS_VERSION: an installed package has a version this adapter does not support
 * - ERR_SOCKET_IO_NATIVE_REDIS_OPTIONS: an option has the wrong type or range
 * - ERR_SOCKET_IO_NATIVE_REDIS_UNAVAILABLE: Redis is not reachable right now, so a request was
 *   answered by this server alone (or the session was not restored), or a stream entry was
 *   dropped from the full publish queue (or when the adapter closed)
 * - ERR_SOCKET_IO_NATIVE_REDIS_OFFSET: a connection state recovery offset is malformed, or its
 *   session or stream entry is gone
 */

/**
 * @param {string} message
 * @param {string} code
 * @returns {Error & { code: string }}
 */
function redisError(message, code) {
  const err = new Error(`socket.io-native: ${message}`);
  // @ts-ignore
  err.code = code;
  // @ts-ignore
  return err;
}

module.exports = { redisError };
