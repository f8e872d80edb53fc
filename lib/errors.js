'use strict';

/**
 * Error helpers. Every error the package throws carries a `code`. Protocol
 * errors thrown by the decoder keep socket.io-parser's messages word for word
 * (applications and tests match on them).
 */

/** Error codes, by socket.io-parser message. */
const codes = {
  UNKNOWN_PACKET_TYPE: 'ERR_SIO_UNKNOWN_PACKET_TYPE',
  ILLEGAL_ATTACHMENTS: 'ERR_SIO_ILLEGAL_ATTACHMENTS',
  TOO_MANY_ATTACHMENTS: 'ERR_SIO_TOO_MANY_ATTACHMENTS',
  INVALID_PAYLOAD: 'ERR_SIO_INVALID_PAYLOAD',
  ILLEGAL_PLACEHOLDER: 'ERR_SIO_ILLEGAL_PLACEHOLDER',
  UNEXPECTED_TEXT: 'ERR_SIO_UNEXPECTED_TEXT',
  UNEXPECTED_BINARY: 'ERR_SIO_UNEXPECTED_BINARY',
  UNKNOWN_INPUT: 'ERR_SIO_UNKNOWN_INPUT',
};

/**
 * Creates a protocol error.
 * @param {string} message socket.io-parser's message
 * @param {string} code one of `codes`
 * @returns {Error & { code: string }}
 */
function protocolError(message, code) {
  const err = new Error(message);
  err.code = code;
  return err;
}

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

module.exports = { codes, protocolError, readOnlyError, invalidArgError };
