'use strict';

const { Adapter } = require('socket.io-adapter');
const binding = require('./binding');
const { settings } = require('./env');
const { ConnectionRegistry } = require('./connection-registry');

/** @type {ConnectionRegistry | null} one per process (the addon's fan-out is) */
let sharedRegistry = null;

/**
 * The process's ConnectionRegistry, or null when the addon has no fan-out
 * (not loaded, or SOCKET_IO_NATIVE_FANOUT=0).
 *
 * @returns {ConnectionRegistry | null}
 */
function connectionRegistry() {
  if (sharedRegistry === null && fanoutAvailable()) {
    sharedRegistry = new ConnectionRegistry(binding.addon.fanout);
  }
  return sharedRegistry;
}

/**
 * Whether broadcasts can take the native fan-out. `SOCKET_IO_NATIVE_FANOUT=0`
 * (or false/no/off, see lib/env.js)
 * keeps the native registry and codec but writes every broadcast the standard
 * way (for comparisons and as an escape hatch).
 *
 * @returns {boolean}
 */
function fanoutAvailable() {
  return binding.native && binding.addon != null && binding.addon.fanout != null &&
    process.platform !== 'win32' && settings.fanout;
}

/**
 * Grows a typed array or array to at least `n` elements.
 *
 * @template {Uint32Array | any[]} T
 * @param {T} a
 * @param {number} n
 * @returns {T}
 */
function grown(a, n) {
  let size = Math.max(64, a.length);
  while (size < n) size *= 2;
  if (Array.isArray(a)) {
    const next = a.slice();
    next.length = size;
    // @ts-ignore
    return next;
  }
  const next = new Uint32Array(size);
  next.set(a);
  // @ts-ignore
  return next;
}

/**
 * The recipients of one broadcast (one nesting level) that took the native
 * path so far: fan-out ids and their Sockets, in recipient order, and the
 * broadcast they belong to.
 *
 * @returns {{ ids: Uint32Array, out: Uint32Array, sockets: any[], n: number,
 *   packet: any, encodedPackets: any[] | null, packetOpts: any }}
 */
function newBatch() {
  return {
    ids: new Uint32Array(64),
    out: new Uint32Array(64),
    sockets: [],
    n: 0,
    packet: null,
    encodedPackets: null,
    packetOpts: null,
  };
}

/**
 * A namespace adapter's side of the native fan-out. The adapter's delivery
 * loop offers each recipient with {@link NativeFanout#take}; the ones taken
 * are written natively at {@link NativeFanout#end}: one frame built for the
 * broadcast, corked per connection and written once per event-loop
 * iteration. The rest, and the connections the fan-out reports busy or
 * unknown, get socket.io's own `writeToEngine`.
 *
 * A recipient is taken when its connection is a registered plain websocket
 * and the socket has no `onAnyOutgoing` listeners (those run in order with
 * the standard writes, exactly as stock). broadcastWithAck never comes here.
 */
class NativeFanout {
  /**
   * @param {ConnectionRegistry} registry
   * @param {import('./room-index').RoomIndex} index the adapter's room index:
   *   a recipient's fan-out id is cached in its socket slot (`slotTags`, id +
   *   1), which the index clears when the socket leaves, so this object holds
   *   no Socket beyond the broadcast that reached it
   */
  constructor(registry, index) {
    /** @private */
    this.registry = registry;
    /** @private */
    this.fanout = registry.fanout;
    /** @private */
    this.index = index;
    /** @private @type {ReturnType<typeof newBatch>[]} one per nesting depth of the delivery loop */
    this.batches = [];
    /** @private stand-in `this` for socket.io-adapter's _encode */
    this.encodeThis = { encoder: { encode: () => this.encoded } };
    /** @private @type {any[] | null} */
    this.encoded = null;
  }

  /**
   * Starts a broadcast at nesting depth `depth` (from the room index).
   *
   * @param {number} depth
   * @param {any} packet the socket.io packet
   * @param {any[]} encodedPackets the encoder's output: a string, then attachments
   * @param {any} packetOpts
   */
  begin(depth, packet, encodedPackets, packetOpts) {
    while (this.batches.length <= depth) this.batches.push(newBatch());
    const batch = this.batches[depth];
    batch.n = 0;
    batch.packet = packet;
    batch.encodedPackets = encodedPackets;
    batch.packetOpts = packetOpts;
  }

  /**
   * Takes `socket` (socket int `s`) for the native path when it can.
   *
   * @param {number} depth
   * @param {number} s
   * @param {any} socket
   * @returns {boolean} false: the caller writes it the standard way
   */
  take(depth, s, socket) {
    const outgoing = socket._anyOutgoingListeners;
    if (outgoing !== undefined && outgoing.length !== 0) {
      // Its listeners are user code that may write to sockets already taken:
      // what was taken goes out first, as stock would have written it.
      if (this.batches[depth].n !== 0) this.end(depth, false);
      return false;
    }
    // `socket` is the occupant of slot s (the index resolved it from s), and
    // the slot's tag was zeroed when it got that occupant.
    const tags = this.index.slotTags;
    let id = tags[s] - 1;
    if (id < 0) {
      id = this.registry.idOf(socket.client.conn);
      if (id < 0) return false;
      tags[s] = id + 1;
    }
    const batch = this.batches[depth];
    const k = batch.n;
    if (k === batch.ids.length) {
      batch.ids = grown(batch.ids, k + 1);
      batch.out = grown(batch.out, k + 1);
    }
    batch.ids[k] = id;
    batch.sockets[k] = socket;
    batch.n = k + 1;
    return true;
  }

  /**
   * Writes the broadcast to the sockets taken at this depth so far: natively
   * to the idle ones, with `writeToEngine` to the others, in recipient order.
   *
   * @param {number} depth
   * @param {boolean} [last] whether the broadcast is done (the batch then lets go of it)
   */
  end(depth, last = true) {
    const batch = this.batches[depth];
    const n = batch.n;
    const packet = batch.packet;
    const encodedPackets = batch.encodedPackets;
    const packetOpts = batch.packetOpts;
    if (last) {
      batch.packet = null;
      batch.encodedPackets = null;
      batch.packetOpts = null;
    }
    if (n === 0) return;
    const sockets = batch.sockets;
    const later = [];
    try {
      const first = encodedPackets[0];
      let handed;
      if (typeof first === 'string' || Buffer.isBuffer(first)) {
        handed = this.fanout.broadcast(first, batch.ids, n, batch.out,
          encodedPackets.length === 1 ? undefined : encodedPackets.slice(1), packetOpts.volatile === true);
        // Frames were corked: the fan-out must learn where this JS turn ends.
        if (handed < n) this.registry.markTurn();
      } else {
        // Not the shape of a socket.io packet encoding: everyone the standard way.
        handed = n;
        batch.out.set(batch.ids.subarray(0, n));
      }
      // Handed ids are a subsequence of ids: pair them with their Sockets.
      const ids = batch.ids;
      const out = batch.out;
      const volatile = packetOpts.volatile === true;
      let j = 0;
      for (let h = 0; h < handed; h++) {
        const id = out[h];
        while (j < n && ids[j] !== id) j++;
        if (j === n) break;  // cannot happen: the fan-out hands back a subsequence of ids
        // socket.io drops a volatile packet while the connection is busy
        // writing; our remainder in flight is such a write.
        if (volatile && this.registry.hasRawPending(id)) continue;
        later.push(sockets[j]);
      }
    } finally {
      // The batch lets go of its Sockets before any user code runs (a
      // listener may broadcast), and also when the native call threw: a
      // batch that kept them would hold disconnected Sockets until its depth
      // is used again.
      sockets.fill(undefined, 0, n);
      batch.n = 0;
    }
    const m = later.length;
    if (m === 0) return;
    if (packetOpts.wsPreEncodedFrame === undefined) this.preEncode(packet, encodedPackets, packetOpts);
    for (let i = 0; i < m; i++) {
      const socket = later[i];
      if (typeof socket.notifyOutgoingListeners === 'function') socket.notifyOutgoingListeners(packet);
      socket.client.writeToEngine(encodedPackets, packetOpts);
    }
  }

  /**
   * Adds socket.io-adapter's pre-encoded websocket frame to `packetOpts`, as
   * stock's `_encode` does, for the writes that take the standard path.
   *
   * @private
   * @param {any} packet
   * @param {any[]} encodedPackets
   * @param {any} packetOpts
   */
  preEncode(packet, encodedPackets, packetOpts) {
    this.encoded = encodedPackets;
    try {
      Adapter.prototype._encode.call(this.encodeThis, packet, packetOpts);
    } finally {
      this.encoded = null;
    }
  }

  /**
   * The fan-out's counters and this process's connection counts.
   *
   * @returns {Record<string, any>}
   */
  stats() {
    return { ...this.fanout.stats(), ...this.registry.counts() };
  }
}

/**
 * A NativeFanout for one adapter, or null when broadcasts cannot take the
 * native path in this process.
 *
 * @param {import('./room-index').RoomIndex} index the adapter's room index
 * @returns {NativeFanout | null}
 */
function createNativeFanout(index) {
  const registry = connectionRegistry();
  return registry === null ? null : new NativeFanout(registry, index);
}

module.exports = { NativeFanout, createNativeFanout, fanoutAvailable, connectionRegistry };
