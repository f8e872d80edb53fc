'use strict';

const util = require('node:util');
const { readOnlyError } = require('./errors');

/**
 * A read-only, Set-like view of one entry of `adapter.rooms` (the socket ids
 * in a room) or of `adapter.sids` (the rooms of a socket), read from the
 * native registry on every call. The view names its room or socket, not an
 * id, so it stays correct when the room is deleted and its id reused: a view
 * of a room that no longer exists is empty.
 *
 * Writes (`add`, `delete`, `clear`) throw a TypeError with code
 * `ERR_SOCKET_IO_NATIVE_READ_ONLY`.
 */
class SetView {
  /**
   * @param {import('./room-index').RoomIndex} index
   * @param {boolean} ofRoom true: members of room `key`; false: rooms of socket `key`
   * @param {any} key
   */
  constructor(index, ofRoom, key) {
    this._index = index;
    this._ofRoom = ofRoom;
    this._key = key;
  }

  /** @returns {number} */
  get size() {
    const n = this._ofRoom ? this._index.roomSize(this._key) : this._index.socketRoomCount(this._key);
    return n === undefined ? 0 : n;
  }

  /**
   * @param {any} value a socket id (room view) or a room name (socket view)
   * @returns {boolean}
   */
  has(value) {
    return this._ofRoom ? this._index.roomHas(this._key, value) : this._index.socketHas(this._key, value);
  }

  /** @returns {any[]} a snapshot of the values, in stock's order */
  _values() {
    if (this._ofRoom) return this._index.roomMembers(this._key);
    return this._index.socketRoomList(this._key) || [];
  }

  /** @returns {IterableIterator<any>} */
  values() {
    return this._values()[Symbol.iterator]();
  }

  /** @returns {IterableIterator<any>} */
  keys() {
    return this.values();
  }

  /** @returns {IterableIterator<[any, any]>} */
  entries() {
    return this._values().map((v) => [v, v])[Symbol.iterator]();
  }

  /** @returns {IterableIterator<any>} */
  [Symbol.iterator]() {
    return this.values();
  }

  /**
   * @param {(value: any, key: any, set: SetView) => void} fn
   * @param {any} [thisArg]
   */
  forEach(fn, thisArg) {
    for (const v of this._values()) fn.call(thisArg, v, v, this);
  }

  /** @throws {TypeError} always */
  add() {
    throw readOnlyError(this._ofRoom ? 'adapter.rooms.get(room).add()' : 'adapter.sids.get(id).add()');
  }

  /** @throws {TypeError} always */
  delete() {
    throw readOnlyError(this._ofRoom ? 'adapter.rooms.get(room).delete()' : 'adapter.sids.get(id).delete()');
  }

  /** @throws {TypeError} always */
  clear() {
    throw readOnlyError(this._ofRoom ? 'adapter.rooms.get(room).clear()' : 'adapter.sids.get(id).clear()');
  }

  get [Symbol.toStringTag]() {
    return 'Set';
  }

  /** console.log() shows the contents, as for stock's Set. */
  [util.inspect.custom](depth, options, inspect) {
    return inspect(new Set(this._values()), options);
  }
}

module.exports = { SetView };
