'use strict';

/**
 * Error helpers. Every error the package throws carries a `code`.
 */

/**
 * The views `adapter.rooms` and `adapter.sids` (and the sets they return)
 * read the native registry; writing through them would bypass the adapter's
 * events and bookkeeping, so they refuse.
 *
 * @param {string} what e.g. "adapter.rooms.set()"
 * @returns {TypeError & { code: string }}
 */
function readOnlyError(what) {
  const err = new TypeError(
    `${what} is not supported: with socket.io-native, adapter.rooms and adapter.sids are ` +
    'read-only views of the native room registry; use socket.join(), socket.leave(), ' +
    'adapter.addAll(), adapter.del() or adapter.delAll() instead'
  );
  // @ts-ignore
  err.code = 'ERR_SOCKET_IO_NATIVE_READ_ONLY';
  // @ts-ignore
  return err;
}

/**
 * @param {string} message
 * @returns {TypeError & { code: string }}
 */
function invalidArgError(message) {
  const err = new TypeError(message);
  // @ts-ignore
  err.code = 'ERR_INVALID_ARG_TYPE';
  // @ts-ignore
  return err;
}

module.exports = { readOnlyError, invalidArgError };
