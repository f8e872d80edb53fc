'use strict';

const { Adapter } = require('socket.io-adapter');
const binding = require('../binding');
const { settings } = require('../env');
const { ConnectionRegistry, watchedNow, grown, NOT_WATCHED, WATCHED } = require('./connection-registry');

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
 * The recipients of one broadcast (one nesting level) that took the native
 * path so far: fan-out ids and their Sockets, in recipient order, and the
 * broadcast they belong to.
 *
 * `first` and `rest` are the encoder's output as the native broadcast takes
 * it; `native` is false when that output holds a message the fan-out does not
 * frame itself (see {@link isMessage}), and then nobody is taken.
 *
 * @returns {{ ids: Uint32Array, out: Uint32Array, sockets: any[], n: number,
 *   packet: any, encodedPackets: any, packetOpts: any, native: boolean,
 *   first: any, rest: any[] | undefined }}
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
    native: false,
    first: null,
    rest: undefined,
  };
}

/**
 * Whether engine.io sends `value` as one message the fan-out frames itself:
 * a string (text frame "4" + string), or binary by engine.io-parser's own
 * test in encodePacket (`instanceof ArrayBuffer || ArrayBuffer.isView`),
 * sent as a binary frame of its bytes. Anything else (a number, an object, a
 * SharedArrayBuffer itself) engine.io turns into text its own way, and binary
 * over a detached ArrayBuffer makes ws throw: those take the standard path,
 * which does exactly what stock does with them; so do views of resizable
 * ArrayBuffers (see below).
 *
 * @param {any} value
 * @returns {boolean}
 */
function isMessage(value) {
  if (typeof value === 'string') return true;
  let buffer;
  if (value instanceof ArrayBuffer) buffer = value;
  else if (ArrayBuffer.isView(value)) buffer = value.buffer;
  else return false;
  // A view of a resizable ArrayBuffer that shrank under it is out of bounds:
  // reading a DataView's byteLength then throws, in ws too. Rare enough to
  // leave every view of a resizable buffer to the standard path.
  if (buffer.resizable === true) return false;
  // Detached buffers read as empty; only empty ones need the costlier test.
  return buffer.byteLength !== 0 || !isDetached(buffer);
}

/**
 * @param {ArrayBuffer | SharedArrayBuffer} buffer
 * @returns {boolean} whether it is a detached ArrayBuffer
 */
function isDetached(buffer) {
  try {
    // eslint-disable-next-line no-new
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
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
   * @param {import('../rooms/room-index').RoomIndex} index the adapter's room index:
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
   * @param {any} encodedPackets the encoder's output: usually an array of a
   *   string and the attachments, or of one Buffer (a binary parser such as
   *   socket.io-msgpack-parser); anything socket.io's writeToEngine takes
   * @param {any} packetOpts
   */
  begin(depth, packet, encodedPackets, packetOpts) {
    while (this.batches.length <= depth) this.batches.push(newBatch());
    const batch = this.batches[depth];
    batch.n = 0;
    batch.packet = packet;
    batch.encodedPackets = encodedPackets;
    batch.packetOpts = packetOpts;
    // Like writeToEngine, a value that is not an array is one message.
    batch.native = false;
    batch.first = null;
    batch.rest = undefined;
    if (!Array.isArray(encodedPackets)) {
      if (isMessage(encodedPackets)) {
        batch.native = true;
        batch.first = encodedPackets;
      }
      return;
    }
    const count = encodedPackets.length;
    if (count === 0) return;
    for (let i = 0; i < count; i++) {
      if (!isMessage(encodedPackets[i])) return;
    }
    batch.native = true;
    batch.first = encodedPackets[0];
    if (count > 1) batch.rest = encodedPackets.slice(1);
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
    const registry = this.registry;
    const batch = this.batches[depth];
    if (!batch.native) {
      registry.totals.standardPath.encoding++;
      return false;
    }
    const outgoing = socket._anyOutgoingListeners;
    if (outgoing !== undefined && outgoing.length !== 0) {
      // Its listeners are user code that may write to sockets already taken:
      // what was taken goes out first, as stock would have written it.
      if (batch.n !== 0) this.end(depth, false);
      registry.totals.standardPath.listeners++;
      return false;
    }
    // `socket` is the occupant of slot s (the index resolved it from s), and
    // the slot's tag was zeroed when it got that occupant.
    const tags = this.index.slotTags;
    let id = tags[s] - 1;
    if (id < 0) {
      id = registry.idOf(socket.client.conn);
      if (id < 0) {
        registry.totals.standardPath.unregistered++;
        return false;
      }
      tags[s] = id + 1;
    }
    // Listeners of the events engine.io emits per packet (see watchedNow),
    // followed by the registry; the connection itself is not read here.
    const watch = registry.watchState[id & registry.slotMask];
    if (watch !== NOT_WATCHED && (watch === WATCHED || watchedNow(socket.client.conn))) {
      registry.totals.standardPath.events++;
      return false;
    }
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
    const first = batch.first;
    const rest = batch.rest;
    if (last) {
      batch.packet = null;
      batch.encodedPackets = null;
      batch.packetOpts = null;
      batch.native = false;
      batch.first = null;
      batch.rest = undefined;
    }
    if (n === 0) return;
    // The batch is spent from here on, whatever throws below: a later
    // broadcast at this depth must never find these recipients.
    batch.n = 0;
    const sockets = batch.sockets;
    let handed;
    try {
      // A string of any size goes to the addon as it is: the addon encodes
      // it straight into the frame (no intermediate Buffer, see addFrame in
      // native/binding/FanoutBinding.cc).
      handed = this.fanout.broadcast(first, batch.ids, n, batch.out, rest, packetOpts.volatile === true);
    } catch (err) {
      sockets.fill(undefined, 0, n);
      throw err;
    }
    // Frames were corked: the fan-out must learn where this JS turn ends.
    if (handed < n) this.registry.markTurn();
    if (handed === 0) {
      sockets.fill(undefined, 0, n);
      return;
    }
    // Handed ids are a subsequence of ids: pair them with their Sockets, then
    // release the batch before any user code runs (a listener may broadcast).
    const ids = batch.ids;
    const out = batch.out;
    const later = new Array(handed);
    const volatile = packetOpts.volatile === true;
    let j = 0;
    let m = 0;
    for (let h = 0; h < handed; h++) {
      const id = out[h];
      while (j < n && ids[j] !== id) j++;
      if (j === n) break;  // cannot happen: the fan-out hands back a subsequence of ids
      // socket.io drops a volatile packet while the connection is busy
      // writing; our remainder in flight is such a write.
      if (volatile && this.registry.hasRawPending(id)) continue;
      later[m++] = sockets[j];
    }
    sockets.fill(undefined, 0, n);
    if (m === 0) return;
    this.preEncode(packet, encodedPackets, packetOpts);
    for (let i = 0; i < m; i++) {
      const socket = later[i];
      if (typeof socket.notifyOutgoingListeners === 'function') socket.notifyOutgoingListeners(packet);
      socket.client.writeToEngine(encodedPackets, packetOpts);
    }
  }

  /**
   * Adds socket.io-adapter's pre-encoded websocket frame to `packetOpts`, as
   * stock's `_encode` does, for the writes that take the standard path:
   * built only when one does, since a broadcast the fan-out writes whole
   * needs none (for a 10 MB string it is a 10 MB Buffer and a 10 MB
   * flattened copy of the string). Does nothing when `packetOpts` has it
   * already.
   *
   * @param {any} packet
   * @param {any[]} encodedPackets
   * @param {any} packetOpts
   */
  preEncode(packet, encodedPackets, packetOpts) {
    if (packetOpts.wsPreEncodedFrame !== undefined) return;
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
    const native = this.fanout.stats();
    return {
      ...native,
      // The native counters' own totals: broadcasts and recipients offered to it.
      nativeBroadcasts: native.broadcasts,
      nativeRecipients: native.recipients,
      ...this.registry.counts(),
    };
  }

  /**
   * Counts a broadcast to `recipients` sockets; with an ack every one of
   * them was written the standard way without being offered.
   *
   * @param {number} recipients
   * @param {boolean} acked
   */
  counted(recipients, acked) {
    const totals = this.registry.totals;
    totals.broadcasts++;
    totals.recipients += recipients;
    if (acked) totals.standardPath.ack += recipients;
  }
}

/**
 * The one per-recipient loop of a broadcast on native rooms, for NativeAdapter
 * and for adapters under accelerate(): the recipients the registry computes
 * (union of `opts.rooms` minus `opts.except`), in order, each offered to the
 * native fan-out when `fanout` is not null and written with `write` when it
 * does not take it. Exception-safe: when user code throws, the sockets taken
 * before it get the packet, as stock would have written them before the
 * throw, and the nesting level is released even when that write throws too.
 *
 * @param {any} adapter an adapter on native rooms (`_index`, `nsp`, `_fanout`)
 * @param {{ rooms: Set<any>, except?: Set<any> }} opts
 * @param {NativeFanout | null} fanout the adapter's fan-out, or null: every recipient written with `write`
 * @param {any} packet
 * @param {any} encodedPackets
 * @param {any} packetOpts
 * @param {(socket: any) => void} write the standard write of one recipient
 * @returns {number} the number of sockets written to
 */
function deliver(adapter, opts, fanout, packet, encodedPackets, packetOpts, write) {
  const index = adapter._index;
  const sockets = adapter.nsp.sockets;
  const depth = index.enter();
  let count = 0;
  // NativeAdapter leaves socket.io-adapter's pre-encoded websocket frame to
  // the first write that takes the standard path (see NativeAdapter#broadcast).
  let preEncoded = fanout === null;
  try {
    const n = index.recipients(opts.rooms, opts.except, depth);
    const out = index.outPool[depth];
    if (fanout !== null) fanout.begin(depth, packet, encodedPackets, packetOpts);
    for (let i = 0; i < n; i++) {
      const socket = index.socketAt(out[i], sockets);
      if (socket === undefined) continue;
      count++;
      if (fanout !== null && fanout.take(depth, out[i], socket)) continue;
      if (!preEncoded) {
        preEncoded = true;
        // @ts-ignore fanout is not null when preEncoded starts false
        fanout.preEncode(packet, encodedPackets, packetOpts);
      }
      write(socket);
    }
  } finally {
    try {
      if (fanout !== null) fanout.end(depth);
    } finally {
      index.exit();
    }
  }
  if (adapter._fanout !== null) adapter._fanout.counted(count, fanout === null);
  return count;
}

/**
 * A NativeFanout for one adapter, or null when broadcasts cannot take the
 * native path in this process.
 *
 * @param {import('../rooms/room-index').RoomIndex} index the adapter's room index
 * @returns {NativeFanout | null}
 */
function createNativeFanout(index) {
  const registry = connectionRegistry();
  return registry === null ? null : new NativeFanout(registry, index);
}

module.exports = { NativeFanout, createNativeFanout, deliver, fanoutAvailable, connectionRegistry };
