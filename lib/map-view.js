'use strict';

const util = require('node:util');
const { readOnlyError } = require('./errors');
const { SetView } = require('./set-view');

/**
 * A read-only, Map-like view standing in for socket.io-adapter's
 * `adapter.rooms` (room -> Set of socket ids) or `adapter.sids`
 * (socket id -> Set of rooms). Lookups (`has`, `size`) are answered from the
 * JS interning tables without crossing into native code; `get()` returns a
 * {@link SetView} whose reads go to the native registry; iteration takes a
 * snapshot in the same order as stock (rooms in creation order, sockets in
 * the order they were first added).
 *
 * Writes (`set`, `delete`, `clear`) throw a TypeError with code
 * `ERR_SOCKET_IO_NATIVE_READ_ONLY`: membership changes go through the adapter
 * (`socket.join()`, `socket.leave()`, `addAll`, `del`, `delAll`) so that its
 * events fire and the registry stays consistent.
 */
class MapView {
  /**
   * @param {import('./room-index').RoomIndex} index
   * @param {boolean} ofRooms true for `adapter.rooms`, false for `adapter.sids`
   */
  constructor(index, ofRooms) {
    this._index = index;
    this._ofRooms = ofRooms;
  }

  /** @returns {number} */
  get size() {
    if (this._ofRooms) return this._index.roomCount;
    return this._index.socketCount + (this._departing(undefined) === null ? 0 : 1);
  }

  /**
   * The socket delAll() is removing while its events run (stock still has it
   * in `sids` then), when `key` is its id or undefined; null otherwise, and
   * once it is back in the registry (a listener rejoined it).
   *
   * @private
   * @param {any} key
   * @returns {{ id: any, rooms: any[] } | null}
   */
  _departing(key) {
    const departing = this._index.departing;
    if (departing === null || (key !== undefined && departing.id !== key)) return null;
    return this._index.socketInt(departing.id) < 0 ? departing : null;
  }

  /**
   * @param {any} key a room name or a socket id
   * @returns {boolean}
   */
  has(key) {
    if (this._ofRooms) return this._index.roomId(key) >= 0;
    return this._index.socketInt(key) >= 0 || this._departing(key) !== null;
  }

  /**
   * @param {any} key a room name or a socket id
   * @returns {SetView | Set<any> | undefined}
   */
  get(key) {
    if (!this._ofRooms && this._index.socketInt(key) < 0) {
      // A copy of the rooms the departing socket had, as stock's Set still holds them.
      const departing = this._departing(key);
      return departing === null ? undefined : new Set(departing.rooms);
    }
    return this.has(key) ? new SetView(this._index, this._ofRooms, key) : undefined;
  }

  /** @returns {any[]} */
  _keys() {
    return this._ofRooms ? this._index.roomList() : this._index.socketList();
  }

  /** @returns {IterableIterator<any>} */
  keys() {
    return this._keys()[Symbol.iterator]();
  }

  /** @returns {IterableIterator<SetView>} */
  values() {
    return this._keys().map((k) => new SetView(this._index, this._ofRooms, k))[Symbol.iterator]();
  }

  /** @returns {IterableIterator<[any, SetView]>} */
  entries() {
    return this._keys().map((k) => [k, new SetView(this._index, this._ofRooms, k)])[Symbol.iterator]();
  }

  /** @returns {IterableIterator<[any, SetView]>} */
  [Symbol.iterator]() {
    return this.entries();
  }

  /**
   * @param {(value: SetView, key: any, map: MapView) => void} fn
   * @param {any} [thisArg]
   */
  forEach(fn, thisArg) {
    for (const k of this._keys()) fn.call(thisArg, new SetView(this._index, this._ofRooms, k), k, this);
  }

  /** @throws {TypeError} always */
  set() {
    throw readOnlyError(this._ofRooms ? 'adapter.rooms.set()' : 'adapter.sids.set()');
  }

  /** @throws {TypeError} always */
  delete() {
    throw readOnlyError(this._ofRooms ? 'adapter.rooms.delete()' : 'adapter.sids.delete()');
  }

  /** @throws {TypeError} always */
  clear() {
    throw readOnlyError(this._ofRooms ? 'adapter.rooms.clear()' : 'adapter.sids.clear()');
  }

  get [Symbol.toStringTag]() {
    return 'Map';
  }

  /** console.log() shows the contents, as for stock's Map of Sets. */
  [util.inspect.custom](depth, options, inspect) {
    const copy = new Map();
    for (const [k, v] of this) copy.set(k, new Set(v));
    return inspect(copy, options);
  }
}

module.exports = { MapView };
