'use strict';

/**
 * Shape checks for what the Redis adapter reads from Redis before it acts
 * on it. Anybody who can write to the Redis server can publish on the
 * adapter's channels or append to its stream; what socket.io itself would
 * never produce is dropped here, so that it neither throws inside the
 * client library's event emitter nor reaches a browser as a packet that
 * socket.io-client rejects.
 */

/** Event names socket.io-client refuses in an EVENT packet (socket.io-parser's list). */
const RESERVED_EVENTS = new Set([
  'connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener',
]);

/** socket.io-parser's EVENT type: the only type a broadcast carries before encoding. */
const EVENT = 2;

/**
 * Whether `value` is a plain object (not null, not an array).
 *
 * @param {any} value
 * @returns {boolean}
 */
function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Whether `value` is a room name as socket.io uses them.
 *
 * @param {any} value
 * @returns {boolean}
 */
function isRoom(value) {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Whether `value` is a list of rooms (or absent).
 *
 * @param {any} value
 * @returns {boolean}
 */
function isRoomList(value) {
  return value === undefined || value === null || (Array.isArray(value) && value.every(isRoom));
}

/**
 * Whether broadcast options, as they travel (arrays instead of Sets), have
 * the shape socket.io-adapter gives them: rooms and except lists of room
 * names, flags an object.
 *
 * @param {any} opts
 * @returns {boolean}
 */
function isBroadcastOptions(opts) {
  if (opts === undefined) return true;
  return isObject(opts) && isRoomList(opts.rooms) && isRoomList(opts.except) &&
    (opts.flags === undefined || opts.flags === null || isObject(opts.flags));
}

/**
 * Whether `packet` is an event packet socket.io could have broadcast, and
 * socket.io-client accepts: type EVENT (binary is decided when it is
 * encoded), an argument list that starts with a non-reserved event name (or
 * a number, as the client's decoder allows), and no ack id or a
 * non-negative integer one. With `nsp`, the packet must name that
 * namespace (emitters do); cluster messages carry none, as the local
 * broadcast sets it.
 *
 * @param {any} packet
 * @param {string} [nsp]
 * @returns {boolean}
 */
function isBroadcastPacket(packet, nsp) {
  if (!isObject(packet) || packet.type !== EVENT) return false;
  if (nsp !== undefined && packet.nsp !== nsp) return false;
  if (packet.id !== undefined && !(Number.isSafeInteger(packet.id) && packet.id >= 0)) return false;
  const data = packet.data;
  if (!Array.isArray(data) || data.length === 0) return false;
  const name = data[0];
  return (typeof name === 'string' && !RESERVED_EVENTS.has(name)) || (typeof name === 'number' && Number.isFinite(name));
}

/**
 * Whether `args` is a server-side event as `serverSideEmit` sends it: a
 * non-empty list whose first element is the event name.
 *
 * @param {any} args
 * @returns {boolean}
 */
function isServerSideEvent(args) {
  return Array.isArray(args) && args.length > 0 && typeof args[0] === 'string';
}

module.exports = { isObject, isRoomList, isBroadcastOptions, isBroadcastPacket, isServerSideEvent, RESERVED_EVENTS };
