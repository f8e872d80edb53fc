'use strict';

const debug = require('debug')('socket.io-native:fanout');
const { descriptorOfEngineSocket, isEngineSocketIdle } = require('./websocket-descriptor');
const { settings } = require('../env');

/** An empty write: its callback runs once every byte written before it left. */
const EMPTY = [Buffer.alloc(0)];

/** The net.Socket methods through which anything of the JS stack reaches or ends a connection. */
const HOOKED = ['write', 'end', 'destroy'];

const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/**
 * How long registrations stop after the process ran short of descriptors
 * before one is tried again (milliseconds). Being short is a property of the
 * whole process, so one refused duplicate stands for every connection: while
 * it lasts, connections keep the standard path without a system call, and
 * afterwards at most one failing dup per period (or per unregistration, which
 * frees one) finds out whether it still is.
 */
const SHORT_RETRY_MS = 1000;

/**
 * byConn's mark for a connection refused because the process was short of
 * descriptors: it keeps the standard path, and a later broadcast registers
 * it once descriptors are free again.
 */
const WAITING = Object.freeze({ waiting: true });

/** Whether the one warning about descriptors was emitted (once per process). */
let warnedShort = false;

/**
 * A connection's watch state (ConnectionRegistry#watchState), by slot:
 * whether anything listens to the events engine.io emits for each packet it
 * writes (see {@link watchedNow}), so that the connection takes the standard
 * path, which emits them as stock does.
 */
const NOT_WATCHED = 0;
const WATCHED = 1;
/** Listeners can no longer be followed (ours were removed): every broadcast asks {@link watchedNow}. */
const ASK = 2;

/** The engine.io connection's events that engine.io emits per packet it writes. */
const CONNECTION_EVENTS = new Set(['packetCreate', 'flush', 'drain']);
/** The engine.io server's events that it emits per packet a connection writes. */
const SERVER_EVENTS = new Set(['flush', 'drain']);

/**
 * Whether anything listens to the events engine.io emits for each packet it
 * writes to this connection ("packetCreate", "flush", "drain" on the
 * connection, "flush" and "drain" on the engine.io server), besides the
 * registry's own "packetCreate" listener (one function; a second listener
 * makes EventEmitter keep an array). Read from EventEmitter's `_events`.
 *
 * Each connection's `_events` has a shape of its own, so these reads miss
 * V8's inline caches: a broadcast does not make them per recipient but reads
 * the connection's watch state, which the registry keeps current from the
 * "newListener" and "removeListener" events (ConnectionRegistry#register,
 * #updateWatch and #followServer).
 *
 * @param {any} conn engine.io Socket
 * @returns {boolean}
 */
function watchedNow(conn) {
  const own = conn._events;
  if (own !== undefined && (own.flush !== undefined || own.drain !== undefined || Array.isArray(own.packetCreate))) {
    return true;
  }
  const server = conn.server != null ? conn.server._events : undefined;
  return server !== undefined && (server.flush !== undefined || server.drain !== undefined);
}

/**
 * Grows a typed array or array to at least `n` elements.
 *
 * @template {Uint32Array | Uint8Array | any[]} T
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
  // @ts-ignore a typed array's constructor
  const next = new a.constructor(size);
  next.set(a);
  // @ts-ignore
  return next;
}

/**
 * One engine.io connection registered with the native fan-out.
 * @typedef {object} ConnectionEntry
 * @property {number} id the fan-out's connection id
 * @property {any} conn the engine.io Socket
 * @property {any} transport the websocket transport it was registered with
 * @property {any} raw the net.Socket under it
 * @property {boolean} live registered (false once unregistered: the hooks then only call through)
 * @property {boolean} busy the fan-out's busy flag for it, as last set or reported
 * @property {number} rawPending raw writes of ours (remainders, empty probes) not yet called back
 * @property {Record<string, Function>} original the net.Socket's write, end and destroy before the hooks
 * @property {Record<string, Function>} hooks the own properties installed over them
 * @property {Record<string, boolean>} hadOwn whether the net.Socket had such an own property before
 * @property {() => void} onPacketCreate
 * @property {() => void} onReady
 * @property {() => void} onGone
 * @property {() => void} onRawWritten
 * @property {any} server the engine.io server of the connection (`conn.server`)
 * @property {boolean} followed whether our "newListener" and "removeListener" listeners are on the connection
 * @property {(event: string | symbol) => void} onNewListener
 * @property {(event: string | symbol, listener: Function) => void} onRemoveListener
 */

/**
 * What the registry follows of one engine.io server's listeners.
 * @typedef {object} ServerWatch
 * @property {boolean} followed whether our "newListener" and "removeListener" listeners are on it
 * @property {(event: string | symbol) => void} onNewListener
 * @property {(event: string | symbol, listener: Function) => void} onRemoveListener
 */

/**
 * The engine.io connections the native fan-out (`addon.fanout`) may write
 * to, shared by every namespace of the process, and the protocol that keeps
 * each connection's byte stream in order (docs/fanout.md):
 *
 *  - a connection is registered the first time a broadcast reaches it over a
 *    plain websocket (see descriptorOfEngineSocket), busy unless engine.io,
 *    ws and the net.Socket have nothing in flight;
 *  - two writers share its descriptor, ws's and ours, so everything of the
 *    JS stack that reaches the net.Socket goes through hooks installed on
 *    that one instance (own properties over `write`, `end` and `destroy`):
 *    what the fan-out corked for the connection is written first, in order;
 *    a write that leaves bytes in the net.Socket makes the connection busy
 *    (a native write must not land inside them), and `end` or `destroy`
 *    unregisters it. That covers ws's own frames (a pong, the close frame),
 *    every way a connection closes and whatever else writes to it;
 *  - engine.io's "packetCreate" (it is about to write or queue something of
 *    its own) makes it busy, writing what the fan-out corked for it first;
 *  - it becomes native again when everything drained: the transport's
 *    "ready", or the callback of our own raw writes, finds it idle;
 *  - it is unregistered, after writing what is still corked for it, when
 *    the net.Socket ends, is destroyed or closes, the transport closes or
 *    errors, engine.io moves the connection to another transport, or the
 *    process (or worker) emits "exit". Nothing corked is ever dropped.
 *
 * Bytes the fan-out could not write (a full socket buffer) come back through
 * `onRemainder` as Buffers that view the frames' shared storage (no copy per
 * connection) and are written raw to the net.Socket, ahead of anything the
 * standard path writes later.
 */
class ConnectionRegistry {
  /**
   * @param {any} fanout the addon's `fanout` object
   */
  constructor(fanout) {
    /** The addon's fan-out object. */
    this.fanout = fanout;
    /** @type {WeakMap<any, ConnectionEntry | null>} engine.io Socket -> entry (null: never eligible) */
    this.byConn = new WeakMap();
    /** @type {Map<number, ConnectionEntry>} connection id -> entry */
    this.byId = new Map();
    /** Connections refused, by reason (tls, deflate, base64, no descriptor, ...). */
    this.refused = Object.create(null);
    this.registered = 0;
    this.unregistered = 0;
    /**
     * Every broadcast of the adapters on this registry and every recipient,
     * counted once: offered to the native fan-out (its own counters say what
     * became of them) or written the standard way without being offered, by
     * reason (see NativeFanout#take).
     */
    this.totals = {
      broadcasts: 0,
      recipients: 0,
      standardPath: { ack: 0, encoding: 0, listeners: 0, events: 0, unregistered: 0 },
    };
    /** Registrations per JS turn (lib/env.js); Infinity: no limit. */
    this.registrationBudget = settings.registrationBudget === 0 ? Infinity : settings.registrationBudget;
    /** Registrations left in this turn. */
    this.registrationsLeft = this.registrationBudget;
    /** Recipients left on the standard path for a turn because the budget was spent. */
    this.registrationsDeferred = 0;
    /**
     * Element 0: how many connections have frames corked right now, kept
     * current by the addon; null when it cannot share it (then every hooked
     * call asks). Reading it is what keeps the hooks free when nothing is corked.
     * @type {Uint32Array | null}
     */
    this.corked = typeof fanout.corkedView === 'function' ? fanout.corkedView() || null : null;
    /**
     * Each registered connection's watch state (NOT_WATCHED, WATCHED or
     * ASK), indexed by the slot of its id (`id & slotMask`): one typed-array
     * read per recipient instead of reads of the connection's listeners.
     */
    this.watchState = new Uint8Array(64);
    if (!Number.isInteger(fanout.slotBits)) throw new TypeError('the fan-out does not say how ids name slots');
    /** The slot bits of a fan-out id (native/core/ConnectionTable.h). */
    this.slotMask = 2 ** fanout.slotBits - 1;
    /** @type {WeakMap<any, ServerWatch>} the engine.io servers whose listeners are followed */
    this.servers = new WeakMap();
    /** Set at the process's (or worker's) "exit": no connection is registered any more. */
    this.closed = false;
    /** Whether the end of the current JS turn is scheduled (see markTurn). */
    this.turnPending = false;
    /** Runs from the nextTick queue: a new turn starts for the fan-out and for registrations. */
    this.endTurn = () => {
      this.turnPending = false;
      this.registrationsLeft = this.registrationBudget;
      this.fanout.nextTurn();
    };
    fanout.onRemainder((ids, buffers) => this.onRemainder(ids, buffers));
    // process.exit() and the end of the process emit "exit" and then stop
    // the loop: corked frames would never be flushed, where stock wrote them
    // at once. Unregistering every connection writes them (what the kernel
    // takes, as stock's synchronous writes; a remainder goes through the
    // stream's own write, which tries the socket at once too), and anything
    // broadcast by "exit" listeners that run after this one takes the
    // standard path. A worker that is terminated emits no "exit": the addon
    // writes what is corked when its environment is torn down.
    process.on('exit', () => this.close());
    /**
     * Whether registrations are on hold because the process is short of
     * descriptors ('descriptor-reserve' or 'descriptor-limit', the reason of
     * the refusal that put them on hold), or null.
     * @type {string | null}
     */
    this.short = null;
    /** @private */
    this.shortTimer = null;
    if (typeof fanout.descriptorReserve === 'function') fanout.descriptorReserve(settings.fdReserve);
    // lib/env.js read the variable (and warned if it could not).
    if (typeof fanout.flushBudget === 'function') fanout.flushBudget(settings.flushBudget);
  }

  /**
   * The fan-out id of the connection behind `conn`, registering it when it
   * qualifies; -1 when it does not (yet: a polling connection may upgrade).
   *
   * @param {any} conn engine.io Socket
   * @returns {number}
   */
  idOf(conn) {
    const entry = this.byConn.get(conn);
    if (entry !== undefined) {
      if (entry === null) return -1;
      if (entry === WAITING) {
        // Refused for lack of descriptors: tried again once they may be free.
        if (this.short !== null) return -1;
      } else if (entry.transport === conn.transport) {
        return entry.id;
      } else {
        // engine.io moved the connection to another transport.
        this.unregister(entry);
      }
    }
    if (this.closed || conn == null || conn.readyState !== 'open') return -1;
    const { fd, reason } = descriptorOfEngineSocket(conn);
    if (reason !== null) {
      // Polling may still upgrade; everything else is final for this transport.
      if (reason !== 'transport') {
        this.refused[reason] = (this.refused[reason] || 0) + 1;
        this.byConn.set(conn, null);
      }
      return -1;
    }
    if (this.short !== null) return this.wait(conn, entry, this.short);
    if (this.registrationsLeft === 0) {
      this.registrationsDeferred++;
      return -1;
    }
    this.registrationsLeft--;
    this.markTurn();
    let id;
    try {
      id = this.fanout.register(fd);
    } catch (err) {
      // A registration holds a second descriptor per connection. When it
      // would take descriptors kept free for the application (the reserve),
      // or there is none left at all (EMFILE), the connection keeps
      // socket.io's own path for now, and so does every other connection
      // until descriptors may be free again (see SHORT_RETRY_MS).
      const code = err && err.code;
      if (code === 'ERR_SOCKET_IO_NATIVE_FD_RESERVE' || code === 'ERR_SOCKET_IO_NATIVE_FD_LIMIT') {
        this.holdRegistrations(code === 'ERR_SOCKET_IO_NATIVE_FD_RESERVE' ? 'descriptor-reserve' : 'descriptor-limit');
        return this.wait(conn, entry, this.short);
      }
      // Anything else (the table is full, the socket is not what it seemed)
      // is final for this connection: the broadcast must not fail for it.
      this.refused['register-failed'] = (this.refused['register-failed'] || 0) + 1;
      this.byConn.set(conn, null);
      debug('connection %s not registered: %s', conn.id, err && err.message);
      return -1;
    }
    return this.register(conn, id).id;
  }

  /**
   * Keeps a connection on the standard path while the process is short of
   * descriptors, counting it once per connection.
   *
   * @private
   * @param {any} conn
   * @param {ConnectionEntry | null | typeof WAITING | undefined} previous its mark before
   * @param {string} reason
   * @returns {-1}
   */
  wait(conn, previous, reason) {
    if (previous !== WAITING) {
      this.refused[reason] = (this.refused[reason] || 0) + 1;
      this.byConn.set(conn, WAITING);
    }
    return -1;
  }

  /**
   * Stops registrations for SHORT_RETRY_MS (or until a registered connection
   * frees its descriptor) and warns once per process.
   *
   * @private
   * @param {string} reason 'descriptor-reserve' or 'descriptor-limit'
   */
  holdRegistrations(reason) {
    this.short = reason;
    if (this.shortTimer === null) {
      this.shortTimer = setTimeout(() => {
        this.shortTimer = null;
        this.short = null;
      }, SHORT_RETRY_MS);
      this.shortTimer.unref();
    }
    const limits = typeof this.fanout.descriptorReserve === 'function' ? this.fanout.descriptorReserve() : null;
    const soft = limits === null || limits.softLimit < 0 ? 'unknown' : String(limits.softLimit);
    const kept = limits === null ? 0 : limits.reserve;
    debug('registrations on hold (%s): soft open-files limit %s, %d descriptors kept free', reason, soft, kept);
    if (warnedShort) return;
    warnedShort = true;
    const why = reason === 'descriptor-reserve'
      ? `registering connections would take the ${kept} descriptors kept free for the application under the ` +
        `soft open-files limit (${soft})`
      : `no descriptor is left under the soft open-files limit (${soft})`;
    process.emitWarning(`socket.io-native: ${why}; new connections take socket.io's standard path (one descriptor ` +
      'each instead of two) until descriptors are free. Raise the limit (ulimit -n, LimitNOFILE=) to twice the ' +
      'clients plus the reserve, or set SOCKET_IO_NATIVE_FD_RESERVE', { code: 'SOCKET_IO_NATIVE_FD_RESERVE' });
  }

  /**
   * Whether ours wrote bytes to this connection that have not left yet (a
   * remainder): socket.io drops a volatile packet for such a connection.
   *
   * @param {number} id
   * @returns {boolean}
   */
  hasRawPending(id) {
    const entry = this.byId.get(id);
    return entry !== undefined && entry.rawPending > 0;
  }

  /**
   * `descriptorReserve`: the soft open-files limit (-1: unlimited) and how
   * many descriptors registrations keep free under it; null without the
   * addon's support.
   *
   * @returns {{ connections: number, registered: number, unregistered: number, registrationsDeferred: number,
   *   refused: Record<string, number>,
   *   descriptorReserve: { softLimit: number, reserve: number } | null }}
   */
  counts() {
    const totals = this.totals;
    return {
      broadcasts: totals.broadcasts,
      recipients: totals.recipients,
      standardPath: { ...totals.standardPath },
      connections: this.byId.size,
      registered: this.registered,
      unregistered: this.unregistered,
      registrationsDeferred: this.registrationsDeferred,
      refused: { ...this.refused },
      descriptorReserve: typeof this.fanout.descriptorReserve === 'function' ? this.fanout.descriptorReserve() : null,
    };
  }

  /**
   * Makes sure the fan-out learns where this JS turn ends (one nextTick
   * callback per turn): called after a broadcast corked frames and after a
   * registration. Stock writes the first packet of a turn to a connection at
   * once and holds the rest in engine.io's write buffer until ws calls back
   * from the nextTick queue: a volatile packet in between is dropped
   * (docs/fanout.md, "volatile"), and a connection that ends before then
   * never sends the rest (FanOut::truncateTurn). The same callback renews the
   * registration budget.
   */
  markTurn() {
    if (this.turnPending) return;
    this.turnPending = true;
    process.nextTick(this.endTurn);
  }

  /**
   * Unregisters every connection, writing what is corked for each first
   * (what stock had written by then), and registers none from now on. Runs
   * at the process's "exit".
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.byId.values()]) this.unregister(entry, true);
  }

  /**
   * @private
   * @param {any} conn
   * @param {number} id the id register() returned for its descriptor
   * @returns {ConnectionEntry}
   */
  register(conn, id) {
    const transport = conn.transport;
    const ws = transport.socket;
    const raw = ws._socket;
    const registry = this;
    /** @type {ConnectionEntry} */
    const entry = {
      id,
      conn,
      transport,
      raw,
      live: true,
      busy: true,
      rawPending: 0,
      original: {},
      hooks: {},
      hadOwn: {},
      onPacketCreate: () => {
        // Busy means nothing is corked for it (going busy wrote it).
        if (!entry.busy) this.goBusy(entry);
      },
      onReady: () => this.settle(entry),
      onGone: () => this.unregister(entry, true),
      onRawWritten: () => {
        entry.rawPending--;
        if (entry.live) this.settle(entry);
      },
      server: conn.server,
      followed: true,
      onNewListener: (event) => {
        // Emitted before the listener is added: it will be there.
        if (entry.live && CONNECTION_EVENTS.has(event)) this.mayBeWatched(entry);
      },
      onRemoveListener: (event, listener) => {
        if (!entry.live) return;
        if (listener === entry.onNewListener || listener === entry.onRemoveListener) entry.followed = false;
        else if (!CONNECTION_EVENTS.has(event)) return;
        this.updateWatch(entry);
      },
    };
    const { write, end, destroy } = raw;
    entry.original = { write, end, destroy };
    entry.hooks = {
      write(chunk, encoding, cb) {
        if (!entry.live) return write.call(this, chunk, encoding, cb);
        if (entry.transport.socket.readyState !== 1) {
          // ws's close frame (ws is CLOSING before it writes it), or anything
          // after it: the connection is ending, and nothing of ours may follow.
          registry.unregister(entry, registry.endsWithoutDrain(entry));
          return write.call(this, chunk, encoding, cb);
        }
        if (registry.anyCorked()) registry.flushFirst(entry);
        const result = write.call(this, chunk, encoding, cb);
        // Bytes left in the stream (a full socket buffer, or written inside
        // cork()): nothing native may be written until they left.
        if (!entry.busy && entry.live && this.writableLength !== 0) {
          registry.goBusy(entry);
          registry.settle(entry);
        }
        return result;
      },
      end(chunk, encoding, cb) {
        // ws's end of a close handshake, a half-close, destroySoon(): what is
        // corked goes first; later broadcasts take the standard path, which
        // refuses them as stock does.
        if (entry.live) registry.unregister(entry, registry.endsWithoutDrain(entry));
        return end.call(this, chunk, encoding, cb);
      },
      destroy(err, cb) {
        // ws's terminate(), an error, a close timer: what is corked goes to
        // the kernel first. What it does not take now is what stock's stream
        // would have held, and destroy() discards that too.
        if (entry.live) registry.unregister(entry, registry.endsWithoutDrain(entry), false);
        return destroy.call(this, err, cb);
      },
    };
    for (const name of HOOKED) {
      entry.hadOwn[name] = hasOwn(raw, name);
      raw[name] = entry.hooks[name];
    }
    this.byConn.set(conn, entry);
    this.byId.set(id, entry);
    this.registered++;
    conn.on('packetCreate', entry.onPacketCreate);
    // After our own packetCreate listener, which does not count.
    this.followServer(entry.server);
    conn.on('newListener', entry.onNewListener);
    conn.on('removeListener', entry.onRemoveListener);
    this.updateWatch(entry);
    transport.on('ready', entry.onReady);
    transport.once('close', entry.onGone);
    transport.once('error', entry.onGone);
    raw.once('close', entry.onGone);
    // Nothing may be written around bytes already on their way (the upgrade
    // probe, a packet engine.io is sending).
    this.fanout.setBusy(id, true);
    this.settle(entry);
    debug('connection %d registered (engine.io %s)', id, conn.id);
    return entry;
  }

  /**
   * Sets the connection's watch state from its listeners and its server's:
   * WATCHED or NOT_WATCHED, or ASK once either can no longer be followed.
   *
   * @private
   * @param {ConnectionEntry} entry
   */
  updateWatch(entry) {
    const slot = entry.id & this.slotMask;
    if (slot >= this.watchState.length) this.watchState = grown(this.watchState, slot + 1);
    const server = entry.server != null ? this.servers.get(entry.server) : undefined;
    if (!entry.followed || (server !== undefined && !server.followed)) {
      this.watchState[slot] = ASK;
    } else {
      this.watchState[slot] = watchedNow(entry.conn) ? WATCHED : NOT_WATCHED;
    }
  }

  /**
   * A listener the connection's watch depends on is about to be added.
   *
   * @private
   * @param {ConnectionEntry} entry
   */
  mayBeWatched(entry) {
    const slot = entry.id & this.slotMask;
    if (this.watchState[slot] === NOT_WATCHED) this.watchState[slot] = WATCHED;
  }

  /**
   * Follows the "flush" and "drain" listeners of an engine.io server, whose
   * connections all take the standard path while it has any. Once per
   * server; the listeners stay for the server's life.
   *
   * @private
   * @param {any} server
   */
  followServer(server) {
    if (server == null || typeof server.on !== 'function' || this.servers.has(server)) return;
    const each = (/** @type {(entry: ConnectionEntry) => void} */ fn) => {
      for (const entry of this.byId.values()) if (entry.server === server) fn(entry);
    };
    /** @type {ServerWatch} */
    const watch = {
      followed: true,
      onNewListener: (event) => {
        if (SERVER_EVENTS.has(event)) each((entry) => this.mayBeWatched(entry));
      },
      onRemoveListener: (event, listener) => {
        if (listener === watch.onNewListener || listener === watch.onRemoveListener) watch.followed = false;
        else if (!SERVER_EVENTS.has(event)) return;
        each((entry) => this.updateWatch(entry));
      },
    };
    this.servers.set(server, watch);
    server.on('newListener', watch.onNewListener);
    server.on('removeListener', watch.onRemoveListener);
  }

  /**
   * Whether the connection is ending without engine.io writing its buffer
   * first. Only engine.io's own graceful close (`conn.close()` without
   * discard: readyState "closing", transport not discarded) waits for its
   * write buffer to drain; a discarding close (server close), a close on
   * error or timeout (readyState "closed"), or ws / the net.Socket ended
   * under an open engine.io socket leave it unwritten with stock.
   *
   * @private
   * @param {ConnectionEntry} entry
   * @returns {boolean}
   */
  endsWithoutDrain(entry) {
    return !(entry.conn.readyState === 'closing' && entry.transport.discarded !== true);
  }

  /**
   * Unregisters a connection. What the fan-out corked for it is written
   * first, as stock would have: natively as far as the kernel takes it, the
   * rest through the net.Socket's own stream (unless `writeRest` is false:
   * the stream is being destroyed, which drops what it holds anyway). When
   * the connection ends without engine.io draining its buffer (`ending`),
   * the frames of this turn that stock would still have held there are
   * dropped first (FanOut::truncateTurn).
   *
   * @private
   * @param {ConnectionEntry} entry
   * @param {boolean} [ending]
   * @param {boolean} [writeRest]
   */
  unregister(entry, ending = false, writeRest = true) {
    if (!entry.live) return;
    entry.live = false;
    if (this.byId.get(entry.id) === entry) this.byId.delete(entry.id);
    if (this.byConn.get(entry.conn) === entry) this.byConn.delete(entry.conn);
    this.unregistered++;
    entry.conn.off('removeListener', entry.onRemoveListener);
    entry.conn.off('newListener', entry.onNewListener);
    entry.conn.off('packetCreate', entry.onPacketCreate);
    entry.transport.off('ready', entry.onReady);
    entry.transport.off('close', entry.onGone);
    entry.transport.off('error', entry.onGone);
    const raw = entry.raw;
    raw.off('close', entry.onGone);
    for (const name of HOOKED) {
      // A hook something else installed over ours stays, and ours in it only
      // calls through from now on.
      if (raw[name] !== entry.hooks[name]) continue;
      if (entry.hadOwn[name]) raw[name] = entry.original[name];
      else delete raw[name];
    }
    if (ending) this.fanout.truncateTurn(entry.id);
    const rest = this.fanout.flushNow(entry.id);
    if (rest !== undefined && writeRest) this.writeRaw(entry, rest);
    // Closing the duplicate; it would also write anything still corked.
    this.fanout.unregister(entry.id);
    // Its duplicate is closed: a connection waiting for a descriptor may
    // find one now.
    this.short = null;
    debug('connection %d unregistered', entry.id);
  }

  /**
   * Whether any connection has frames corked (unknown counts as yes).
   *
   * @private
   * @returns {boolean}
   */
  anyCorked() {
    const corked = this.corked;
    return corked === null || corked[0] !== 0;
  }

  /**
   * Writes what is corked for the connection now, before a write of the JS
   * stack: natively, and what the kernel does not take through the stream.
   *
   * @private
   * @param {ConnectionEntry} entry
   */
  flushFirst(entry) {
    const rest = this.fanout.flushNow(entry.id);
    if (rest !== undefined) {
      entry.busy = true;
      this.writeRaw(entry, rest);
    }
  }

  /**
   * Marks the connection busy (broadcasts take the standard path behind the
   * JS stack's bytes), writing what is corked for it first.
   *
   * @private
   * @param {ConnectionEntry} entry
   */
  goBusy(entry) {
    entry.busy = true;
    const rest = this.fanout.setBusy(entry.id, true);
    if (rest !== undefined) this.writeRaw(entry, rest);
  }

  /**
   * Makes the connection native again when nothing of the JS stack is
   * waiting to reach its socket. When only the net.Socket still holds bytes
   * that no engine.io event will report (a pong, the upgrade probe), an
   * empty write calls back once they left.
   *
   * @private
   * @param {ConnectionEntry} entry
   */
  settle(entry) {
    const conn = entry.conn;
    if (isEngineSocketIdle(conn)) {
      entry.busy = false;
      this.fanout.setBusy(entry.id, false);
      return;
    }
    if (entry.rawPending > 0 || conn.readyState !== 'open') return;
    // engine.io is sending or queueing: its "ready" comes.
    if (conn.upgrading || conn.writeBuffer.length !== 0 || conn.transport.writable !== true) return;
    const ws = conn.transport.socket;
    // Closing, or ws itself has frames queued: no native writes until the
    // next "ready" (or ever).
    if (ws.readyState !== 1 || ws._sender._queue.length !== 0) return;
    const raw = entry.raw;
    // Only bytes inside the net.Socket are left: wait for them once.
    if (raw.writableLength === 0 && !raw.writableCorked) return;
    this.writeRaw(entry, EMPTY);
  }

  /**
   * Writes `parts` in order as one write (corked: one writev), ahead of
   * anything written to the socket later. The Buffers may view frames that
   * other connections share: the stream keeps references, never copies.
   *
   * @private
   * @param {ConnectionEntry} entry
   * @param {Buffer[]} parts
   */
  writeRaw(entry, parts) {
    const raw = entry.raw;
    if (raw.destroyed || !raw.writable) return;
    entry.rawPending++;
    const write = entry.original.write;
    const last = parts.length - 1;
    if (last === 0) {
      write.call(raw, parts[0], entry.onRawWritten);
      return;
    }
    raw.cork();
    for (let i = 0; i < last; i++) write.call(raw, parts[i]);
    write.call(raw, parts[last], entry.onRawWritten);
    raw.uncork();
  }

  /**
   * The fan-out's bulk callback: bytes a flush could not write.
   *
   * @private
   * @param {Uint32Array} ids
   * @param {Buffer[][]} buffers
   */
  onRemainder(ids, buffers) {
    for (let i = 0; i < ids.length; i++) {
      const entry = this.byId.get(ids[i]);
      if (entry === undefined) continue;
      entry.busy = true;
      this.writeRaw(entry, buffers[i]);
    }
  }
}

module.exports = { ConnectionRegistry, watchedNow, grown, NOT_WATCHED, WATCHED };
