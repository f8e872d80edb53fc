'use strict';

/**
 * Constants and validation rules of the Socket.IO protocol (version 5), with
 * the exact semantics of socket.io-parser 4.2.x, shared by the encoder and the
 * decoder.
 */

/**
 * Protocol version.
 * @type {number}
 */
const protocol = 5;

/**
 * Packet types, as a TypeScript-style numeric enum (both name -> value and
 * value -> name), like socket.io-parser's `PacketType`.
 * @enum {number}
 */
const PacketType = {};
for (const [name, value] of [
  ['CONNECT', 0], ['DISCONNECT', 1], ['EVENT', 2], ['ACK', 3],
  ['CONNECT_ERROR', 4], ['BINARY_EVENT', 5], ['BINARY_ACK', 6],
]) {
  PacketType[PacketType[name] = value] = name;
}

// Event names with a special meaning; a received EVENT must not use them
// (CVE-2023-32695). "error" is deliberately not in the list.
const RESERVED_EVENTS = new Set([
  'connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener',
]);

const toString = Object.prototype.toString;

/**
 * Whether `value` is a plain object in socket.io-parser's sense.
 * @param {unknown} value
 * @returns {boolean}
 */
function isObject(value) {
  return toString.call(value) === '[object Object]';
}

/**
 * Whether `payload` is a valid event payload: an array whose first element is
 * a number or a non-reserved string.
 * @param {unknown} payload
 * @returns {boolean}
 */
function isEventPayload(payload) {
  if (!Array.isArray(payload)) return false;
  const name = payload[0];
  return typeof name === 'number' || (typeof name === 'string' && !RESERVED_EVENTS.has(name));
}

/**
 * The decoder's rule for a received payload (socket.io-parser's
 * `Decoder.isPayloadValid`), `type` being the type on the wire.
 * @param {number} type
 * @param {unknown} payload
 * @returns {boolean}
 */
function isPayloadValid(type, payload) {
  switch (type) {
    case 0: return isObject(payload);
    case 1: return payload === undefined;
    case 4: return typeof payload === 'string' || isObject(payload);
    case 2:
    case 5: return isEventPayload(payload);
    case 3:
    case 6: return Array.isArray(payload);
    default: return undefined;
  }
}

/**
 * Whether a packet is valid to be sent by a server (socket.io-parser's
 * `isPacketValid`): a string namespace, an integer or absent ack id, and data
 * matching the packet type.
 * @param {{ type: number, nsp: unknown, id?: unknown, data?: unknown }} packet
 * @returns {boolean}
 */
function isPacketValid(packet) {
  const id = packet.id;
  if (typeof packet.nsp !== 'string' || !(id === undefined || Number.isInteger(id))) return false;
  const data = packet.data;
  switch (packet.type) {
    case 0: return data === undefined || isObject(data);
    case 1: return data === undefined;
    case 2: return isEventPayload(data);
    case 3: return Array.isArray(data);
    case 4: return typeof data === 'string' || isObject(data);
    default: return false;
  }
}

const withBlob = typeof Blob === 'function';
const withFile = typeof File === 'function';

/**
 * Whether `obj` is sent as a binary attachment: an ArrayBuffer, any
 * ArrayBuffer view (Buffer, typed array, DataView), a Blob or a File.
 * @param {unknown} obj
 * @returns {boolean}
 */
function isBinary(obj) {
  // Views (Buffers, typed arrays) first: the most common attachments, and
  // one check instead of walking a prototype chain. The checks have no side
  // effects, so their order does not change the answer.
  return ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer ||
    (withBlob && obj instanceof Blob) || (withFile && obj instanceof File);
}

module.exports = { protocol, PacketType, RESERVED_EVENTS, isObject, isPayloadValid, isPacketValid, isBinary };
