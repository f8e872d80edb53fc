'use strict';

/**
 * Payload logging, kept apart from the package's other debug namespaces.
 *
 * Packets carry what applications send: handshake `auth` tokens, session
 * ids, chat messages. `DEBUG=socket.io-native:*` is what people switch on to
 * see why something does not work, and such logs go to log aggregators, so
 * no namespace that a wildcard enables prints packet contents. The one
 * namespace that does, `socket.io-native:payload`, prints only when the
 * DEBUG list names it in full: `DEBUG=socket.io-native:*` or `DEBUG=*`
 * match it as a pattern but do not turn it on. Each payload it prints is cut
 * to {@link PAYLOAD_LIMIT} characters.
 */

const createDebug = require('debug');

/** The namespace that prints packet contents. */
const PAYLOAD_NAMESPACE = 'socket.io-native:payload';

/** Characters of a packet printed at most under {@link PAYLOAD_NAMESPACE}. */
const PAYLOAD_LIMIT = 96;

const debug = createDebug(PAYLOAD_NAMESPACE);

/**
 * Whether the DEBUG list (as the debug package last saw it) names `ns`
 * without a wildcard. A `-` entry that excludes it is left to debug itself.
 *
 * @param {string} ns
 * @returns {boolean}
 */
function namedExplicitly(ns) {
  const list = typeof createDebug.namespaces === 'string' ? createDebug.namespaces : process.env.DEBUG || '';
  return list.split(/[\s,]+/).includes(ns);
}

/**
 * Read once, when the package loads, like the other namespaces' `enabled`
 * checks in the parser (see lib/parser/decoder.js).
 */
const payloadLogging = debug.enabled && namedExplicitly(PAYLOAD_NAMESPACE);

/**
 * `text` cut to {@link PAYLOAD_LIMIT} characters, saying how much was left out.
 *
 * @param {string} text
 * @returns {string}
 */
function truncate(text) {
  if (text.length <= PAYLOAD_LIMIT) return text;
  return `${text.slice(0, PAYLOAD_LIMIT)}... (${text.length - PAYLOAD_LIMIT} more characters)`;
}

/**
 * What an error says, for the namespaces that must not print contents. V8's
 * JSON.parse errors quote the text they failed on ('Unexpected token ...,
 * "{"token":"ey..." is not valid JSON'), so those are reduced to their kind.
 *
 * @param {any} err
 * @returns {string}
 */
function errorSummary(err) {
  if (err instanceof SyntaxError) return 'SyntaxError (not valid JSON)';
  return err && err.message !== undefined ? String(err.message) : String(err);
}

/**
 * Logs a packet's text under {@link PAYLOAD_NAMESPACE}, truncated. Callers
 * test {@link payloadLogging} first, so a disabled log costs nothing.
 *
 * @param {string} what e.g. "decoded"
 * @param {string} text the packet as written on the wire
 */
function logPayload(what, text) {
  debug('%s %s', what, truncate(text));
}

module.exports = { PAYLOAD_NAMESPACE, PAYLOAD_LIMIT, payloadLogging, logPayload, truncate, namedExplicitly, errorSummary };
