'use strict';

/**
 * `adapter.rooms`, `adapter.sids` and their values against stock's Maps and
 * Sets: the same joins and leaves on socket.io-adapter's Adapter and on ours,
 * then every way code tells a Map or Set apart or reads one (instanceof,
 * util.types, Object.prototype.toString, constructor, util.inspect at every
 * depth, spread, Array.from, new Map/new Set, iterators, forEach, JSON,
 * loose deep equality) must give the same answer.
 */

const test = require('node:test');
const assert = require('node:assert');
const util = require('node:util');
const { makePair } = require('./support/adapter-pair');
const { runBoth, until } = require('./support/e2e');
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

/**
 * Everything observable about a Map of Sets through its public face and the
 * type checks code uses, as plain data (strings, booleans, arrays).
 *
 * @param {any} map adapter.rooms or adapter.sids
 * @returns {any}
 */
function observe(map) {
  const out = {
    instanceofMap: map instanceof Map,
    isMap: util.types.isMap(map),
    tag: Object.prototype.toString.call(map),
    ctor: map.constructor === Map,
    size: map.size,
    keysOwn: Object.keys(map),
    json: JSON.stringify(map),
    spread: JSON.stringify([...map].map(([k, v]) => [k, [...v]])),
    arrayFrom: JSON.stringify(Array.from(map, ([k, v]) => [k, Array.from(v)])),
    copied: JSON.stringify([...new Map(map)].map(([k, v]) => [k, [...new Set(v)]])),
    aliases: [map[Symbol.iterator] === map.entries, map.get('nobody')],
    keys: util.inspect(map.keys()),
    keysTag: Object.prototype.toString.call(map.keys()),
    values: util.inspect(map.values()),
    entries: util.inspect(map.entries()),
    forEach: [],
    inspect: [],
    sets: [],
  };
  map.forEach(function (v, k, m) {
    out.forEach.push([k, [...v], m === map, this]);
  }, 'this-arg');
  for (const opts of [{}, { depth: 0 }, { depth: 1 }, { colors: true }, { showHidden: true }, { breakLength: Infinity, compact: 1 }, { sorted: true }]) {
    out.inspect.push(util.inspect(map, opts));
    out.inspect.push(util.inspect({ a: { b: map } }, opts));
  }
  out.inspect.push(util.format('%o | %O | %s', map, map, map));
  for (const [k, set] of map) {
    const got = map.get(k);
    out.sets.push({
      key: k,
      has: map.has(k),
      instanceofSet: got instanceof Set,
      isSet: util.types.isSet(got),
      tag: Object.prototype.toString.call(got),
      ctor: got.constructor === Set,
      size: got.size,
      same: JSON.stringify([...got]) === JSON.stringify([...set]),
      spread: [...got],
      arrayFrom: Array.from(got),
      aliases: [got.keys === got.values, got[Symbol.iterator] === got.values, got.values.name, got.entries.name],
      keys: util.inspect(got.keys()),
      entries: util.inspect(got.entries()),
      valuesTag: Object.prototype.toString.call(got.values()),
      inspect: util.inspect(got),
      inspectDeep: util.inspect([[got]], { depth: 0 }),
      json: JSON.stringify(got),
      forEach: (() => { const r = []; got.forEach((v, v2, s) => r.push([v, v2, s === got])); return r; })(),
      hasEach: [...got].every((v) => got.has(v)),
    });
  }
  return out;
}

/**
 * Runs the same random joins and leaves (as socket.io makes them: own room
 * first, shared rooms, single leaves, leave-all) on stock and on ours.
 *
 * @param {number} seed
 * @param {number} steps
 */
function randomPair(seed, steps) {
  const rnd = prng(seed);
  const pair = makePair();
  const live = [];
  let next = 0;
  for (let i = 0; i < steps; i++) {
    const p = rnd();
    if (p < 0.3 || live.length === 0) {
      const id = `s${next++}`;
      live.push(id);
      for (const a of [pair.stock, pair.ours]) a.addAll(id, new Set([id]));
    } else if (p < 0.7) {
      const id = live[Math.floor(rnd() * live.length)];
      // Numbers and strings that look alike are distinct rooms, for both.
      const room = rnd() < 0.2 ? Math.floor(rnd() * 4) : `r${Math.floor(rnd() * 6)}`;
      for (const a of [pair.stock, pair.ours]) a.addAll(id, new Set([room, 'all']));
    } else if (p < 0.9) {
      const id = live[Math.floor(rnd() * live.length)];
      const room = `r${Math.floor(rnd() * 6)}`;
      for (const a of [pair.stock, pair.ours]) a.del(id, room);
    } else {
      const id = live.splice(Math.floor(rnd() * live.length), 1)[0];
      for (const a of [pair.stock, pair.ours]) a.delAll(id);
    }
  }
  return pair;
}

test('rooms and sids: real Maps of real Sets, read, printed and copied as stock\'s', () => {
  for (let seed = 1; seed <= 25; seed++) {
    const { stock, ours, events } = randomPair(seed, 10 + seed * 4);
    assert.deepStrictEqual(observe(ours.rooms), observe(stock.rooms), `rooms, seed ${seed}`);
    assert.deepStrictEqual(observe(ours.sids), observe(stock.sids), `sids, seed ${seed}`);
    assert.deepStrictEqual(events.ours, events.stock, `events, seed ${seed}`);
    // Loose deep equality reads through the public API, for a whole map and
    // for one entry (strict deep equality also compares prototypes: see the
    // README's "Guarantees and limits").
    assert.deepEqual(ours.rooms, stock.rooms);
    assert.deepEqual(ours.sids, stock.sids);
    assert.deepEqual(new Map(ours.rooms), stock.rooms);
    for (const [room, members] of stock.rooms) assert.deepStrictEqual(new Set(ours.rooms.get(room)), members);
  }
});

test('a socket\'s rooms: a plain Set with stock\'s contents', () => {
  const { stock, ours } = randomPair(7, 60);
  for (const [id] of stock.sids) {
    const a = ours.socketRooms(id);
    assert.strictEqual(Object.getPrototypeOf(a), Set.prototype);
    assert.deepStrictEqual(a, stock.socketRooms(id));
  }
  assert.strictEqual(ours.socketRooms('nobody'), stock.socketRooms('nobody'));
});

test('views are live: later joins and leaves show through a view taken before', () => {
  const { stock, ours } = makePair();
  for (const a of [stock, ours]) a.addAll('s1', new Set(['s1', 'x']));
  const got = { stock: [stock.rooms.get('x'), stock.sids.get('s1')], ours: [ours.rooms.get('x'), ours.sids.get('s1')] };
  for (const a of [stock, ours]) {
    a.addAll('s2', new Set(['s2', 'x']));
    a.addAll('s1', new Set(['y']));
  }
  for (const kind of ['stock', 'ours']) {
    const [room, rooms] = got[kind];
    assert.deepStrictEqual([room.size, [...room], room.has('s2')], [2, ['s1', 's2'], true], kind);
    assert.deepStrictEqual([rooms.size, [...rooms]], [3, ['s1', 'x', 'y']], kind);
  }
});

test('Set algebra of newer engines runs on the view\'s contents', { skip: typeof Set.prototype.union !== 'function' && 'this Node has no Set.prototype.union' }, () => {
  const { stock, ours } = randomPair(3, 40);
  const other = new Set(['s0', 's1', 's5']);
  for (const name of ['union', 'intersection', 'difference', 'symmetricDifference', 'isSubsetOf', 'isSupersetOf', 'isDisjointFrom']) {
    const a = ours.rooms.get('all');
    const b = stock.rooms.get('all');
    if (b === undefined) continue;
    assert.deepStrictEqual(a[name](other), b[name](other), name);
    assert.deepStrictEqual(other[name](a), other[name](b), `${name} (view as argument)`);
  }
});

test('writes through the views throw ERR_SOCKET_IO_NATIVE_READ_ONLY and change nothing', { skip: !nativeMode && 'stock adapter: plain, writable Maps' }, () => {
  const { ours } = makePair();
  ours.addAll('s1', new Set(['s1', 'a']));
  const before = util.inspect([ours.rooms, ours.sids]);
  const ro = { code: 'ERR_SOCKET_IO_NATIVE_READ_ONLY', name: 'TypeError' };
  const writes = [
    () => ours.rooms.set('b', new Set()),
    () => ours.rooms.delete('a'),
    () => ours.rooms.clear(),
    () => ours.sids.set('s2', new Set()),
    () => ours.sids.delete('s1'),
    () => ours.sids.clear(),
    () => ours.rooms.get('a').add('s2'),
    () => ours.rooms.get('a').delete('s1'),
    () => ours.rooms.get('a').clear(),
    () => ours.sids.get('s1').add('b'),
    () => ours.sids.get('s1').delete('a'),
    () => ours.sids.get('s1').clear(),
  ];
  for (const write of writes) assert.throws(write, ro);
  assert.strictEqual(util.inspect([ours.rooms, ours.sids]), before);
});

test('what reads internal slots sees an empty Map or Set (documented limit)', { skip: !nativeMode && 'stock adapter: plain Maps' }, () => {
  const { ours } = makePair();
  ours.addAll('s1', new Set(['s1', 'a']));
  assert.strictEqual(ours.rooms.get('a').size, 1);
  assert.strictEqual(Map.prototype.get.call(ours.rooms, 'a'), undefined);
  assert.strictEqual(structuredClone(ours.rooms).size, 0);
  // The escape hatch the README gives: copy first.
  assert.deepStrictEqual(structuredClone(new Map([...ours.rooms].map(([k, v]) => [k, new Set(v)]))),
    new Map([['s1', new Set(['s1'])], ['a', new Set(['s1'])]]));
});

test('socket.io-adapter\'s _del() on ours leaves the room as del() does', () => {
  const { stock, ours, events } = makePair();
  for (const a of [stock, ours]) {
    a.addAll('s1', new Set(['s1', 'a', 'b']));
    a.addAll('s2', new Set(['s2', 'a']));
    // Stock's helper: removes the socket from the room's side only.
    a._del('a', 's1');
    a._del('b', 's1');
  }
  assert.deepStrictEqual(events.ours, events.stock);
  assert.deepStrictEqual([...ours.rooms.keys()], [...stock.rooms.keys()]);
  assert.deepStrictEqual([...ours.rooms.get('a')], [...stock.rooms.get('a')]);
});

test('a server that branches on Map/Set sends its clients what it sends them with stock', async () => {
  const { stock, ours } = await runBoth({}, async (ctx) => {
    const io = ctx.io;
    // A common way to send Maps and Sets as JSON: a replacer that turns
    // them into arrays, recognised with instanceof.
    const replacer = (k, v) => (v instanceof Map || v instanceof Set ? [...v] : v);
    const labelled = (text) => {
      for (const [id, label] of ctx.labels) text = text.split(id).join(label);
      return text;
    };
    io.on('connection', (socket) => {
      socket.join(['lobby', `team-${socket.handshake.auth.i % 2}`]);
      socket.on('census', () => {
        const { rooms, sids } = io.of('/').adapter;
        const lobby = rooms.get('lobby');
        socket.emit('census',
          labelled(JSON.stringify({ rooms, sids, lobby, mine: socket.rooms }, replacer)),
          labelled(util.inspect({ rooms, sids }, { breakLength: 100 })),
          lobby instanceof Set ? lobby.size : -1,
          Object.prototype.toString.call(sids),
          util.types.isMap(rooms) && util.types.isSet(socket.rooms));
      });
    });
    const cs = [];
    for (let i = 0; i < 3; i++) cs.push(await ctx.connected('/'));
    cs[1].disconnect();
    await until(() => io.of('/').sockets.size === 2, 'the second client left');
    cs[0].emit('census');
    await until(() => cs[0].received.length >= 1, 'census');
    await ctx.barrier([cs[0], cs[2]]);
    return ctx.got(cs[0]);
  });
  assert.deepStrictEqual(ours, stock);
  // The census holds the two remaining sockets, labelled, and no stray id.
  assert.match(stock[0][1], /"lobby",\["#0","#2"\]/);
  assert.strictEqual(stock[0][3], 2);
});
