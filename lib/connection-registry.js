'use strict';

const debug = require('debug')('socket.io-native:fanout');
const { descriptorOfEngineSocket, isEngineSocketIdle } = require('./websocket-descriptor');
const { settings } = require('./env');

/** An empty write: its callback runs once every byte written before it left. */
const EMPTY = [Buffer.alloc(0)];

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
 * One engine.io connection registered with the native fan-out.
 * @typedef {object} ConnectionEntry
 * @property {number} id the fan-out's connection id
 * @property {any} conn the engine.io Socket
 * @property {any} transport the websocket transport it was registered with
 * @property {any} raw the net.Socket under it
 * @property {number} rawPending raw writes of ours (remainders, empty probes) not yet called back
 * @property {() => void} onPacketCreate
 * @property {() => void} onReady
 * @property {() => void} onPing
 * @property {() => void} onGone
 * @property {() => void} onRawWritten
 */

/**
 * The engine.io connections the native fan-out (`addon.fanout`) may write
 * to, shared by every namespace of the process, and the protocol that keeps
 * each connection's byte stream in order (docs/fanout.md):
 *
 *  - a connection is registered the first time a broadcast reaches it over a
 *    plain websocket (see descriptorOfEngineSocket), busy unless engine.io,
 *    ws and the net.Socket have nothing in flight;
 *  - engine.io's "packetCreate" (it is about to write something of its own)
 *    makes it busy, writing what the fan-out corked for it first;
 *  - a ws "ping" whose automatic pong is still in flight hands the corked
 *    frames back (they are written behind the pong) and makes it busy;
 *  - it becomes native again when everything drained: the transport's
 *    "ready", or the callback of our own raw writes, finds it idle;
 *  - it is unregistered when the net.Socket closes, the transport closes or
 *    errors, or engine.io moves the connection to another transport.
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
    /** Registrations per tick (lib/env.js); Infinity: no limit. */
    this.registrationBudget = settings.registrationBudget === 0 ? Infinity : settings.registrationBudget;
    /** Registrations left in this tick. */
    this.registrationsLeft = this.registrationBudget;
    /** Recipients left on the standard path for a tick because the budget was spent. */
    this.registrationsDeferred = 0;
    /** Whether a nextTick callback that starts the fan-out's next tick is queued. */
    this.tickQueued = false;
    /** @private */
    this.onTick = () => {
      this.tickQueued = false;
      this.registrationsLeft = this.registrationBudget;
      fanout.nextTick();
    };
    fanout.onRemainder((ids, buffers) => this.onRemainder(ids, buffers));
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
    if (conn == null || conn.readyState !== 'open') return -1;
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
    this.queueTick();
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
   * Called before each native broadcast and registration. socket.io's websocket transport is
   * not writable from a write until ws calls back, which Node does from the
   * nextTick queue when the kernel took the write whole; a volatile packet in
   * between is dropped. The fan-out mirrors that with ticks: the first
   * broadcast of a tick queues a nextTick callback that starts the next one,
   * so a volatile broadcast is dropped for a connection that had frames
   * corked in the same tick, and only then (docs/fanout.md, "volatile").
   * The same callback renews the registration budget.
   */
  queueTick() {
    if (this.tickQueued) return;
    this.tickQueued = true;
    process.nextTick(this.onTick);
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
    return {
      connections: this.byId.size,
      registered: this.registered,
      unregistered: this.unregistered,
      registrationsDeferred: this.registrationsDeferred,
      refused: { ...this.refused },
      descriptorReserve: typeof this.fanout.descriptorReserve === 'function' ? this.fanout.descriptorReserve() : null,
    };
  }

  /**
   * @private
   * @param {any} conn
   * @param {number} id the id register() returned for its descriptor
   * @returns {ConnectionEntry}
   */
  register(conn, id) {
    const fanout = this.fanout;
    const transport = conn.transport;
    const ws = transport.socket;
    const raw = ws._socket;
    /** @type {ConnectionEntry} */
    const entry = {
      id,
      conn,
      transport,
      raw,
      rawPending: 0,
      onPacketCreate: () => {
        const rest = fanout.setBusy(id, true);
        if (rest !== undefined) this.writeRaw(entry, rest);
      },
      onReady: () => this.settle(entry),
      onPing: () => {
        // ws wrote the pong before emitting "ping". Still in flight, it must
        // not be split by a native write: hand the corked frames back.
        if (isEngineSocketIdle(conn)) return;
        const rest = fanout.handBack(id);
        this.writeRaw(entry, rest !== undefined ? rest : EMPTY);
      },
      onGone: () => this.unregister(entry),
      onRawWritten: () => {
        entry.rawPending--;
        if (this.byId.get(id) === entry) this.settle(entry);
      },
    };
    this.byConn.set(conn, entry);
    this.byId.set(id, entry);
    this.registered++;
    conn.on('packetCreate', entry.onPacketCreate);
    transport.on('ready', entry.onReady);
    transport.once('close', entry.onGone);
    transport.once('error', entry.onGone);
    ws.on('ping', entry.onPing);
    raw.once('close', entry.onGone);
    // Nothing may be written around bytes already on their way (the upgrade
    // probe, a packet engine.io is sending).
    fanout.setBusy(id, true);
    this.settle(entry);
    debug('connection %d registered (engine.io %s)', id, conn.id);
    return entry;
  }

  /**
   * @private
   * @param {ConnectionEntry} entry
   */
  unregister(entry) {
    if (this.byId.get(entry.id) !== entry) return;
    this.byId.delete(entry.id);
    if (this.byConn.get(entry.conn) === entry) this.byConn.delete(entry.conn);
    this.unregistered++;
    entry.conn.off('packetCreate', entry.onPacketCreate);
    entry.transport.off('ready', entry.onReady);
    entry.transport.off('close', entry.onGone);
    entry.transport.off('error', entry.onGone);
    entry.transport.socket.off('ping', entry.onPing);
    entry.raw.off('close', entry.onGone);
    // Frames still corked are dropped: the connection is going away.
    this.fanout.unregister(entry.id);
    // Its duplicate is closed: a connection waiting for a descriptor may
    // find one now.
    this.short = null;
    debug('connection %d unregistered', entry.id);
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
    const last = parts.length - 1;
    if (last === 0) {
      raw.write(parts[0], entry.onRawWritten);
      return;
    }
    raw.cork();
    for (let i = 0; i < last; i++) raw.write(parts[i]);
    raw.write(parts[last], entry.onRawWritten);
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
      if (entry !== undefined) this.writeRaw(entry, buffers[i]);
    }
  }
}

module.exports = { ConnectionRegistry };
