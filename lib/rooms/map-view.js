'use strict';

const util = require('node:util');
const { readOnlyError } = require('../errors');
const { SetView } = require('./set-view');

/**
 * A read-only view standing in for socket.io-adapter's `adapter.rooms`
 * (room -> Set of socket ids) or `adapter.sids` (socket id -> Set of rooms).
 * It is a real Map (`instanceof Map`, `util.types.isMap`, "[object Map]",
 * `constructor === Map`) whose own entries stay empty: every method of
 * Map.prototype is overridden here, so code using the public API sees the
 * registry's contents without a JS Set per room and per socket. Lookups
 * (`has`, `size`) are answered from the JS interning tables without crossing
 * into native code; `get()` returns a {@link SetView} whose reads go to the
 * native registry; iteration takes a snapshot in the same order as stock
 * (rooms in creation order, sockets in the order they were first added).
 * What reads a Map's internal slots instead of its methods
 * (`Map.prototype.get.call(view, k)`, `structuredClone`, `v8.serialize`)
 * sees an empty Map.
 *
 * Writes (`set`, `delete`, `clear`) throw a TypeError with code
 * `ERR_SOCKET_IO_NATIVE_READ_ONLY`: membership changes go through the adapter
 * (`socket.join()`, `socket.leave()`, `addAll`, `del`, `delAll`) so that its
 * events fire and the registry stays consistent.
 */
class MapView extends Map {
  /** @type {import('./room-index').RoomIndex} */
  #index;
  /** true for `adapter.rooms`, false for `adapter.sids` */
  #ofRooms;

  /**
   * @param {import('./room-index').RoomIndex} index
   * @param {boolean} ofRooms true for `adapter.rooms`, false for `adapter.sids`
   */
  constructor(index, ofRooms) {
    super();
    this.#index = index;
    this.#ofRooms = ofRooms;
  }

  /** @returns {number} */
  get size() {
    if (this.#ofRooms) return this.#index.roomCount;
    return this.#index.socketCount + (this.#departing(undefined) === null ? 0 : 1);
  }

  /**
   * The socket delAll() is removing while its events run (stock still has it
   * in `sids` then), when `key` is its id or undefined; null otherwise, and
   * once it is back in the registry (a listener rejoined it).
   *
   * @param {any} key
   * @returns {{ id: any, rooms: any[] } | null}
   */
  #departing(key) {
    const departing = this.#index.departing;
    if (departing === null || (key !== undefined && departing.id !== key)) return null;
    return this.#index.socketInt(departing.id) < 0 ? departing : null;
  }

  /**
   * @param {any} key a room name or a socket id
   * @returns {boolean}
   */
  has(key) {
    if (this.#ofRooms) return this.#index.roomId(key) >= 0;
    return this.#index.socketInt(key) >= 0 || this.#departing(key) !== null;
  }

  /**
   * @param {any} key a room name or a socket id
   * @returns {SetView | Set<any> | undefined}
   */
  get(key) {
    if (!this.#ofRooms && this.#index.socketInt(key) < 0) {
      // A copy of the rooms the departing socket had, as stock's Set still holds them.
      const departing = this.#departing(key);
      return departing === null ? undefined : new Set(departing.rooms);
    }
    return this.has(key) ? new SetView(this.#index, this.#ofRooms, key) : undefined;
  }

  /**
   * A snapshot of the view as a plain Map of views (or of plain Sets).
   *
   * @param {MapView} view
   * @param {boolean} [plain] true: values are plain Sets (snapshots too)
   * @returns {Map<any, any>}
   */
  static snapshot(view, plain = false) {
    const index = view.#index;
    const ofRooms = view.#ofRooms;
    const keys = ofRooms ? index.roomList() : index.socketList();
    const map = new Map();
    for (const k of keys) {
      const set = new SetView(index, ofRooms, k);
      map.set(k, plain ? SetView.snapshot(set) : set);
    }
    return map;
  }

  /** @returns {IterableIterator<any>} a Map Iterator, as stock's */
  keys() {
    const keys = this.#ofRooms ? this.#index.roomList() : this.#index.socketList();
    const map = new Map();
    for (const k of keys) map.set(k, undefined);
    return map.keys();
  }

  /** @returns {IterableIterator<SetView>} */
  values() {
    return MapView.snapshot(this).values();
  }

  /** @returns {IterableIterator<[any, SetView]>} */
  entries() {
    return MapView.snapshot(this).entries();
  }

  /**
   * @param {(value: SetView, key: any, map: MapView) => void} fn
   * @param {any} [thisArg]
   */
  forEach(fn, thisArg) {
    // Not callable: the engine's own TypeError, as stock's Map throws it.
    if (typeof fn !== 'function') Map.prototype.forEach.call(new Map(), fn);
    for (const [k, v] of MapView.snapshot(this)) fn.call(thisArg, v, k, this);
  }

  /** @throws {TypeError} always */
  set() {
    throw readOnlyError(this.#ofRooms ? 'adapter.rooms.set()' : 'adapter.sids.set()');
  }

  /** @throws {TypeError} always */
  delete() {
    throw readOnlyError(this.#ofRooms ? 'adapter.rooms.delete()' : 'adapter.sids.delete()');
  }

  /** @throws {TypeError} always */
  clear() {
    throw readOnlyError(this.#ofRooms ? 'adapter.rooms.clear()' : 'adapter.sids.clear()');
  }

  /**
   * util.inspect renders what this returns in place of the view, within the
   * same inspection (depth, indentation, line breaking), so a plain Map of
   * plain Sets with the same contents renders exactly as stock's would. An
   * inherited rendering would show the empty own entries and the class name.
   *
   * @returns {Map<any, Set<any>>}
   */
  [util.inspect.custom]() {
    return MapView.snapshot(this, true);
  }
}

// As on Map.prototype, @@iterator is the entries method itself.
Object.defineProperty(MapView.prototype, Symbol.iterator, { value: MapView.prototype.entries, writable: true, configurable: true });

// Code that copies or compares through `constructor` (`new x.constructor(x)`,
// equality helpers that compare constructors) treats a view as the Map it stands for.
Object.defineProperty(MapView.prototype, 'constructor', { value: Map, writable: true, configurable: true });

module.exports = { MapView };
