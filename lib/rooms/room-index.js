'use strict';

/**
 * Interns socket ids and room names to dense integer ids and keeps the
 * membership itself in the native room registry. Only integers cross into
 * native code; the names live here, once.
 *
 * Room ids and socket ids are two separate dense spaces, both reused through
 * free lists. A room is found by name in one of two places, never both:
 *  - `roomIds`, a Map from name to room id, for ordinary rooms;
 *  - the slot `ownRoom[s]` of the live socket whose id equals the room name.
 *    socket.io puts every socket in a room named after its own id, so these
 *    rooms cost no Map entry at all: the name is the socket's own string and
 *    the id sits in a typed array. When a socket goes away while others are
 *    still in its room, that room moves over to `roomIds`.
 *
 * Rooms are also kept in a doubly linked list (two Int32Arrays) in creation
 * order, so iterating `adapter.rooms` yields rooms in the same order as the
 * Map of socket.io-adapter's in-memory adapter.
 */

const EMPTIED = 0x80000000;
const ROOM_MASK = 0x7fffffff;

/**
 * Returns a copy of `arr` (a typed array) with at least `min` elements,
 * new slots filled with `fill`. Tables grow by a quarter: they are sized by
 * the socket and room counts, and doubling would leave up to half unused.
 *
 * @param {Int32Array|Uint32Array} arr
 * @param {number} min
 * @param {number} fill
 * @returns {Int32Array|Uint32Array}
 */
function grow(arr, min, fill) {
  const len = Math.max(min, Math.ceil(arr.length * 1.25), 16);
  const next = new arr.constructor(len);
  if (fill !== 0) next.fill(fill);
  next.set(arr);
  return next;
}

/**
 * The interning tables of one adapter and its native registry (see the top
 * of this file).
 */
class RoomIndex {
  /**
   * @param {new () => any} Registry the native registry constructor
   */
  constructor(Registry) {
    this.registry = new Registry();

    /** @type {Map<any, number>} socket id -> s */
    this.socketIds = new Map();
    /**
     * s -> the socket id, replaced by the namespace's Socket object (whose
     * `id` it is) the first time socketAt() finds it in `nsp.sockets`;
     * undefined when s is free. socket.io removes a socket from
     * `nsp.sockets` only in Socket#_cleanup, right after leaveAll() (our
     * delAll, which frees the slot), so a Socket held here is never stale;
     * sockets not (yet) in `nsp.sockets`, such as a recovered socket joining
     * its rooms before it connects, stay as ids.
     * @type {any[]}
     */
    this.socketSlots = [];
    /** s -> room id of the room named after this socket, or -1 */
    this.ownRoom = new Int32Array(64).fill(-1);
    /**
     * s -> a number another component caches for the socket in slot s (the
     * native fan-out keeps its connection id + 1 here), 0 for every new
     * occupant. Keeping such caches in the slot, rather than next to a
     * reference to the Socket they were computed for, means nothing outside
     * `socketSlots` holds a Socket, and that one is cleared when it leaves.
     */
    this.slotTags = new Uint32Array(64);
    /** @type {number[]} */
    this.freeSockets = [];

    /** @type {Map<any, number>} room name -> r, for rooms not held by a socket slot */
    this.roomIds = new Map();
    /** @type {any[]} r -> room name (undefined when free) */
    this.roomNames = [];
    this.roomPrev = new Int32Array(64).fill(-1);
    this.roomNext = new Int32Array(64).fill(-1);
    this.roomHead = -1;
    this.roomTail = -1;
    this.roomCount = 0;
    /** @type {number[]} */
    this.freeRooms = [];
    /**
     * The socket whose delAll() events are running, and the rooms it had:
     * `sids` still shows it then, as stock does (see nativeRooms' delAll).
     * @type {{ id: any, rooms: any[] } | null}
     */
    this.departing = null;
    /** Counts join() calls, so releaseIfEmpty() can tell nothing rejoined. */
    this.joins = 0;

    // Scratch output for reads that are copied out before any user code runs.
    this.scratch = new Uint32Array(64);
    // Room and except arguments of recipients().
    this.roomArg = new Uint32Array(16);
    this.exceptArg = new Uint32Array(16);
    // Recipient buffers, one per nesting level: a write to one recipient can
    // run user code that broadcasts again while the outer loop still reads.
    /** @type {Uint32Array[]} */
    this.outPool = [];
    this.depth = 0;
  }

  /** @returns {number} the number of sockets */
  get socketCount() {
    return this.socketIds.size;
  }

  /**
   * @param {any} name a room name
   * @returns {number} its room id, or -1 when no such room exists
   */
  roomId(name) {
    const r = this.roomIds.get(name);
    if (r !== undefined) return r;
    const s = this.socketIds.get(name);
    return s === undefined ? -1 : this.ownRoom[s];
  }

  /**
   * @param {any} id a socket id
   * @returns {number} its socket int, or -1
   */
  socketInt(id) {
    const s = this.socketIds.get(id);
    return s === undefined ? -1 : s;
  }

  /**
   * Registers a socket that is not known yet.
   *
   * @param {any} id
   * @param {boolean} [joinsNow] true when a join() for it follows at once:
   *   the registry creates the socket on its first add(), which saves the
   *   addSocket() crossing
   * @returns {number} its socket int
   */
  addSocket(id, joinsNow = false) {
    let s;
    if (this.freeSockets.length > 0) {
      s = this.freeSockets.pop();
      this.socketSlots[s] = id;
    } else {
      s = this.socketSlots.length;
      this.socketSlots.push(id);
      if (s >= this.ownRoom.length) this.ownRoom = grow(this.ownRoom, s + 1, -1);
      if (s >= this.slotTags.length) this.slotTags = grow(this.slotTags, s + 1, 0);
    }
    this.socketIds.set(id, s);
    if (!joinsNow) this.registry.addSocket(s);
    return s;
  }

  /**
   * Adds socket `s` to the room `name`, creating the room when needed.
   *
   * @param {number} s
   * @param {any} name
   * @returns {number} registry flags: 1 = room created, 2 = newly joined
   */
  join(s, name) {
    let r = this.roomId(name);
    let created = 0;
    if (r < 0) {
      r = this.createRoom(name);
      created = 1;
    }
    this.joins++;
    // "Created" is decided here, not by the registry: a room that emptied and
    // is refilled by a "leave-room" listener was never deleted for stock.
    return (this.registry.add(s, r) & 2) | created;
  }

  /**
   * Removes socket `s` from room `r`. A room that empties stays known here
   * until releaseIfEmpty(), so that "leave-room" listeners still find it
   * (empty), as with stock.
   *
   * @param {number} s
   * @param {number} r
   * @returns {number} registry flags: 1 = left, 2 = room now empty
   */
  leave(s, r) {
    return this.registry.del(s, r);
  }

  /**
   * Forgets room `r`, named `name`, which emptied before the "leave-room"
   * listeners ran, unless those listeners joined it again or already
   * released it: stock deletes a room only if it is still empty after them.
   *
   * @param {number} r
   * @param {any} name
   * @param {number} joins the value of `this.joins` before the listeners ran
   * @returns {boolean} whether the room was released (emit "delete-room")
   */
  releaseIfEmpty(r, name, joins) {
    // Without a join in between, nothing can have refilled or released it.
    if (this.joins !== joins && (this.roomId(name) !== r || this.registry.roomSize(r) !== 0)) return false;
    this.freeRoom(r);
    return true;
  }

  /**
   * Removes a socket entirely. The rooms it emptied stay known until the
   * caller passes each to releaseIfEmpty().
   *
   * @param {any} id
   * @returns {any[] | null} [room, r, room, r, ...] in join order, where r is
   *   the room id when the room emptied and -1 otherwise; null when the
   *   socket is unknown
   */
  removeSocket(id) {
    const s = this.socketIds.get(id);
    if (s === undefined) return null;
    let n = this.registry.delAll(s, this.scratch);
    if (n < 0) {
      this.scratch = grow(this.scratch, -n, 0);
      n = this.registry.delAll(s, this.scratch);
    }
    const scratch = this.scratch;
    const result = new Array(n * 2);
    for (let i = 0; i < n; i++) {
      const v = scratch[i];
      const r = v & ROOM_MASK;
      result[2 * i] = this.roomNames[r];
      result[2 * i + 1] = v >= EMPTIED ? r : -1;
    }
    const own = this.ownRoom[s];
    if (own >= 0) {
      // The room named after this socket outlives its slot: others are still
      // in it, or it emptied and waits for releaseIfEmpty(). It now needs a
      // Map entry.
      this.ownRoom[s] = -1;
      this.roomIds.set(id, own);
    }
    this.socketIds.delete(id);
    // The slot lets go of the Socket and of what was cached for it.
    this.socketSlots[s] = undefined;
    this.slotTags[s] = 0;
    this.freeSockets.push(s);
    return result;
  }

  /**
   * @param {any} name
   * @returns {number} the new room's id
   */
  createRoom(name) {
    let r;
    if (this.freeRooms.length > 0) {
      r = this.freeRooms.pop();
      this.roomNames[r] = name;
    } else {
      r = this.roomNames.length;
      this.roomNames.push(name);
      if (r >= this.roomPrev.length) {
        this.roomPrev = grow(this.roomPrev, r + 1, -1);
        this.roomNext = grow(this.roomNext, r + 1, -1);
      }
    }
    const owner = this.socketIds.get(name);
    if (owner !== undefined) this.ownRoom[owner] = r;
    else this.roomIds.set(name, r);
    this.roomPrev[r] = this.roomTail;
    this.roomNext[r] = -1;
    if (this.roomTail >= 0) this.roomNext[this.roomTail] = r;
    else this.roomHead = r;
    this.roomTail = r;
    this.roomCount++;
    return r;
  }

  /**
   * Forgets an empty room (the registry already dropped it).
   *
   * @param {number} r
   */
  freeRoom(r) {
    const name = this.roomNames[r];
    const owner = this.socketIds.get(name);
    if (owner !== undefined && this.ownRoom[owner] === r) this.ownRoom[owner] = -1;
    else this.roomIds.delete(name);
    this.roomNames[r] = undefined;
    const prev = this.roomPrev[r];
    const next = this.roomNext[r];
    if (prev >= 0) this.roomNext[prev] = next;
    else this.roomHead = next;
    if (next >= 0) this.roomPrev[next] = prev;
    else this.roomTail = prev;
    this.roomCount--;
    this.freeRooms.push(r);
  }

  /**
   * Computes the recipients of a broadcast in one native call: the union of
   * `rooms` (all sockets when empty) minus the members of `except`, each
   * socket once, in stock order. The result is in `this.outPool[depth]`.
   * Callers bracket the call and their use of the result with enter()/exit().
   *
   * @param {Set<any> | undefined} rooms
   * @param {Set<any> | undefined} except
   * @param {number} depth from enter()
   * @returns {number} the number of recipients
   */
  recipients(rooms, except, depth) {
    let nRooms = 0;
    if (rooms !== undefined && rooms.size > 0) {
      if (rooms.size > this.roomArg.length) this.roomArg = grow(this.roomArg, rooms.size, 0);
      const arg = this.roomArg;
      for (const name of rooms) {
        const r = this.roomId(name);
        if (r >= 0) arg[nRooms++] = r;
      }
      // Rooms were named but none exists: nobody, not everybody.
      if (nRooms === 0) return 0;
    }
    let nExcept = 0;
    if (except !== undefined && except.size > 0) {
      if (except.size > this.exceptArg.length) this.exceptArg = grow(this.exceptArg, except.size, 0);
      const arg = this.exceptArg;
      for (const name of except) {
        const r = this.roomId(name);
        if (r >= 0) arg[nExcept++] = r;
      }
    }
    let out = this.outPool[depth];
    // Recipients never outnumber sockets, so sizing to the socket count
    // makes the first call the only one.
    if (out.length < this.socketIds.size) out = this.outPool[depth] = grow(out, this.socketIds.size, 0);
    let n = this.registry.recipients(this.roomArg, nRooms, this.exceptArg, nExcept, out);
    if (n < 0) {
      out = this.outPool[depth] = grow(out, -n, 0);
      n = this.registry.recipients(this.roomArg, nRooms, this.exceptArg, nExcept, out);
    }
    return n;
  }

  /**
   * The Socket object of socket int `s` in `sockets` (the namespace's Map),
   * or undefined when the namespace has no such socket, exactly as
   * `sockets.get(id)` would answer, but without a Map lookup once known.
   *
   * @param {number} s
   * @param {Map<any, any>} sockets
   * @returns {any}
   */
  socketAt(s, sockets) {
    const slot = this.socketSlots[s];
    if (typeof slot === 'object' && slot !== null) return slot;
    const socket = sockets.get(slot);
    if (socket !== undefined) this.socketSlots[s] = socket;
    return socket;
  }

  /**
   * @param {number} s
   * @returns {any} the socket id of socket int `s`
   */
  socketName(s) {
    const slot = this.socketSlots[s];
    return typeof slot === 'object' && slot !== null ? slot.id : slot;
  }

  /** @returns {number} the nesting depth to pass to recipients() */
  enter() {
    const depth = this.depth++;
    if (depth === this.outPool.length) this.outPool.push(new Uint32Array(Math.max(64, this.socketIds.size)));
    return depth;
  }

  /** Releases the recipient buffer taken by the matching enter(). */
  exit() {
    this.depth--;
  }

  // ---- reads for the views; each copies names out of the scratch buffer ----

  /**
   * @param {any} name
   * @returns {number | undefined}
   */
  roomSize(name) {
    const r = this.roomId(name);
    return r < 0 ? undefined : this.registry.roomSize(r);
  }

  /**
   * @param {any} name
   * @param {any} id
   * @returns {boolean}
   */
  roomHas(name, id) {
    const r = this.roomId(name);
    if (r < 0) return false;
    const s = this.socketIds.get(id);
    return s !== undefined && this.registry.has(r, s);
  }

  /**
   * @param {any} name
   * @returns {any[]} member socket ids in insertion order
   */
  roomMembers(name) {
    const r = this.roomId(name);
    if (r < 0) return [];
    let n = this.registry.members(r, this.scratch);
    if (n < 0) {
      this.scratch = grow(this.scratch, -n, 0);
      n = this.registry.members(r, this.scratch);
    }
    return this.socketNamesOf(n);
  }

  /** @returns {any[]} room names in creation order */
  roomList() {
    const names = new Array(this.roomCount);
    let i = 0;
    for (let r = this.roomHead; r >= 0; r = this.roomNext[r]) names[i++] = this.roomNames[r];
    return names;
  }

  /**
   * @param {any} id
   * @returns {number | undefined}
   */
  socketRoomCount(id) {
    const s = this.socketIds.get(id);
    return s === undefined ? undefined : this.registry.socketRoomCount(s);
  }

  /**
   * @param {any} id
   * @param {any} name
   * @returns {boolean}
   */
  socketHas(id, name) {
    return this.roomHas(name, id);
  }

  /**
   * @param {any} id
   * @returns {any[] | null} the socket's rooms in join order, null if unknown
   */
  socketRoomList(id) {
    const s = this.socketIds.get(id);
    if (s === undefined) return null;
    let n = this.registry.socketRooms(s, this.scratch);
    if (n < 0) {
      this.scratch = grow(this.scratch, -n, 0);
      n = this.registry.socketRooms(s, this.scratch);
    }
    return this.namesOf(this.roomNames, n);
  }

  /** @returns {any[]} socket ids in creation order */
  socketList() {
    if (this.scratch.length < this.socketIds.size) this.scratch = grow(this.scratch, this.socketIds.size, 0);
    let n = this.registry.sockets(this.scratch);
    if (n < 0) {
      this.scratch = grow(this.scratch, -n, 0);
      n = this.registry.sockets(this.scratch);
    }
    return this.socketNamesOf(n);
  }

  /**
   * @param {number} n
   * @returns {any[]} the socket ids of the first n socket ints in scratch
   */
  socketNamesOf(n) {
    const scratch = this.scratch;
    const names = new Array(n);
    for (let i = 0; i < n; i++) names[i] = this.socketName(scratch[i]);
    return names;
  }

  /**
   * @param {any[]} table
   * @param {number} n
   * @returns {any[]}
   */
  namesOf(table, n) {
    const scratch = this.scratch;
    const names = new Array(n);
    for (let i = 0; i < n; i++) names[i] = table[scratch[i]];
    return names;
  }

  /** @returns {number} bytes held by the native registry */
  nativeMemory() {
    return this.registry.memoryUsage();
  }
}

module.exports = { RoomIndex };
