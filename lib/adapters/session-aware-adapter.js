'use strict';

const debug = require('debug')('socket.io-native:adapter');
const { NativeAdapter } = require('./adapter');

/** How often expired sessions and packets are dropped, as in socket.io-adapter. */
const SWEEP_INTERVAL = 60 * 1000;

// Offsets only need to be unique strings within this process: a prefix for
// the process start and a counter.
const OFFSET_PREFIX = Date.now().toString(36) + '.';
let offsetSeq = 0;

/** @returns {string} a new packet offset */
function nextOffset() {
  offsetSeq++;
  return OFFSET_PREFIX + offsetSeq.toString(36);
}

/**
 * Whether a packet broadcast with `opts` should reach a session that was in
 * `sessionRooms`.
 *
 * @param {any[]} sessionRooms
 * @param {{ rooms: Set<any>, except: Set<any> }} opts
 * @returns {boolean}
 */
function reachesSession(sessionRooms, opts) {
  let included = opts.rooms.size === 0;
  for (const room of sessionRooms) {
    if (opts.except.has(room)) return false;
    if (!included && opts.rooms.has(room)) included = true;
  }
  return included;
}

/**
 * {@link NativeAdapter} with connection state recovery, behaving like
 * socket.io-adapter's SessionAwareAdapter: sessions of sockets that
 * disconnected for a recoverable reason are kept for
 * `connectionStateRecovery.maxDisconnectionDuration`, event packets without
 * an ack and not volatile are stored with an offset appended to their
 * arguments, and restoreSession() returns the session with the packets it
 * missed. createAdapter() picks this class when the server has
 * `connectionStateRecovery`.
 */
class NativeSessionAwareAdapter extends NativeAdapter {
  /**
   * @param {any} nsp the socket.io Namespace
   */
  constructor(nsp) {
    super(nsp);
    /** @type {Map<string, any>} pid -> persisted session */
    this.sessions = new Map();
    /** @type {{ id: string, opts: any, data: any[], emittedAt: number }[]} */
    this.packets = [];
    /** @type {number} */
    this.maxDisconnectionDuration = nsp.server.opts.connectionStateRecovery.maxDisconnectionDuration;
    const timer = setInterval(() => this._sweep(), SWEEP_INTERVAL);
    // The sweep must not keep the process alive.
    timer.unref();
  }

  /**
   * Drops expired sessions and packets.
   *
   * @private
   */
  _sweep() {
    const threshold = Date.now() - this.maxDisconnectionDuration;
    for (const [pid, session] of this.sessions) {
      if (session.disconnectedAt < threshold) this.sessions.delete(pid);
    }
    // Packets are in emission order: drop everything up to the newest expired one.
    for (let i = this.packets.length - 1; i >= 0; i--) {
      if (this.packets[i].emittedAt < threshold) {
        this.packets.splice(0, i + 1);
        break;
      }
    }
  }

  /**
   * Saves a client session so that it can be restored upon reconnection.
   *
   * @param {{ sid: string, pid: string, rooms: any[], data: any }} session
   */
  persistSession(session) {
    session.disconnectedAt = Date.now();
    this.sessions.set(session.pid, session);
  }

  /**
   * Restores a session and finds the packets the client missed since `offset`.
   *
   * @param {string} pid
   * @param {string} offset
   * @returns {Promise<any> | null} null when the session or the offset is unknown or expired
   */
  restoreSession(pid, offset) {
    const session = this.sessions.get(pid);
    if (!session) return null;
    if (session.disconnectedAt + this.maxDisconnectionDuration < Date.now()) {
      this.sessions.delete(pid);
      return null;
    }
    const index = this.packets.findIndex((packet) => packet.id === offset);
    if (index === -1) return null;
    const missedPackets = [];
    for (let i = index + 1; i < this.packets.length; i++) {
      const packet = this.packets[i];
      if (reachesSession(session.rooms, packet.opts)) missedPackets.push(packet.data);
    }
    // The private id (pid) is what a client presents to take the session
    // over, so it is never logged; the public socket id is.
    debug('session of socket %s restored with %d missed packets', session.sid, missedPackets.length);
    return Promise.resolve({ ...session, missedPackets });
  }

  /**
   * Broadcasts a packet, storing it for recovery when it is an event without
   * an acknowledgement and not volatile.
   *
   * @param {any} packet
   * @param {{ rooms: Set<any>, except: Set<any>, flags?: any }} opts
   */
  broadcast(packet, opts) {
    // Packets with an ack are not stored: the ack function could not be
    // restored on another server.
    if (packet.type === 2 && packet.id === undefined && (opts.flags === undefined || opts.flags.volatile === undefined)) {
      const id = nextOffset();
      // The offset goes last, so the client knows the last packet it processed.
      packet.data.push(id);
      this.packets.push({ id, opts, data: packet.data, emittedAt: Date.now() });
    }
    super.broadcast(packet, opts);
  }
}

module.exports = { NativeSessionAwareAdapter };
