'use strict';

const util = require('node:util');
const { readOnlyError } = require('../errors');

/**
 * The Set methods of newer engines (union, intersection, ...) that read
 * their receiver's own entries: on a view they run on a snapshot, since the
 * view's own entries are not where its contents are.
 */
const SET_ALGEBRA = ['union', 'intersection', 'difference', 'symmetricDifference',
  'isSubsetOf', 'isSupersetOf', 'isDisjointFrom'];

/**
 * A read-only view of one entry of `adapter.rooms` (the socket ids in a
 * room) or of `adapter.sids` (the rooms of a socket), read from the native
 * registry on every call. It is a real Set (`instanceof Set`,
 * `util.types.isSet`, "[object Set]", `constructor === Set`) whose own
 * entries stay empty: every method of Set.prototype is overridden here, so
 * code using the public API (spread, `Array.from`, `new Set(view)`,
 * `for...of`, `forEach`, `size`, `has`, `util.inspect`) sees the registry's
 * contents, in stock's order, without a copy per membership. What reads a
 * Set's internal slots instead of its methods (`Set.prototype.has.call(view,
 * x)`, `structuredClone`, `v8.serialize`) sees an empty Set.
 *
 * The view names its room or socket, not an id, so it stays correct when the
 * room is deleted and its id reused: a view of a room that no longer exists
 * is empty.
 *
 * Writes (`add`, `delete`, `clear`) throw a TypeError with code
 * `ERR_SOCKET_IO_NATIVE_READ_ONLY`: stock's rooms and sids are two separate
 * Maps that such a write would put out of step, which the registry (one
 * relation) cannot represent.
 */
class SetView extends Set {
  /** @type {import('./room-index').RoomIndex} */
  #index;
  /** true: members of room `key`; false: rooms of socket `key` */
  #ofRoom;
  /** @type {any} */
  #key;

  /**
   * @param {import('./room-index').RoomIndex} index
   * @param {boolean} ofRoom true: members of room `key`; false: rooms of socket `key`
   * @param {any} key
   */
  constructor(index, ofRoom, key) {
    super();
    this.#index = index;
    this.#ofRoom = ofRoom;
    this.#key = key;
  }

  /** @returns {number} */
  get size() {
    const n = this.#ofRoom ? this.#index.roomSize(this.#key) : this.#index.socketRoomCount(this.#key);
    return n === undefined ? 0 : n;
  }

  /**
   * @param {any} value a socket id (room view) or a room name (socket view)
   * @returns {boolean}
   */
  has(value) {
    return this.#ofRoom ? this.#index.roomHas(this.#key, value) : this.#index.socketHas(this.#key, value);
  }

  /**
   * A snapshot of a view's contents, in stock's order, as a plain Set.
   *
   * @param {SetView} view
   * @returns {Set<any>}
   */
  static snapshot(view) {
    if (view.#ofRoom) return new Set(view.#index.roomMembers(view.#key));
    return new Set(view.#index.socketRoomList(view.#key) || []);
  }

  /** @returns {IterableIterator<any>} a Set Iterator, as stock's */
  values() {
    return SetView.snapshot(this).values();
  }

  /** @returns {IterableIterator<[any, any]>} */
  entries() {
    return SetView.snapshot(this).entries();
  }

  /**
   * @param {(value: any, key: any, set: SetView) => void} fn
   * @param {any} [thisArg]
   */
  forEach(fn, thisArg) {
    // Not callable: the engine's own TypeError, as stock's Set throws it.
    if (typeof fn !== 'function') Set.prototype.forEach.call(new Set(), fn);
    for (const v of SetView.snapshot(this)) fn.call(thisArg, v, v, this);
  }

  /** @throws {TypeError} always */
  add() {
    throw readOnlyError(this.#ofRoom ? 'adapter.rooms.get(room).add()' : 'adapter.sids.get(id).add()');
  }

  /** @throws {TypeError} always */
  delete() {
    throw readOnlyError(this.#ofRoom ? 'adapter.rooms.get(room).delete()' : 'adapter.sids.get(id).delete()');
  }

  /** @throws {TypeError} always */
  clear() {
    throw readOnlyError(this.#ofRoom ? 'adapter.rooms.get(room).clear()' : 'adapter.sids.get(id).clear()');
  }

  /**
   * util.inspect renders what this returns in place of the view, within the
   * same inspection (depth, indentation, line breaking), so a plain Set with
   * the same contents renders exactly as stock's would. An inherited
   * rendering would show the empty own entries and the class name.
   *
   * @returns {Set<any>}
   */
  [util.inspect.custom]() {
    return SetView.snapshot(this);
  }
}

// As on Set.prototype, keys and @@iterator are the values method itself.
for (const key of ['keys', Symbol.iterator]) {
  Object.defineProperty(SetView.prototype, key, { value: SetView.prototype.values, writable: true, configurable: true });
}

for (const name of SET_ALGEBRA) {
  const method = Set.prototype[name];
  if (typeof method !== 'function') continue;
  Object.defineProperty(SetView.prototype, name, {
    value: { [name](/** @type {any[]} */ ...args) { return method.apply(SetView.snapshot(this), args); } }[name],
    writable: true,
    configurable: true,
  });
}

// Code that copies or compares through `constructor` (`new x.constructor(x)`,
// equality helpers that compare constructors) treats a view as the Set it stands for.
Object.defineProperty(SetView.prototype, 'constructor', { value: Set, writable: true, configurable: true });

module.exports = { SetView };
