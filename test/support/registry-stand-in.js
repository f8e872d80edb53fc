'use strict';

/**
 * A plain-JS implementation of the native room registry's contract, used by
 * the tests only while the addon of this checkout has no registry yet. The
 * package itself always uses the native one.
 */
class RegistryStandIn {
  constructor() {
    /** @type {Map<number, Set<number>>} s -> rooms in join order */
    this.s = new Map();
    /** @type {Map<number, Set<number>>} r -> members in insertion order */
    this.r = new Map();
  }

  addSocket(s) { if (!this.s.has(s)) this.s.set(s, new Set()); }

  add(s, r) {
    this.addSocket(s);
    let flags = 0;
    let room = this.r.get(r);
    if (!room) { room = new Set(); this.r.set(r, room); flags |= 1; }
    if (!room.has(s)) { room.add(s); this.s.get(s).add(r); flags |= 2; }
    return flags;
  }

  del(s, r) {
    const room = this.r.get(r);
    if (!room || !room.delete(s)) return 0;
    this.s.get(s).delete(r);
    if (room.size === 0) { this.r.delete(r); return 3; }
    return 1;
  }

  delAll(s, out) {
    const rooms = this.s.get(s);
    if (!rooms) return 0;
    if (out.length < rooms.size) return -rooms.size;
    let n = 0;
    for (const r of rooms) {
      const room = this.r.get(r);
      room.delete(s);
      let v = r;
      if (room.size === 0) { this.r.delete(r); v = (r | 0x80000000) >>> 0; }
      out[n++] = v;
    }
    this.s.delete(s);
    return n;
  }

  hasSocket(s) { return this.s.has(s); }
  has(r, s) { const room = this.r.get(r); return room !== undefined && room.has(s); }
  roomSize(r) { const room = this.r.get(r); return room ? room.size : 0; }
  socketRoomCount(s) { const rooms = this.s.get(s); return rooms ? rooms.size : 0; }

  _fill(values, out) {
    if (out.length < values.size) return -values.size;
    let n = 0;
    for (const v of values) out[n++] = v;
    return n;
  }

  members(r, out) { return this._fill(this.r.get(r) || new Set(), out); }
  socketRooms(s, out) { return this._fill(this.s.get(s) || new Set(), out); }
  sockets(out) { return this._fill(new Set(this.s.keys()), out); }

  recipients(rooms, nRooms, except, nExcept, out) {
    const ex = new Set();
    for (let i = 0; i < nExcept; i++) for (const s of this.r.get(except[i]) || []) ex.add(s);
    const res = new Set();
    if (nRooms === 0) {
      for (const s of this.s.keys()) if (!ex.has(s)) res.add(s);
    } else {
      for (let i = 0; i < nRooms; i++) for (const s of this.r.get(rooms[i]) || []) if (!ex.has(s)) res.add(s);
    }
    return this._fill(res, out);
  }

  memoryUsage() { return 0; }
  socketCount() { return this.s.size; }
  roomCount() { return this.r.size; }
}

/**
 * Installs the stand-in when the addon loaded but has no registry yet.
 *
 * @returns {boolean} whether the stand-in is in use
 */
function installIfMissing() {
  const binding = require('../../lib/binding');
  if (!binding.native || binding.addon.registry) return false;
  binding.addon.registry = { Registry: RegistryStandIn };
  process.emitWarning('tests use a JS stand-in for the native room registry (not built yet)');
  return true;
}

module.exports = { RegistryStandIn, installIfMissing };
