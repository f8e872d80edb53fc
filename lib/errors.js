'use strict';

/**
 * Protocol errors thrown by the decoder. Messages are socket.io-parser's,
 * word for word (applications and tests match on them); each error also
 * carries a stable `code`.
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

module.exports = { codes, protocolError };
