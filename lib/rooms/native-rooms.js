'use strict';

const debug = require('debug')('socket.io-native:adapter');
const binding = require('../binding');
const { RoomIndex } = require('./room-index');
const { MapView } = require('./map-view');

/**
 * Sets up the fields the methods of {@link nativeRooms} use: a native room
 * registry of its own, and `rooms` / `sids` as read-only views of it. The
 * mixin's constructor calls it; accelerate() calls it on an adapter that an
 * adapter factory has already built (its constructor is not ours to run).
 *
 * @param {any} adapter
 */
function initNativeRooms(adapter) {
  /** @private */
  adapter._index = new RoomIndex(binding.addon.registry.Registry);
  /** @type {any} a read-only Map view: room -> Set view of socket ids */
  adapter.rooms = new MapView(adapter._index, true);
  /** @type {any} a read-only Map view: socket id -> Set view of rooms */
  adapter.sids = new MapView(adapter._index, false);
  debug('native rooms for namespace %s', adapter.nsp.name);
}

/**
 * Returns a subclass of `Base` (socket.io-adapter's Adapter or any adapter
 * built on it, such as a cluster adapter) whose room membership lives in the
 * native room registry: addAll, del, delAll, socketRooms, apply and
 * computeExceptSids are replaced, and `rooms` / `sids` become read-only
 * views that are real Maps of real Sets (lib/rooms/map-view.js). Nothing else is touched: stock's broadcast,
 * broadcastWithAck, fetchSockets, addSockets, delSockets, disconnectSockets
 * and sockets all find their sockets through `this.apply()`, so a cluster
 * adapter's `super.broadcast(...)` reaches the native recipients without
 * any global patching.
 *
 * @template {new (...args: any[]) => any} T
 * @param {T} Base
 * @returns {T}
 */
function nativeRooms(Base) {
  /**
   * Room membership in the native registry, on top of `Base`.
   */
  class NativeRooms extends Base {
    /**
     * @param {...any} args the arguments of `Base` (the namespace first)
     */
    constructor(...args) {
      // Checked before Base runs, so that a cluster adapter does not start
      // (subscribe, send heartbeats) only to be thrown away.
      if (!binding.native || !binding.addon.registry) {
        const err = new Error('socket.io-native: the native room registry is not available' +
          (binding.reason ? ` (${binding.reason})` : ''));
        // @ts-ignore
        err.code = 'ERR_SOCKET_IO_NATIVE_UNAVAILABLE';
        throw err;
      }
      super(...args);
      initNativeRooms(this);
    }

    /**
     * Adds a socket to a list of rooms.
     *
     * @param {string} id the socket id
     * @param {Set<any>} rooms
     */
    addAll(id, rooms) {
      const index = this._index;
      let s = index.socketInt(id);
      // A socket joining at least one room is created by its first join.
      if (s < 0) s = index.addSocket(id, rooms.size > 0);
      for (const room of rooms) {
        const flags = index.join(s, room);
        if (flags & 1) this.emit('create-room', room);
        if (flags & 2) this.emit('join-room', room, id);
      }
    }

    /**
     * Removes a socket from a room.
     *
     * @param {string} id the socket id
     * @param {any} room
     */
    del(id, room) {
      const index = this._index;
      const s = index.socketInt(id);
      if (s < 0) return;
      const r = index.roomId(room);
      if (r < 0) return;
      const flags = index.leave(s, r);
      if (flags === 0) return;
      const joins = index.joins;
      this.emit('leave-room', room, id);
      if (flags & 2 && index.releaseIfEmpty(r, room, joins)) this.emit('delete-room', room);
    }

    /**
     * socket.io-adapter's helper of del() and delAll(): removes a socket from
     * one room's side only. Inherited, it would write to `this.rooms`, which
     * is read-only here; the registry holds membership as one relation, so an
     * adapter built on this one that calls it gets del()'s effect and events.
     *
     * @param {any} room
     * @param {string} id the socket id
     */
    _del(room, id) {
      this.del(id, room);
    }

    /**
     * Removes a socket from all the rooms it joined, and forgets it.
     *
     * @param {string} id the socket id
     */
    delAll(id) {
      const index = this._index;
      const left = index.removeSocket(id);
      if (left === null) return;
      // Stock removes the socket from `sids` after the last event, so its
      // listeners still find it there with all its rooms (the sharded Redis
      // adapter tells a socket's own room from a public one by
      // `sids.has(room)` in its "delete-room" listener); `sids` and
      // socketRooms() answer the same while the events run.
      const outer = index.departing;
      const rooms = [];
      for (let i = 0; i < left.length; i += 2) rooms.push(left[i]);
      index.departing = { id, rooms };
      try {
        for (let i = 0; i < left.length; i += 2) {
          const room = left[i];
          const r = left[i + 1];
          const joins = index.joins;
          this.emit('leave-room', room, id);
          if (r >= 0 && index.releaseIfEmpty(r, room, joins)) this.emit('delete-room', room);
        }
      } finally {
        index.departing = outer;
      }
    }

    /**
     * Calls `callback` for every connected socket matching `opts` (union of
     * `opts.rooms`, or all sockets, minus the members of `opts.except`), in
     * stock order. fetchSockets, addSockets, delSockets, disconnectSockets and
     * sockets are inherited from socket.io-adapter and run through here.
     *
     * @param {{ rooms: Set<any>, except?: Set<any> }} opts
     * @param {(socket: any) => void} callback
     */
    apply(opts, callback) {
      const index = this._index;
      const sockets = this.nsp.sockets;
      const depth = index.enter();
      try {
        const n = index.recipients(opts.rooms, opts.except, depth);
        const out = index.outPool[depth];
        for (let i = 0; i < n; i++) {
          const socket = index.socketAt(out[i], sockets);
          if (socket !== undefined) callback(socket);
        }
      } finally {
        index.exit();
      }
    }

    /**
     * The socket ids in the given rooms, as stock computes them for `except`.
     *
     * @param {Set<any> | undefined} exceptRooms
     * @returns {Set<string>}
     */
    computeExceptSids(exceptRooms) {
      const sids = new Set();
      if (exceptRooms && exceptRooms.size > 0) {
        for (const room of exceptRooms) {
          for (const id of this._index.roomMembers(room)) sids.add(id);
        }
      }
      return sids;
    }

    /**
     * The rooms a socket joined, as a new Set (what `socket.rooms` returns),
     * or undefined for an unknown socket. Stock returns its own entry of
     * `sids`, which later joins and leaves change; this is a snapshot and a
     * plain, writable Set, because applications do write to `socket.rooms`
     * (stock then silently desynchronizes its two maps; here the write only
     * changes the copy), and a read-only view would make them throw.
     *
     * @param {string} id the socket id
     * @returns {Set<any> | undefined}
     */
    socketRooms(id) {
      const list = this._index.socketRoomList(id);
      if (list !== null) return new Set(list);
      const departing = this._index.departing;
      return departing !== null && departing.id === id ? new Set(departing.rooms) : undefined;
    }

    /**
     * Bytes held by this adapter's native registry.
     *
     * @returns {number}
     */
    nativeMemoryUsage() {
      return this._index.nativeMemory();
    }
  }

  return NativeRooms;
}

module.exports = { nativeRooms, initNativeRooms };
