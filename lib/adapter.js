'use strict';

const { Adapter } = require('socket.io-adapter');
const debug = require('debug')('socket.io-native:adapter');
const binding = require('./binding');
const { RoomIndex } = require('./room-index');
const { MapView } = require('./map-view');

/**
 * socket.io-adapter's in-memory Adapter with room membership kept in the
 * native room registry. Every public method keeps the stock semantics,
 * return types and event order (create-room, join-room, leave-room,
 * delete-room); what changes is where the rooms live and how a broadcast
 * finds its recipients: one native call computes the union of the target
 * rooms minus the except rooms, on integer ids, into a reused Uint32Array.
 *
 * `adapter.rooms` and `adapter.sids` are read-only Map-like views (see
 * {@link MapView}); `socketRooms()` still returns a real Set.
 *
 * The local-layer methods a cluster adapter reaches through `super`
 * (broadcast, broadcastWithAck, addSockets, delSockets, disconnectSockets,
 * fetchSockets, sockets) all go through {@link NativeAdapter#apply} or the
 * single delivery loop in {@link NativeAdapter#_deliver}.
 */
class NativeAdapter extends Adapter {
  /**
   * @param {any} nsp the socket.io Namespace
   */
  constructor(nsp) {
    super(nsp);
    if (!binding.native || !binding.addon.registry) {
      const err = new Error('socket.io-native: the native room registry is not available' +
        (binding.reason ? ` (${binding.reason})` : ''));
      // @ts-ignore
      err.code = 'ERR_SOCKET_IO_NATIVE_UNAVAILABLE';
      throw err;
    }
    /** @private */
    this._index = new RoomIndex(binding.addon.registry.Registry);
    /** @type {any} Map-like, read-only: room -> Set-like of socket ids */
    this.rooms = new MapView(this._index, true);
    /** @type {any} Map-like, read-only: socket id -> Set-like of rooms */
    this.sids = new MapView(this._index, false);
    debug('native adapter created for namespace %s', nsp.name);
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
    if (s < 0) s = index.addSocket(id);
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
    const flags = index.leave(s, room);
    if (flags & 1) this.emit('leave-room', room, id);
    if (flags & 2) this.emit('delete-room', room);
  }

  /**
   * Removes a socket from all the rooms it joined, and forgets it.
   *
   * @param {string} id the socket id
   */
  delAll(id) {
    const left = this._index.removeSocket(id);
    if (left === null) return;
    for (let i = 0; i < left.length; i += 2) {
      this.emit('leave-room', left[i], id);
      if (left[i + 1]) this.emit('delete-room', left[i]);
    }
  }

  /**
   * Broadcasts a packet.
   *
   * @param {any} packet
   * @param {{ rooms: Set<any>, except?: Set<any>, flags?: any }} opts
   */
  broadcast(packet, opts) {
    const flags = opts.flags || {};
    const packetOpts = {
      preEncoded: true,
      volatile: flags.volatile,
      compress: flags.compress,
    };
    packet.nsp = this.nsp.name;
    const encodedPackets = this._encode(packet, packetOpts);
    this._deliver(packet, opts, encodedPackets, packetOpts, undefined);
  }

  /**
   * Broadcasts a packet and expects an acknowledgement from each client.
   *
   * @param {any} packet
   * @param {{ rooms: Set<any>, except?: Set<any>, flags?: any }} opts
   * @param {(clientCount: number) => void} clientCountCallback
   * @param {(...args: any[]) => void} ack
   */
  broadcastWithAck(packet, opts, clientCountCallback, ack) {
    const flags = opts.flags || {};
    const packetOpts = {
      preEncoded: true,
      volatile: flags.volatile,
      compress: flags.compress,
    };
    packet.nsp = this.nsp.name;
    // One id for every copy: the namespace's counter is shared, so no duplicates.
    packet.id = this.nsp._ids++;
    const encodedPackets = this._encode(packet, packetOpts);
    clientCountCallback(this._deliver(packet, opts, encodedPackets, packetOpts, ack));
  }

  /**
   * The one per-recipient loop of a broadcast: the same writes stock makes,
   * for the sockets the registry returned. A later step moves these writes
   * into native code; everything that writes a broadcast goes through here.
   *
   * @private
   * @param {any} packet
   * @param {{ rooms: Set<any>, except?: Set<any> }} opts
   * @param {any[]} encodedPackets
   * @param {any} packetOpts
   * @param {((...args: any[]) => void) | undefined} ack
   * @returns {number} the number of sockets written to
   */
  _deliver(packet, opts, encodedPackets, packetOpts, ack) {
    const index = this._index;
    const sockets = this.nsp.sockets;
    const names = index.socketNames;
    const depth = index.enter();
    let count = 0;
    try {
      const n = index.recipients(opts.rooms, opts.except, depth);
      const out = index.outPool[depth];
      for (let i = 0; i < n; i++) {
        const socket = sockets.get(names[out[i]]);
        if (socket === undefined) continue;
        count++;
        if (ack !== undefined) socket.acks.set(packet.id, ack);
        if (typeof socket.notifyOutgoingListeners === 'function') socket.notifyOutgoingListeners(packet);
        socket.client.writeToEngine(encodedPackets, packetOpts);
      }
    } finally {
      index.exit();
    }
    return count;
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
    const names = index.socketNames;
    const depth = index.enter();
    try {
      const n = index.recipients(opts.rooms, opts.except, depth);
      const out = index.outPool[depth];
      for (let i = 0; i < n; i++) {
        const socket = sockets.get(names[out[i]]);
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
   * or undefined for an unknown socket.
   *
   * @param {string} id the socket id
   * @returns {Set<any> | undefined}
   */
  socketRooms(id) {
    const list = this._index.socketRoomList(id);
    return list === null ? undefined : new Set(list);
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

module.exports = { NativeAdapter };
