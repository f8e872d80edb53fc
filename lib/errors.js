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

/**
 * An option the function does not have. The declarations reject it at
 * compile time; this is the same check for JavaScript callers, who would
 * otherwise believe it took effect.
 *
 * @param {string} fn e.g. "createAdapter(options)"
 * @param {string[]} unknown the option names
 * @param {string[]} known the option names it takes
 * @returns {TypeError & { code: string }}
 */
function unknownOptionError(fn, unknown, known) {
  const takes = known.length === 0 ? 'it takes no options yet' : `it takes ${known.join(', ')}`;
  const err = new TypeError(`${fn}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ${takes}`);
  // @ts-ignore
  err.code = 'ERR_SOCKET_IO_NATIVE_UNKNOWN_OPTION';
  // @ts-ignore
  return err;
}

/**
 * `adapter: createAdapter` instead of `adapter: createAdapter()`: socket.io
 * calls the factory itself with `new` and a Namespace, and without this check
 * fails later with "this.adapter.init is not a function".
 *
 * @param {string} call how the factory is called, e.g. "createAdapter()"
 * @returns {TypeError & { code: string }}
 */
function adapterNotCalledError(call) {
  const name = call.slice(0, call.indexOf('('));
  const err = new TypeError(
    `socket.io called ${name} as the adapter class: pass its result, ` +
    `\`new Server(httpServer, { adapter: ${call} })\`, not \`adapter: ${name}\``
  );
  // @ts-ignore
  err.code = 'ERR_SOCKET_IO_NATIVE_ADAPTER_NOT_CALLED';
  // @ts-ignore
  return err;
}

module.exports = { codes, protocolError, readOnlyError, invalidArgError, unknownOptionError, adapterNotCalledError };
