'use strict';

// The native room registry binding (addon.registry.Registry): its contract,
// its misuse errors, and a randomized comparison with socket.io-adapter's
// in-memory Adapter driven through the same operations on interned ids.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Adapter } = require('socket.io-adapter');
const { addon, native } = require('../lib/binding');

const skip = native ? false : 'native addon not loaded';
const Registry = native ? addon.registry.Registry : null;
const EMPTIED = 0x80000000;

/** Reads a listing with the growth protocol: n, or -(needed) to retry with. */
function list(fn) {
  let out = new Uint32Array(2);
  let n = fn(out);
  if (n < 0) {
    out = new Uint32Array(-n);
    n = fn(out);
  }
  return Array.from(out.subarray(0, n));
}

test('flags of add and del', { skip }, () => {
  const r = new Registry();
  assert.equal(r.add(1, 7), 3); // room created, socket joined
  assert.equal(r.add(2, 7), 2);
  assert.equal(r.add(1, 7), 0);
  assert.equal(r.del(1, 9), 0);
  assert.equal(r.del(1, 7), 1);
  assert.equal(r.del(2, 7), 3); // left, room now empty
  assert.equal(r.hasSocket(1), true); // like `sids`, until delAll
  assert.equal(r.roomCount(), 0);
  assert.equal(r.socketCount(), 2);
  assert.equal(r.addSocket(3), true);
  assert.equal(r.addSocket(3), false);
});

test('listings follow the growth protocol', { skip }, () => {
  const r = new Registry();
  for (let s = 0; s < 5; s++) r.add(s, 0);
  const small = new Uint32Array(2);
  assert.equal(r.members(0, small), -5);
  assert.equal(r.sockets(small), -5);
  assert.equal(r.recipients(new Uint32Array([0]), 1, new Uint32Array(0), 0, small), -5);
  assert.deepEqual(list((o) => r.members(0, o)), [0, 1, 2, 3, 4]);
  assert.deepEqual(list((o) => r.socketRooms(3, o)), [0]);
  assert.deepEqual(list((o) => r.sockets(o)), [0, 1, 2, 3, 4]);
});

test('delAll reports rooms in join order and refuses a small array', { skip }, () => {
  const r = new Registry();
  r.add(0, 10);
  r.add(0, 11);
  r.add(1, 11);
  const small = new Uint32Array(1);
  assert.equal(r.delAll(0, small), -2);
  assert.equal(r.socketRoomCount(0), 2);
  const out = new Uint32Array(4);
  assert.equal(r.delAll(0, out), 2);
  assert.deepEqual(Array.from(out.subarray(0, 2)), [(10 | EMPTIED) >>> 0, 11]);
  assert.equal(r.hasSocket(0), false);
  assert.equal(r.delAll(0, out), 0);
  assert.equal(r.removeSocket(1), true);
  assert.equal(r.removeSocket(1), false);
  assert.equal(r.roomCount(), 0);
});

test('recipients: union in room order minus except, or everyone', { skip }, () => {
  const r = new Registry();
  for (const s of [0, 1, 2, 3]) r.add(s, 0);
  for (const s of [3, 4, 1, 5]) r.add(s, 1);
  r.add(2, 2);
  const rooms = new Uint32Array([1, 0, 99]);
  const except = new Uint32Array([2, 0]);
  assert.deepEqual(list((o) => r.recipients(rooms, 3, except, 0, o)), [3, 4, 1, 5, 0, 2]);
  assert.deepEqual(list((o) => r.recipients(rooms, 3, except, 1, o)), [3, 4, 1, 5, 0]);
  assert.deepEqual(list((o) => r.recipients(rooms, 0, except, 1, o)), [0, 1, 3, 4, 5]);
});

test('misuse throws TypeError or RangeError with a code', { skip }, () => {
  const r = new Registry();
  const out = new Uint32Array(4);
  const range = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
  const type = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
  for (const id of [-1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53]) {
    assert.throws(() => r.add(id, 0), range);
    assert.throws(() => r.add(0, id), range);
    assert.throws(() => r.hasSocket(id), range);
  }
  for (const id of ['1', undefined, null, {}, 1n]) {
    assert.throws(() => r.add(id, 0), type);
    assert.throws(() => r.members(id, out), type);
  }
  assert.throws(() => r.add(), type);
  assert.throws(() => r.add(0), type);
  // Objects are refused without running their valueOf().
  const sneaky = { valueOf() { throw new Error('valueOf called'); } };
  assert.throws(() => r.add(sneaky, 0), type);
  assert.throws(() => r.has(0, sneaky), type);
  // -0 is the integer 0.
  assert.equal(r.add(-0, -0), 3);
  assert.equal(r.removeSocket(0), true);
  // Ids are dense: one far beyond those in use would only allocate memory.
  assert.throws(() => r.add(0, 2 ** 31 - 1), range);
  assert.throws(() => r.members(0, [1, 2]), type);
  assert.throws(() => r.members(0, new Int32Array(2)), type);
  assert.throws(() => r.recipients(new Uint32Array(1), 2, new Uint32Array(0), 0, out), range);
  const shared = new Uint32Array(8);
  assert.throws(() => r.recipients(shared, 1, new Uint32Array(0), 0, shared), type);
  assert.equal(r.socketCount(), 0);
  assert.ok(r.memoryUsage() > 0);
  // Methods called on anything but a Registry are refused by V8 itself.
  assert.throws(() => Registry.prototype.add.call({}, 0, 0), TypeError);
  assert.throws(() => Registry.prototype.sockets.call(Object.create(Registry.prototype), out),
    TypeError);
  assert.throws(() => Registry(), TypeError);
});

test('matches the in-memory Adapter on random operations', { skip }, () => {
  // A namespace stub with what Adapter reads: every socket id is connected.
  const nsp = { name: '/', server: { encoder: null }, sockets: { get: (id) => ({ id }) } };
  const stock = new Adapter(nsp);
  const events = [];
  for (const name of ['create-room', 'delete-room', 'join-room', 'leave-room']) {
    stock.on(name, (room, id) => events.push([name, room, id]));
  }
  const r = new Registry();
  const sid = (n) => `s${n}`;
  const room = (n) => `r${n}`;
  const ids = (names) => names.map((x) => Number(x.slice(1)));
  const stockRecipients = (rooms, except) => {
    const out = [];
    stock.apply({ rooms: new Set(rooms.map(room)), except: new Set(except.map(room)) },
      (socket) => out.push(socket.id));
    return ids(out);
  };

  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) {
    const s = rand(40);
    const k = rand(25);
    events.length = 0;
    switch (rand(6)) {
      case 0:
      case 1: {
        const flags = r.add(s, k);
        stock.addAll(sid(s), new Set([room(k)]));
        const names = events.map((e) => e[0]);
        assert.equal(flags & 1 ? 1 : 0, names.includes('create-room') ? 1 : 0);
        assert.equal(flags & 2 ? 1 : 0, names.includes('join-room') ? 1 : 0);
        break;
      }
      case 2: {
        const flags = r.del(s, k);
        stock.del(sid(s), room(k));
        const names = events.map((e) => e[0]);
        assert.equal(flags & 1 ? 1 : 0, names.includes('leave-room') ? 1 : 0);
        assert.equal(flags & 2 ? 1 : 0, names.includes('delete-room') ? 1 : 0);
        break;
      }
      case 3: {
        if (rand(3) !== 0) break;
        const got = list((o) => r.delAll(s, o));
        stock.delAll(sid(s));
        const expected = [];
        for (const [name, rm] of events) {
          if (name === 'leave-room') expected.push(Number(rm.slice(1)));
          if (name === 'delete-room') expected[expected.length - 1] = (expected.at(-1) | EMPTIED) >>> 0;
        }
        assert.deepEqual(got, expected);
        break;
      }
      default: {
        const rooms = Array.from({ length: rand(4) }, () => rand(25));
        const except = Array.from({ length: rand(2) }, () => rand(25));
        const got = list((o) => r.recipients(Uint32Array.from(rooms), rooms.length,
          Uint32Array.from(except), except.length, o));
        assert.deepEqual(got, stockRecipients(rooms, except));
      }
    }
    if (i % 500 === 0) {
      assert.deepEqual(list((o) => r.sockets(o)), ids([...stock.sids.keys()]));
      assert.equal(r.roomCount(), stock.rooms.size);
      for (const [name, members] of stock.rooms) {
        assert.deepEqual(list((o) => r.members(Number(name.slice(1)), o)), ids([...members]));
      }
      for (const [id, rooms] of stock.sids) {
        assert.deepEqual(list((o) => r.socketRooms(Number(id.slice(1)), o)), ids([...rooms]));
      }
    }
  }
});

test('instances are independent', { skip }, () => {
  const a = new Registry();
  const b = new Registry();
  a.add(0, 0);
  assert.equal(b.hasSocket(0), false);
  assert.equal(b.roomCount(), 0);
});

test('works in worker threads alongside the main thread', { skip }, async () => {
  const { Worker } = require('node:worker_threads');
  const main = new Registry();
  main.add(0, 0);
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { addon } = require(${JSON.stringify(require.resolve('../lib/binding'))});
    const r = new addon.registry.Registry();
    for (let s = 0; s < 100; s++) r.add(s, s % 3);
    parentPort.postMessage([r.socketCount(), r.roomCount()]);
  `;
  const result = await new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  assert.deepEqual(result, [100, 3]);
  assert.equal(main.socketCount(), 1);
});

test('totals() counts the live registries of this thread and their bytes; nativeMemory() reports them', { skip }, () => {
  const { nativeMemory } = require('../lib/index');
  const before = addon.registry.totals();
  const a = new Registry();
  const b = new Registry();
  for (let s = 0; s < 100; s++) a.add(s, s % 7);
  const during = addon.registry.totals();
  assert.equal(during.registries, before.registries + 2);
  assert.equal(during.bytes, before.bytes + a.memoryUsage() + b.memoryUsage());
  const m = nativeMemory();
  assert.equal(m.registries, during.registries);
  assert.equal(m.registryBytes, during.bytes);
  for (let s = 0; s < 100; s++) a.removeSocket(s);
  assert.ok(addon.registry.totals().bytes < during.bytes);
});
