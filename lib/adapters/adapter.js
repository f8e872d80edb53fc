'use strict';

const { Adapter } = require('socket.io-adapter');
const { MAX_STRING_LENGTH } = require('node:buffer').constants;
const { nativeRooms } = require('../rooms/native-rooms');
const { createNativeFanout, deliver } = require('../fanout/native-fanout');

/**
 * Sets up the instance state NativeAdapter's own methods use, on top of what
 * {@link nativeRooms} sets up. Classes that borrow those methods without
 * extending NativeAdapter (the Redis adapter's local layer) call it from
 * their constructor too, so the borrowed methods find the same fields.
 *
 * @param {any} adapter
 */
function initLocalLayer(adapter) {
  /**
   * Broadcast writes to plain websocket connections, or null when the
   * fan-out is not available (see lib/fanout/native-fanout.js).
   * @private
   */
  adapter._fanout = createNativeFanout(adapter._index);
}

/**
 * socket.io-adapter's in-memory Adapter with room membership kept in the
 * native room registry. Every public method keeps the stock semantics,
 * return types and event order (create-room, join-room, leave-room,
 * delete-room); what changes is where the rooms live and how a broadcast
 * finds its recipients: one native call computes the union of the target
 * rooms minus the except rooms, on integer ids, into a reused Uint32Array.
 *
 * `adapter.rooms` and `adapter.sids` are read-only views that are real
 * Maps of real Sets (see {@link MapView}); `socketRooms()` returns a plain Set.
 *
 * Events carry the same arguments in the same order as stock, and a
 * "leave-room" listener finds the room as stock shows it (still there when
 * it just emptied; rejoining it there cancels its "delete-room"). Two reads
 * from inside listeners differ, because the registry applies a change before
 * its events fire: during "create-room" the room already holds the joining
 * socket (stock: empty), and during the events of delAll() the socket is
 * already out of the rooms' member sets (stock: removed one room at a time).
 * `sids.has(id)`, `sids.get(id)`, `sids.size` and socketRooms(id) still show
 * the departing socket with all its rooms until its last event, as stock's do.
 *
 * Use createAdapter() rather than this class directly: it also picks the
 * session-aware variant under `connectionStateRecovery`, and falls back to
 * socket.io-adapter when the addon is not available (this constructor then
 * throws an error with code ERR_SOCKET_IO_NATIVE_UNAVAILABLE).
 *
 * The local-layer methods a cluster adapter reaches through `super`
 * (broadcast, broadcastWithAck, addSockets, delSockets, disconnectSockets,
 * fetchSockets, sockets) all go through `apply()` (from {@link nativeRooms}) or the
 * single delivery loop, `deliver` in lib/fanout/native-fanout.js.
 */
class NativeAdapter extends nativeRooms(Adapter) {
  /**
   * @param {any} nsp the socket.io Namespace
   */
  constructor(nsp) {
    super(nsp);
    initLocalLayer(this);
  }

  /**
   * Counters of the native fan-out (frames and bytes written natively,
   * handed to the standard path and why, writes, coalesced writes,
   * registered connections; process-wide) and of this adapter's registry.
   *
   * @returns {Record<string, any>}
   */
  stats() {
    const rooms = { sockets: this._index.socketCount, rooms: this._index.roomCount };
    return this._fanout === null ? { fanout: false, ...rooms } : { fanout: true, ...this._fanout.stats(), ...rooms };
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
    // With the fan-out, socket.io-adapter's pre-encoded websocket frame
    // (what _encode adds to the encoding) is built by the first write that
    // takes the standard path, if any (see deliver): the fan-out builds its
    // own frame, and for a large string the pre-encoded one was the largest
    // allocation of the broadcast. A subclass's own _encode still runs.
    let encodedPackets;
    if (this._fanout !== null && this._encode === Adapter.prototype._encode) {
      encodedPackets = this.encoder.encode(packet);
      // Stock's "4" + string throws before any write for a string at V8's
      // length limit: so does ours, instead of sending it natively.
      if (encodedPackets.length === 1 && typeof encodedPackets[0] === 'string' &&
          encodedPackets[0].length >= MAX_STRING_LENGTH) {
        this._fanout.preEncode(packet, encodedPackets, packetOpts);
      }
    } else {
      encodedPackets = this._encode(packet, packetOpts);
    }
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
   * Writes a broadcast: the same writes stock makes, for the sockets the
   * registry returned, except that a broadcast without an ack hands the
   * recipients on plain websocket connections to the native fan-out. The
   * loop itself is {@link deliver} (lib/fanout/native-fanout.js), shared with the
   * adapters under accelerate().
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
    // Broadcasts with an ack keep the standard writes: each recipient records the callback.
    const fanout = ack === undefined ? this._fanout : null;
    return deliver(this, opts, fanout, packet, encodedPackets, packetOpts, (socket) => {
      if (ack !== undefined) socket.acks.set(packet.id, ack);
      if (typeof socket.notifyOutgoingListeners === 'function') socket.notifyOutgoingListeners(packet);
      socket.client.writeToEngine(encodedPackets, packetOpts);
    });
  }

}

module.exports = { NativeAdapter, initLocalLayer };
