'use strict';

const { Adapter, ClusterAdapter, ClusterAdapterWithHeartbeat, SessionAwareAdapter } = require('socket.io-adapter');
const debug = require('debug')('socket.io-native:accelerate');
const binding = require('../binding');
const { invalidArgError, unknownOptionError, adapterNotCalledError } = require('../errors');
const { nativeRooms, initNativeRooms } = require('../rooms/native-rooms');
const { initLocalLayer } = require('./adapter');
const { deliver } = require('../fanout/native-fanout');
const { installTranscoding } = require('./redis/classic-transcode');

/** The code of the warning an adapter that stays unaccelerated gets. */
const WARNING_CODE = 'SOCKET_IO_NATIVE_NOT_ACCELERATED';

/**
 * The methods that decide where rooms live and who a broadcast reaches. An
 * adapter class that overrides one of them has membership semantics this
 * package does not know, so its adapters are left unaccelerated.
 */
const MEMBERSHIP_METHODS = ['addAll', 'del', '_del', 'delAll', 'socketRooms', 'apply', 'computeExceptSids', '_encode'];

/** The fields the accelerated layer adds to an adapter instance. */
const OWN_FIELDS = ['_index', '_fanout', '_armed', '_transcoded'];

/**
 * socket.io-adapter's own classes between an adapter and Adapter: their
 * overrides (broadcast, addSockets, fetchSockets, ... reaching the local
 * layer through `super`) are known to end in Adapter's methods.
 */
const KNOWN_PROTOTYPES = new Set([ClusterAdapter, ClusterAdapterWithHeartbeat, SessionAwareAdapter]
  .filter((C) => typeof C === 'function').map((C) => C.prototype));

/**
 * adapter -> { accelerated, reason, incoming } for every adapter accelerate()
 * made, read by adapterStats(). `incoming` counts the classic Redis adapter's
 * incoming broadcasts transcoded natively and those left to its JS path; it
 * is null where incoming messages are not transcoded.
 *
 * @typedef {{ transcoded: number, jsPath: number }} IncomingCounts
 * @type {WeakMap<object, { accelerated: boolean, reason: string | null, incoming: IncomingCounts | null }>}
 */
const outcomes = new WeakMap();

/** @type {WeakMap<object, any>} an adapter's prototype -> its accelerated subclass's prototype */
const acceleratedPrototypes = new WeakMap();

/** @type {boolean | undefined} */
let broadcastShapeKnown;

/**
 * Whether socket.io-adapter's Adapter#broadcast and #broadcastWithAck, as
 * installed, encode the packet with `this._encode()` and then deliver it
 * with one `this.apply()` call, synchronously. The accelerated layer relies
 * on that order to hand a broadcast's recipients to the native fan-out, so
 * it checks it on the installed version once, with a stand-in `this`,
 * rather than trusting a version number.
 *
 * @returns {boolean}
 */
function knowsBroadcastShape() {
  if (broadcastShapeKnown !== undefined) return broadcastShapeKnown;
  const calls = [];
  const probe = Object.create(Adapter.prototype);
  probe.nsp = { name: '/', _ids: 0 };
  probe._encode = () => {
    calls.push('encode');
    return ['2["probe"]'];
  };
  probe.apply = () => calls.push('apply');
  let counted = -1;
  try {
    Adapter.prototype.broadcast.call(probe, { type: 2, data: ['probe'] }, { rooms: new Set(), except: new Set() });
    Adapter.prototype.broadcastWithAck.call(probe, { type: 2, data: ['probe'] }, { rooms: new Set(), except: new Set() },
      (/** @type {number} */ n) => { counted = n; }, () => {});
    broadcastShapeKnown = calls.join() === 'encode,apply,encode,apply' && counted === 0;
  } catch (err) {
    debug('probing socket.io-adapter broadcast threw: %s', /** @type {Error} */ (err).message);
    broadcastShapeKnown = false;
  }
  return broadcastShapeKnown;
}

/**
 * Why `adapter` cannot be accelerated safely, or null when it can.
 *
 * @param {any} adapter
 * @returns {string | null}
 */
function unsafeReason(adapter) {
  if (adapter === null || typeof adapter !== 'object') return 'the factory did not return an adapter object';
  if (!(adapter instanceof Adapter)) {
    if (typeof adapter.addAll === 'function' && typeof adapter.broadcast === 'function') {
      return 'the adapter extends another copy of socket.io-adapter than the one socket.io-native loads ' +
        '(deduplicate socket.io-adapter in node_modules)';
    }
    return "the adapter is not built on socket.io-adapter's Adapter";
  }
  if (!knowsBroadcastShape()) {
    return "the installed socket.io-adapter's broadcast does not encode then apply, as this version of socket.io-native expects";
  }
  for (const field of OWN_FIELDS) {
    if (field in adapter) return `the adapter already has a "${field}" property`;
  }
  if (!(adapter.rooms instanceof Map) || !(adapter.sids instanceof Map)) {
    return 'the adapter does not keep its rooms in Maps as socket.io-adapter does';
  }
  if (adapter.rooms.size !== 0 || adapter.sids.size !== 0) {
    return 'the adapter already holds rooms when its factory returns it';
  }
  for (let proto = Object.getPrototypeOf(adapter); proto !== Adapter.prototype; proto = Object.getPrototypeOf(proto)) {
    if (KNOWN_PROTOTYPES.has(proto)) continue;
    const className = (proto.constructor && proto.constructor.name) || 'an anonymous class';
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (MEMBERSHIP_METHODS.includes(name)) {
        return `${className} overrides ${name}(), whose semantics socket.io-native does not know`;
      }
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      // A method that encodes a broadcast itself might apply() it with a
      // callback that does more than write: the hand-off to the native
      // fan-out would skip that.
      if (name !== 'constructor' && desc && typeof desc.value === 'function' && /\b_encode\b/.test(Function.prototype.toString.call(desc.value))) {
        return `${className}.${name}() calls _encode(), which socket.io-native cannot follow`;
      }
    }
  }
  for (const name of Object.getOwnPropertyNames(adapter)) {
    if (MEMBERSHIP_METHODS.includes(name)) return `the adapter instance has its own ${name}`;
  }
  return null;
}

/**
 * The prototype accelerated adapters of `proto`'s class are moved onto: a
 * subclass made with {@link nativeRooms} over `proto` (nothing is installed
 * on `proto` or any other existing prototype), plus the hand-off of
 * broadcasts to the native fan-out. Made once per prototype.
 *
 * @param {any} proto
 * @returns {any}
 */
function acceleratedPrototype(proto) {
  let accelerated = acceleratedPrototypes.get(proto);
  if (accelerated !== undefined) return accelerated;
  // A stand-in constructor whose prototype is the adapter's own: the
  // subclass extends exactly the chain the factory built, and is never
  // constructed (the factory already ran the adapter's constructors).
  const Base = /** @type {any} */ (function AcceleratedBase() {});
  Base.prototype = proto;

  /**
   * An adapter's own class with the native room registry under it and the
   * native fan-out writing its broadcasts. socket.io-adapter's
   * Adapter#broadcast (which every adapter's own broadcast and the
   * broadcasts it receives from other nodes end in, through `super`) calls
   * `this._encode()` and then `this.apply()` with a callback that writes to
   * one socket. `_encode` below marks the broadcast; the `apply` that
   * follows it hands the recipients the fan-out can write to over to it,
   * and calls that same callback for the others (polling, busy,
   * onAnyOutgoing listeners), in recipient order. Every other `apply()`
   * (fetchSockets, addSockets, delSockets, disconnectSockets, sockets,
   * broadcasts with an ack) runs the callback for every recipient.
   */
  class Accelerated extends nativeRooms(Base) {
    /**
     * @param {any} packet
     * @param {any} packetOpts
     * @returns {any[]}
     */
    _encode(packet, packetOpts) {
      let encodedPackets;
      const transcoded = this._transcoded;
      if (transcoded !== null) {
        // An incoming classic Redis adapter message whose packet the native
        // transcoder already encoded (redis/classic-transcode.js): the
        // adapter's own _encode runs with that output as its encoder's, so
        // whatever it adds (the pre-encoded websocket frame) is the same.
        this._transcoded = null;
        const encoder = this.encoder;
        this.encoder = { encode: () => transcoded };
        try {
          encodedPackets = super._encode(packet, packetOpts);
        } finally {
          this.encoder = encoder;
        }
      } else {
        encodedPackets = super._encode(packet, packetOpts);
      }
      // Broadcasts with an ack (packet.id set) keep the stock writes, as in
      // NativeAdapter: each recipient records the ack callback.
      if (this._fanout !== null && packet.id === undefined) this._armed = { packet, encodedPackets, packetOpts };
      return encodedPackets;
    }

    /**
     * @param {{ rooms: Set<any>, except?: Set<any> }} opts
     * @param {(socket: any) => void} callback
     */
    apply(opts, callback) {
      const armed = this._armed;
      if (armed === null) return super.apply(opts, callback);
      // Consumed before any user code runs: a nested broadcast arms its own.
      this._armed = null;
      deliver(this, opts, this._fanout, armed.packet, armed.encodedPackets, armed.packetOpts, callback);
    }
  }

  accelerated = Accelerated.prototype;
  // The adapter still presents itself as what its factory made.
  Object.defineProperty(accelerated, 'constructor', {
    value: proto.constructor, writable: true, configurable: true, enumerable: false,
  });
  acceleratedPrototypes.set(proto, accelerated);
  return accelerated;
}

/**
 * Puts the native layer under an adapter its factory just built, or leaves
 * it as it is and says why.
 *
 * @param {any} adapter
 * @param {{ warned: boolean }} state one per accelerate() call
 * @returns {any} the same adapter
 */
function accelerateInstance(adapter, state) {
  // A factory that hands out the same adapter again: already decided.
  if (outcomes.has(adapter)) return adapter;
  const reason = unsafeReason(adapter);
  if (reason !== null) {
    if (adapter !== null && typeof adapter === 'object') outcomes.set(adapter, { accelerated: false, reason, incoming: null });
    warnOnce(state, reason);
    return adapter;
  }
  // Only this instance changes class; the adapter's own class, the other
  // instances of it and socket.io-adapter's classes are untouched.
  Object.setPrototypeOf(adapter, acceleratedPrototype(Object.getPrototypeOf(adapter)));
  initNativeRooms(adapter);
  initLocalLayer(adapter);
  /** @private the broadcast _encode() just encoded, for the apply() that follows */
  adapter._armed = null;
  /** @private an incoming message's natively encoded packet, for the _encode() that follows */
  adapter._transcoded = null;
  /** @type {IncomingCounts | null} */
  let incoming = { transcoded: 0, jsPath: 0 };
  const notTranscoded = installTranscoding(adapter, incoming);
  if (notTranscoded !== null) {
    incoming = null;
    debug('incoming messages of %s keep the JS path: %s', adapter.constructor && adapter.constructor.name, notTranscoded);
  }
  outcomes.set(adapter, { accelerated: true, reason: null, incoming });
  debug('accelerated %s for namespace %s (native fan-out: %s)',
    adapter.constructor && adapter.constructor.name, adapter.nsp.name, adapter._fanout !== null);
  return adapter;
}

/**
 * @param {{ warned: boolean }} state
 * @param {string} reason
 */
function warnOnce(state, reason) {
  debug('not accelerated: %s', reason);
  if (state.warned) return;
  state.warned = true;
  process.emitWarning(`socket.io-native: the adapter runs unaccelerated: ${reason}`, { code: WARNING_CODE });
}

/**
 * Puts this package's native room registry and native broadcast fan-out
 * under the adapters an existing adapter factory makes, keeping everything
 * else of theirs: the inter-node protocol, requests, acks, heartbeats,
 * session recovery. Works with any adapter built on socket.io-adapter's
 * `Adapter` or `ClusterAdapter` (@socket.io/redis-adapter, its sharded
 * variant, @socket.io/redis-streams-adapter, @socket.io/cluster-adapter,
 * @socket.io/postgres-adapter, ...): local rooms live in the native
 * registry, and every local delivery of a broadcast without an ack, made
 * here or arriving from another node, goes through the native fan-out.
 *
 * Each adapter the factory returns is checked first; one whose shape is not
 * safe to accelerate (not built on the socket.io-adapter this package loads,
 * or overriding the membership methods) is returned as it is, with one
 * process warning (code SOCKET_IO_NATIVE_NOT_ACCELERATED) per accelerate()
 * call, and `adapterStats()` reports `accelerated: false` and the reason.
 * Without the native addon (SOCKET_IO_NATIVE_DISABLE=1, no binary) the
 * factory is returned unchanged.
 *
 * No class is modified: each accelerated adapter is moved onto a subclass
 * of its own class, made once per class.
 *
 * @example
 * const { createAdapter } = require("@socket.io/redis-adapter");
 * const { accelerate, parser } = require("socket.io-native");
 * const io = new Server(httpServer, { adapter: accelerate(createAdapter(pubClient, subClient)), parser });
 *
 * @template F
 * @param {F} factory the value for socket.io's `adapter` option: an adapter
 *   factory `(nsp) => adapter` or an adapter class
 * @param {{}} [options] reserved: an object without keys when given (an
 *   unknown option throws ERR_SOCKET_IO_NATIVE_UNKNOWN_OPTION)
 * @returns {F}
 * @throws {TypeError} ERR_SOCKET_IO_NATIVE_ADAPTER_NOT_CALLED when socket.io
 *   was given `accelerate` itself rather than `accelerate(factory)`
 */
function accelerate(factory, options) {
  if (new.target !== undefined) throw adapterNotCalledError('accelerate(factory)');
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgError('accelerate(factory, options): options must be an object');
  }
  const unknown = Object.keys(options || {});
  if (unknown.length > 0) throw unknownOptionError('accelerate(factory, options)', unknown, []);
  if (!binding.native || binding.addon == null || binding.addon.registry == null) {
    debug('native room registry not available (%s); the adapter runs as it is',
      binding.reason || 'the addon has no registry');
    return factory;
  }
  const state = { warned: false };
  if (typeof factory !== 'function') {
    warnOnce(state, 'the adapter factory is not a function');
    return factory;
  }
  const make = /** @type {any} */ (factory);
  // socket.io calls the `adapter` option with `new` for each namespace; a
  // factory function returning an object and an adapter class both work
  // that way, so it is called the same way here.
  return /** @type {any} */ (function acceleratedAdapter(/** @type {any} */ nsp) {
    return accelerateInstance(new make(nsp), state);
  });
}

/**
 * What accelerate() decided for `adapter`, or undefined when accelerate()
 * did not make it.
 *
 * @param {any} adapter
 * @returns {{ accelerated: boolean, reason: string | null, incoming: IncomingCounts | null } | undefined}
 */
function accelerationOf(adapter) {
  return outcomes.get(adapter);
}

module.exports = { accelerate, accelerationOf, WARNING_CODE };
