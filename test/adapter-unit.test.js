'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { Adapter, SessionAwareAdapter } = require('socket.io-adapter');
const { fakeSocket, makePair, snapshot, fakeNsp } = require('./support/adapter-pair');
const { createAdapter } = require('../lib/adapters/create-adapter');
const { NativeAdapter } = require('../lib/adapters/adapter');
const { MapView } = require('../lib/rooms/map-view');
const binding = require('../lib/binding');

const nativeMode = binding.native && binding.addon.registry != null;

/** A small deterministic PRNG (mulberry32), so failures replay. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('createAdapter picks the native adapter only when the registry is available', () => {
  const a = new (createAdapter())(fakeNsp());
  const b = new (createAdapter())(fakeNsp({ connectionStateRecovery: { maxDisconnectionDuration: 1000 } }));
  if (nativeMode) {
    assert.ok(a instanceof NativeAdapter);
    assert.ok(b instanceof NativeAdapter);
    assert.ok(!(a instanceof SessionAwareAdapter));
    assert.strictEqual(typeof b.persistSession, 'function');
    assert.ok(b.sessions instanceof Map);
  } else {
    assert.strictEqual(a.constructor, Adapter);
    assert.strictEqual(b.constructor, SessionAwareAdapter);
  }
  assert.ok(a instanceof Adapter);
});

test('createAdapter rejects non-object options with a code', () => {
  assert.throws(() => createAdapter(42), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('numeric room names are distinct from their string forms', () => {
  const { stock, ours, events } = makePair();
  for (const a of [stock, ours]) {
    a.addAll('s1', new Set(['s1', 42]));
    a.addAll('s2', new Set(['42']));
  }
  assert.deepStrictEqual(snapshot(ours), snapshot(stock));
  assert.strictEqual(ours.rooms.has(42), true);
  assert.strictEqual(ours.rooms.get(42).size, 1);
  assert.strictEqual(ours.rooms.get('42').has('s2'), true);
  assert.strictEqual(ours.rooms.get(42).has('s2'), false);
  assert.deepStrictEqual([...ours.socketRooms('s1')], ['s1', 42]);
  assert.deepStrictEqual(events.ours, events.stock);
});

test('socketRooms returns a real Set, undefined for unknown sockets', () => {
  const { stock, ours } = makePair();
  for (const a of [stock, ours]) a.addAll('s1', new Set(['a', 'b']));
  assert.ok(ours.socketRooms('s1') instanceof Set);
  assert.deepStrictEqual(ours.socketRooms('s1'), stock.socketRooms('s1'));
  assert.strictEqual(ours.socketRooms('nope'), stock.socketRooms('nope'));
});

test('writes through rooms/sids views', { skip: !nativeMode && 'stock adapter: plain Maps' }, () => {
  const { ours } = makePair();
  ours.addAll('s1', new Set(['a']));
  const ro = { code: 'ERR_SOCKET_IO_NATIVE_READ_ONLY', name: 'TypeError' };
  assert.throws(() => ours.rooms.set('b', new Set()), ro);
  assert.throws(() => ours.rooms.delete('a'), ro);
  assert.throws(() => ours.rooms.clear(), ro);
  assert.throws(() => ours.rooms.get('a').add('s2'), ro);
  assert.throws(() => ours.rooms.get('a').delete('s1'), ro);
  assert.throws(() => ours.sids.get('s1').clear(), ro);
  assert.throws(() => ours.sids.delete('s1'), ro);
  assert.strictEqual(ours.rooms.get('a').size, 1);
});

test('a view of a deleted room stays empty after its id is reused', { skip: !nativeMode && 'stock adapter' }, () => {
  const { ours } = makePair();
  ours.addAll('s1', new Set(['a']));
  const view = ours.rooms.get('a');
  ours.del('s1', 'a');
  ours.addAll('s1', new Set(['b']));
  assert.strictEqual(view.size, 0);
  assert.deepStrictEqual([...view], []);
  assert.strictEqual(ours.rooms.get('b').size, 1);
});

test('a room named after a socket outlives that socket', () => {
  const { stock, ours, events } = makePair();
  for (const a of [stock, ours]) {
    a.addAll('s1', new Set(['s1']));
    a.addAll('s2', new Set(['s2', 's1']));
    a.delAll('s1');
    a.addAll('s3', new Set(['s1']));
  }
  assert.deepStrictEqual(snapshot(ours), snapshot(stock));
  for (const a of [stock, ours]) {
    a.addAll('s1', new Set(['s1', 'x']));
    a.del('s2', 's1');
  }
  assert.deepStrictEqual(snapshot(ours), snapshot(stock));
  assert.deepStrictEqual(events.ours, events.stock);
});

/**
 * Runs one randomized sequence on both adapters and compares after each step.
 *
 * @param {number} seed
 * @param {number} steps
 */
function randomized(seed, steps, reentrant = false) {
  const rnd = prng(seed);
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  const ids = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];
  const roomPool = ['a', 'b', 'c', 'd', 42, '42', 0, 's1', 's3', 's6'];
  const { stock, ours, events } = makePair();
  if (reentrant) {
    // Listeners that change membership from inside events, as apps may.
    for (const a of [stock, ours]) {
      a.on('leave-room', (room, id) => {
        if (room === 'c' && id === 's2') a.addAll('s7', new Set(['c']));
        if (room === 'a' && id === 's4') a.del('s5', 'a');
      });
      a.on('join-room', (room, id) => {
        if (room === 'd' && id === 's3') a.addAll('s6', new Set(['b']));
      });
    }
  }
  const logs = { stock: [], ours: [] };
  for (const [name, a] of [['stock', stock], ['ours', ours]]) {
    // Some ids are joined in the adapter without a connected socket.
    for (const id of ids.slice(0, 6)) a.nsp.sockets.set(id, fakeSocket(id, logs[name]));
  }
  for (let step = 0; step < steps; step++) {
    const op = rnd();
    const id = pick(ids);
    const ctx = `seed ${seed} step ${step}`;
    if (op < 0.4) {
      const rooms = new Set();
      const k = Math.floor(rnd() * 4);
      for (let i = 0; i < k; i++) rooms.add(rnd() < 0.3 ? id : pick(roomPool));
      stock.addAll(id, rooms);
      ours.addAll(id, rooms);
    } else if (op < 0.7) {
      const room = rnd() < 0.2 ? id : pick(roomPool);
      stock.del(id, room);
      ours.del(id, room);
    } else if (op < 0.8) {
      stock.delAll(id);
      ours.delAll(id);
    } else {
      const rooms = new Set();
      const except = new Set();
      const k = Math.floor(rnd() * 3);
      for (let i = 0; i < k; i++) rooms.add(rnd() < 0.3 ? pick(ids) : pick(roomPool));
      if (rnd() < 0.5) except.add(rnd() < 0.3 ? pick(ids) : pick(roomPool));
      const got = { stock: [], ours: [] };
      stock.apply({ rooms, except }, (s) => got.stock.push(s.id));
      ours.apply({ rooms, except }, (s) => got.ours.push(s.id));
      assert.deepStrictEqual(got.ours, got.stock, `${ctx} apply`);
      assert.deepStrictEqual([...ours.computeExceptSids(except)], [...stock.computeExceptSids(except)], `${ctx} except`);
      const packet = { type: 2, data: ['ev', step] };
      const opts = { rooms, except, flags: rnd() < 0.5 ? { volatile: true } : {} };
      stock.broadcast({ ...packet, data: [...packet.data] }, opts);
      ours.broadcast({ ...packet, data: [...packet.data] }, opts);
      let counts = [];
      stock.broadcastWithAck({ ...packet }, opts, (n) => counts.push(n), () => {});
      ours.broadcastWithAck({ ...packet }, opts, (n) => counts.push(n), () => {});
      assert.strictEqual(counts[0], counts[1], `${ctx} ack count`);
      assert.deepStrictEqual(logs.ours, logs.stock, `${ctx} writes`);
    }
    for (const name of [...roomPool, ...ids]) {
      assert.strictEqual(ours.rooms.has(name), stock.rooms.has(name), `${ctx} rooms.has(${name})`);
      assert.strictEqual(ours.rooms.get(name)?.size, stock.rooms.get(name)?.size, `${ctx} size ${name}`);
      assert.strictEqual(ours.rooms.get(name)?.has(id), stock.rooms.get(name)?.has(id), `${ctx} member ${name}`);
    }
    assert.strictEqual(ours.sids.has(id), stock.sids.has(id), `${ctx} sids.has`);
    assert.deepStrictEqual(snapshot(ours), snapshot(stock), `${ctx} snapshot`);
    assert.deepStrictEqual(events.ours, events.stock, `${ctx} events`);
  }
}

test('randomized operation sequences match the stock adapter', () => {
  for (let seed = 1; seed <= 40; seed++) randomized(seed, 300);
});

test('randomized sequences with listeners that join and leave from inside events', () => {
  for (let seed = 101; seed <= 130; seed++) randomized(seed, 300, true);
});

test('sockets() and fetchSockets() match the stock adapter', async () => {
  const { stock, ours } = makePair();
  for (const a of [stock, ours]) {
    for (const id of ['x', 'y', 'z']) a.nsp.sockets.set(id, fakeSocket(id, []));
    a.addAll('x', new Set(['x', 'r']));
    a.addAll('y', new Set(['y', 'r', 'q']));
    a.addAll('z', new Set(['z', 'q']));
    a.addAll('ghost', new Set(['r']));
  }
  assert.deepStrictEqual(await ours.sockets(new Set(['r', 'q'])), await stock.sockets(new Set(['r', 'q'])));
  assert.deepStrictEqual(await ours.sockets(new Set()), await stock.sockets(new Set()));
  const f = async (a) => (await a.fetchSockets({ rooms: new Set(['q']), except: new Set(['y']) })).map((s) => s.id);
  assert.deepStrictEqual(await f(ours), await f(stock));
  assert.strictEqual(await ours.serverCount(), 1);
});

test('a broadcast from inside a recipient write uses its own recipient buffer', () => {
  const { stock, ours } = makePair();
  const logs = { stock: [], ours: [] };
  for (const [name, a] of [['stock', stock], ['ours', ours]]) {
    for (const id of ['a', 'b', 'c']) {
      const s = fakeSocket(id, logs[name]);
      s.notifyOutgoingListeners = (packet) => {
        if (packet.data[0] === 'outer' && id === 'a') a.broadcast({ type: 2, data: ['inner'] }, { rooms: new Set(['only-c']), except: new Set() });
      };
      a.nsp.sockets.set(id, s);
      a.addAll(id, new Set([id, 'all']));
    }
    a.addAll('c', new Set(['only-c']));
    a.broadcast({ type: 2, data: ['outer'] }, { rooms: new Set(['all']), except: new Set() });
  }
  assert.deepStrictEqual(logs.ours.map((e) => e[1]), ['c', 'a', 'b', 'c']);
  assert.deepStrictEqual(logs.ours, logs.stock);
});

test('views print like stock Maps and Sets', { skip: !nativeMode && 'stock adapter' }, () => {
  const util = require('node:util');
  const { stock, ours } = makePair();
  for (const a of [stock, ours]) a.addAll('s1', new Set(['s1', 7]));
  assert.strictEqual(util.inspect(ours.rooms), util.inspect(stock.rooms));
  assert.strictEqual(util.inspect(ours.sids.get('s1')), util.inspect(stock.sids.get('s1')));
});

test('nativeRooms() under a cluster-style adapter: its super calls reach native rooms', { skip: !nativeMode && 'needs the registry' }, async () => {
  const { nativeRooms } = require('../lib/rooms/native-rooms');
  // What a cluster adapter does: publish, then run the local layer via super.
  class ClusterLike extends Adapter {
    constructor(nsp) {
      super(nsp);
      this.published = [];
    }
    broadcast(packet, opts) {
      this.published.push([...opts.rooms]);
      super.broadcast(packet, opts);
    }
    async fetchSockets(opts) {
      return super.fetchSockets(opts);
    }
  }
  const Ours = nativeRooms(ClusterLike);
  const logs = { stock: [], ours: [] };
  const out = {};
  for (const [name, C] of [['stock', ClusterLike], ['ours', Ours]]) {
    const a = new C(fakeNsp());
    for (const id of ['a', 'b', 'c']) {
      const socket = fakeSocket(id, logs[name]);
      socket.join = (rooms) => a.addAll(id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
      a.nsp.sockets.set(id, socket);
      a.addAll(id, new Set([id, id === 'c' ? 'y' : 'x']));
    }
    a.broadcast({ type: 2, data: ['hi'] }, { rooms: new Set(['x', 'y']), except: new Set(['b']) });
    a.addSockets({ rooms: new Set(['x']), except: new Set() }, ['z']);
    out[name] = {
      published: a.published,
      fetched: (await a.fetchSockets({ rooms: new Set(['z']), except: new Set() })).map((s) => s.id),
      rooms: snapshot(a),
    };
    if (name === 'ours') assert.ok(a.rooms instanceof MapView);
  }
  assert.deepStrictEqual(out.ours, out.stock);
  assert.deepStrictEqual(logs.ours, logs.stock);
});

test('socket lookups follow the socket lifecycle exactly like stock', () => {
  const { stock, ours } = makePair();
  const logs = { stock: [], ours: [] };
  const send = (a, tag) => a.broadcast({ type: 2, data: [tag] }, { rooms: new Set(['room']), except: new Set() });
  for (const [name, a] of [['stock', stock], ['ours', ours]]) {
    const log = logs[name];
    const first = fakeSocket('r1', log);
    const second = fakeSocket('r1', log);
    second.notifyOutgoingListeners = () => log.push(['second']);
    // A recovered socket joins its rooms before it is in nsp.sockets.
    a.addAll('r1', new Set(['r1', 'room']));
    send(a, 'before connect');
    a.nsp.sockets.set('r1', first);
    send(a, 'connected');
    // Socket#_cleanup: leaveAll(), then removal from the namespace.
    a.delAll('r1');
    a.nsp.sockets.delete('r1');
    send(a, 'gone');
    // Same id again (recovered session), a new Socket object.
    a.nsp.sockets.set('r1', second);
    a.addAll('r1', new Set(['r1', 'room']));
    send(a, 'back');
    // leaveAll() while still connected, then joining again.
    a.delAll('r1');
    send(a, 'left');
    a.addAll('r1', new Set(['room']));
    send(a, 'rejoined');
  }
  assert.deepStrictEqual(logs.ours.map((e) => e.slice(0, 2)), logs.stock.map((e) => e.slice(0, 2)));
  assert.deepStrictEqual(logs.ours.filter((e) => e[0] === 'write').map((e) => e[2][0]), ['2["connected"]', '2["back"]', '2["rejoined"]']);
  assert.deepStrictEqual(logs.ours, logs.stock);
});

test('NativeAdapter without the registry throws a coded error', { skip: nativeMode && 'the registry is loaded' }, () => {
  assert.throws(() => new NativeAdapter(fakeNsp()), { code: 'ERR_SOCKET_IO_NATIVE_UNAVAILABLE' });
});

test('leave-room listeners see what stock shows them, and may refill the room', () => {
  const { stock, ours } = makePair();
  const seen = { stock: [], ours: [] };
  for (const [name, a] of [['stock', stock], ['ours', ours]]) {
    const log = seen[name];
    a.on('leave-room', (room, id) => {
      log.push(['leave', room, id, a.rooms.has(room), a.rooms.get(room)?.size]);
      // Refill "keep" when its last member leaves; "bounce" is joined and left again.
      if (room === 'keep' && id === 's1') a.addAll('s9', new Set(['keep']));
      if (room === 'bounce' && id === 's1') {
        a.addAll('s8', new Set(['bounce']));
        a.del('s8', 'bounce');
      }
    });
    a.on('delete-room', (room) => log.push(['delete', room, a.rooms.has(room)]));
    a.on('create-room', (room) => log.push(['create', room]));
    a.addAll('s1', new Set(['s1', 'keep', 'bounce', 'gone']));
    a.addAll('s2', new Set(['gone', 's1']));
    a.del('s1', 'keep');
    a.del('s1', 'bounce');
    a.del('s2', 'gone');
    a.delAll('s1');
    a.delAll('s2');
    log.push(snapshot(a));
  }
  assert.deepStrictEqual(seen.ours, seen.stock);
});

test('during the events of delAll() sids and socketRooms() still show the departing socket, as stock', () => {
  const { stock, ours } = makePair();
  const seen = { stock: [], ours: [] };
  for (const [name, a] of [['stock', stock], ['ours', ours]]) {
    const log = seen[name];
    const look = (event, room, id) => log.push([event, room, id, a.sids.has(id), a.sids.size,
      a.sids.get(id) && [...a.sids.get(id)], a.socketRooms(id) && [...a.socketRooms(id)],
      a.sids.has('other'), a.sids.get('other') && [...a.sids.get('other')]]);
    a.on('leave-room', (room, id) => look('leave', room, id));
    // What the sharded Redis adapter asks to tell a socket's own room from a public one.
    a.on('delete-room', (room) => look('delete', room, room));
    a.addAll('s1', new Set(['s1', 'x', 'y']));
    a.addAll('other', new Set(['other', 'x']));
    a.delAll('s1');
    log.push(['after', a.sids.has('s1'), a.sids.size, a.socketRooms('s1'), a.sids.get('s1')]);
    a.delAll('other');
    log.push(snapshot(a));
  }
  assert.deepStrictEqual(seen.ours, seen.stock);
  assert.deepStrictEqual(seen.stock[0], ['leave', 's1', 's1', true, 2, ['s1', 'x', 'y'], ['s1', 'x', 'y'], true, ['other', 'x']]);
});
