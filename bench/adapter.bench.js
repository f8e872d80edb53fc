'use strict';

/**
 * socket.io-adapter's in-memory Adapter vs NativeAdapter, in one process,
 * alternating rounds, median per side, ratios printed.
 *
 *   npm run bench:adapter            (re-runs itself with --expose-gc)
 *   node --expose-gc bench/adapter.bench.js [--quick]
 *
 * Cases:
 *  - churn: adapter.addAll(id, new Set([room])) then adapter.del(id, room)
 *    (what socket.join / socket.leave call), ns per join or leave, on 10k
 *    sockets over 1k rooms and on 100k sockets already in 5 of 10k rooms;
 *  - memory: 100k sockets each in its own-id room, then in 5 of 1k shared
 *    rooms: JS heap (after gc) plus the registry's memoryUsage(), bytes per
 *    socket for the own-id rooms and per membership for the shared ones;
 *  - recipients: apply() with a no-op callback (the per-socket write of a
 *    broadcast replaced by nothing) for one room of 10k, and for the union of
 *    10 overlapping rooms of 10k minus 1 except room of 10k; also
 *    broadcast() with a no-op writeToEngine for the union case.
 */

const { spawnSync } = require('node:child_process');
const { parseOptions, commandLine } = require('./support/cli');

const USAGE = `
socket.io-adapter's in-memory Adapter against NativeAdapter (join/leave,
memory, broadcast recipients), alternately in one process.

  npm run bench:adapter
  node --expose-gc bench/adapter.bench.js [--quick]
`;
const { quick } = commandLine(USAGE, (argv) => ({ quick: Boolean(parseOptions(argv, { flags: ['quick'] }).options.quick) }));

if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status === null ? 1 : r.status);
}

const { Adapter } = require('socket.io-adapter');
const { Encoder } = require('socket.io-parser');
const binding = require('../lib/binding');

if (!binding.native || !binding.addon.registry) {
  console.error(`native room registry not available (${binding.reason || 'addon built without the registry'})`);
  process.exit(1);
}
const { NativeAdapter } = require('../lib/adapters/adapter');

const ROUNDS = quick ? 3 : 7;

function fakeNsp() {
  return { name: '/', server: { encoder: new Encoder(), opts: {} }, sockets: new Map(), _ids: 0 };
}

const noopClient = { writeToEngine() {} };
function fakeSocket(id) {
  return { id, acks: new Map(), client: noopClient };
}

/** @param {(new (nsp: any) => any)} Ctor */
function make(Ctor) {
  return new Ctor(fakeNsp());
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function ids(n, prefix) {
  const out = new Array(n);
  // 20 characters, like socket.io's ids.
  for (let i = 0; i < n; i++) out[i] = prefix + i.toString(36).padStart(15, '0') + 'AAAA';
  return out;
}

/**
 * Runs `setup(Ctor)` once per side, then `run(state)` alternately
 * ROUNDS times (a full gc before each timed run, so neither side pays for
 * the other's garbage); returns the median CPU ns per op of each side and
 * the ratio of the best rounds as a cross-check.
 */
function alternate(setup, run, opsPerRun) {
  // opsPerRun: a number, or a function of the adapter (sides may run
  // different repetition counts, so that each timed run lasts long enough).
  const opsOf = typeof opsPerRun === 'function' ? opsPerRun : () => opsPerRun;
  const sides = { stock: Adapter, native: NativeAdapter };
  const states = {};
  for (const [k, C] of Object.entries(sides)) states[k] = setup(C);
  const times = { stock: [], native: [] };
  // Warm up both sides once.
  for (const k of Object.keys(sides)) run(states[k]);
  for (let i = 0; i < ROUNDS; i++) {
    for (const k of Object.keys(sides)) {
      // Collect the other side's garbage outside the timed region.
      global.gc();
      const t0 = cpuNs();
      run(states[k]);
      times[k].push((cpuNs() - t0) / opsOf(states[k]));
    }
  }
  return {
    stock: median(times.stock),
    native: median(times.native),
    bestRatio: Math.min(...times.stock) / Math.min(...times.native),
  };
}

const rows = [];
function fmtB(x) {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/**
 * CPU time of this process in ns. The machine is shared (load averages above
 * the CPU count are common), and wall time would charge either side for
 * the time it spends descheduled.
 */
function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function row(name, unit, stock, native, better, medianRatio) {
  const ratio = better === 'text' ? NaN : better === 'lower' ? stock / native : native / stock;
  rows.push({ name, unit, stock, native, ratio, medianRatio });
}

// ---- churn ---------------------------------------------------------------
// Small: 10k sockets in their own rooms, joining and leaving 1k rooms.
// Large: 100k sockets, each in its own room and 5 of 10k rooms (~50 members
// each), joining and leaving one more of those rooms.
for (const [label, N, ROOMS, BASE, PASSES] of [
  ['10k sockets, 1k rooms', 10000, 1000, 0, quick ? 5 : 20],
  ['100k sockets x 5 of 10k rooms', quick ? 20000 : 100000, 10000, 5, quick ? 1 : 2],
]) {
  const sids = ids(N, 'c');
  const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
  const r = alternate((C) => {
    const a = make(C);
    for (let i = 0; i < N; i++) {
      const set = new Set([sids[i]]);
      for (let j = 0; j < BASE; j++) set.add(rooms[(i * 131 + j * 197) % ROOMS]);
      a.addAll(sids[i], set);
    }
    return a;
  }, (a) => {
    for (let p = 0; p < PASSES; p++) {
      for (let i = 0; i < N; i++) a.addAll(sids[i], new Set([rooms[(i * 7 + p) % ROOMS]]));
      for (let i = 0; i < N; i++) a.del(sids[i], rooms[(i * 7 + p) % ROOMS]);
    }
  }, PASSES * N * 2);
  row(`join/leave churn (${label})`, 'ns/op', r.stock, r.native, 'lower', r.bestRatio);
}

// ---- memory --------------------------------------------------------------
// "JS" is the V8 heap plus ArrayBuffer backing stores (the adapter's typed
// arrays live there, outside heapUsed); "native" is the registry's own count.
function jsBytes() {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
{
  const N = quick ? 20000 : 100000;
  const ROOMS = 1000;
  const PER = 5;
  const sids = ids(N, 'm');
  const roomNames = Array.from({ length: ROOMS }, (_, i) => `shared-room-${i}`);
  const samples = { stock: [], native: [] };
  const REPEAT = quick ? 1 : 3;
  for (let rep = 0; rep < REPEAT; rep++) {
    for (const [k, C] of [['stock', Adapter], ['native', NativeAdapter]]) {
      global.gc();
      global.gc();
      const h0 = jsBytes();
      let a = make(C);
      const n0 = k === 'native' ? a.nativeMemoryUsage() : 0;
      // The sockets alone (what addAll(id, empty set) registers), then their
      // own-id rooms, so the own-id room's share is visible on its own.
      const empty = new Set();
      for (let i = 0; i < N; i++) a.addAll(sids[i], empty);
      global.gc();
      global.gc();
      const hs = jsBytes();
      const ns = k === 'native' ? a.nativeMemoryUsage() : 0;
      for (let i = 0; i < N; i++) a.addAll(sids[i], new Set([sids[i]]));
      global.gc();
      global.gc();
      const h1 = jsBytes();
      const n1 = k === 'native' ? a.nativeMemoryUsage() : 0;
      for (let i = 0; i < N; i++) {
        const set = new Set();
        for (let j = 0; j < PER; j++) set.add(roomNames[(i * 131 + j * 197) % ROOMS]);
        a.addAll(sids[i], set);
      }
      global.gc();
      global.gc();
      const h2 = jsBytes();
      const n2 = k === 'native' ? a.nativeMemoryUsage() : 0;
      samples[k].push({
        sock: { js: (hs - h0) / N, native: (ns - n0) / N },
        ownOnly: { js: (h1 - hs) / N, native: (n1 - ns) / N },
        own: { js: (h1 - h0) / N, native: (n1 - n0) / N },
        member: { js: (h2 - h1) / (N * PER), native: (n2 - n1) / (N * PER) },
      });
      a = null;
    }
  }
  // The median sample by total bytes, per side.
  const pick = (list, part) => {
    const sorted = [...list].sort((x, y) => (x[part].js + x[part].native) - (y[part].js + y[part].native));
    return sorted[sorted.length >> 1][part];
  };
  const own = { stock: pick(samples.stock, 'own'), native: pick(samples.native, 'own') };
  const member = { stock: pick(samples.stock, 'member'), native: pick(samples.native, 'member') };
  const sock = { stock: pick(samples.stock, 'sock'), native: pick(samples.native, 'sock') };
  const ownOnly = { stock: pick(samples.stock, 'ownOnly'), native: pick(samples.native, 'ownOnly') };
  const total = (x) => x.js + x.native;
  row('socket entry without rooms, JS / native / total', 'B',
    `${fmtB(sock.stock.js)} / 0 / ${fmtB(total(sock.stock))}`,
    `${fmtB(sock.native.js)} / ${fmtB(sock.native.native)} / ${fmtB(total(sock.native))}`, 'text');
  row('its own-id room on top, JS / native / total', 'B',
    `${fmtB(ownOnly.stock.js)} / 0 / ${fmtB(total(ownOnly.stock))}`,
    `${fmtB(ownOnly.native.js)} / ${fmtB(ownOnly.native.native)} / ${fmtB(total(ownOnly.native))}`, 'text');
  row(`socket + own-id room, JS heap + ArrayBuffers (${N / 1000}k sockets)`, 'B', own.stock.js, own.native.js, 'lower');
  row('socket + own-id room, native', 'B', own.stock.native, own.native.native, 'lower');
  row('socket + own-id room, total', 'B', total(own.stock), total(own.native), 'lower');
  row(`membership (${PER} of 1k rooms per socket), JS heap + ArrayBuffers`, 'B', member.stock.js, member.native.js, 'lower');
  row('membership, native', 'B', member.stock.native, member.native.native, 'lower');
  row('membership, total', 'B', total(member.stock), total(member.native), 'lower');
}

// ---- recipients ----------------------------------------------------------
{
  const U = 50000;
  const sids = ids(U, 'r');
  const noop = () => {};
  const setup = (C) => {
    const a = make(C);
    for (const id of sids) {
      a.nsp.sockets.set(id, fakeSocket(id));
      a.addAll(id, new Set([id]));
    }
    // One room of 10k.
    for (let i = 0; i < 10000; i++) a.addAll(sids[i], new Set(['big']));
    // 10 overlapping rooms of 10k: room k holds sockets [4000k, 4000k + 10000).
    for (let k = 0; k < 10; k++) {
      for (let i = 0; i < 10000; i++) a.addAll(sids[(k * 4000 + i) % U], new Set([`u${k}`]));
    }
    // The except room: every 5th socket of the first 50k.
    for (let i = 0; i < U; i += 5) a.addAll(sids[i], new Set(['except']));
    return a;
  };
  const one = { rooms: new Set(['big']), except: new Set() };
  const union = { rooms: new Set(Array.from({ length: 10 }, (_, k) => `u${k}`)), except: new Set(['except']) };
  // Native runs are ~100x shorter: give them more repetitions so that each
  // timed run lasts tens of ms of CPU time on both sides.
  const STOCK_REPS = quick ? 5 : 20;
  const NATIVE_REPS = quick ? 100 : 400;
  const reps = (a) => (a instanceof NativeAdapter ? NATIVE_REPS : STOCK_REPS);
  let count = 0;
  const r1 = alternate(setup, (a) => { for (let i = reps(a); i > 0; i--) a.apply(one, noop); }, reps);
  row('recipients of 1 room of 10k (apply, no-op write)', 'us/op', r1.stock / 1000, r1.native / 1000, 'lower', r1.bestRatio);
  const r2 = alternate(setup, (a) => { for (let i = reps(a); i > 0; i--) a.apply(union, noop); }, reps);
  row('union of 10 rooms of 10k minus 1 except room (apply)', 'us/op', r2.stock / 1000, r2.native / 1000, 'lower', r2.bestRatio);
  // The room algebra alone. Stock: its apply() loop (union over the rooms'
  // Sets, except Set from computeExceptSids) without the per-socket
  // nsp.sockets lookup. Native: the one registry call into the Uint32Array.
  const algebra = (a) => {
    if (a instanceof NativeAdapter) {
      const index = a._index;
      const depth = index.enter();
      const n = index.recipients(union.rooms, union.except, depth);
      index.exit();
      return n;
    }
    const except = a.computeExceptSids(union.except);
    const seen = new Set();
    for (const room of union.rooms) {
      const members = a.rooms.get(room);
      if (members === undefined) continue;
      for (const id of members) if (!seen.has(id) && !except.has(id)) seen.add(id);
    }
    return seen.size;
  };
  const r4 = alternate(setup, (a) => { for (let i = reps(a); i > 0; i--) algebra(a); }, reps);
  row('same union, room algebra only (no socket lookup)', 'us/op', r4.stock / 1000, r4.native / 1000, 'lower', r4.bestRatio);
  const packet = () => ({ type: 2, data: ['ev', 'payload'] });
  const r3 = alternate(setup, (a) => { for (let i = reps(a); i > 0; i--) a.broadcast(packet(), union); }, reps);
  row('same union, broadcast() with no-op writeToEngine', 'us/op', r3.stock / 1000, r3.native / 1000, 'lower', r3.bestRatio);
  // How many recipients the union has (same on both sides).
  const a = setup(Adapter);
  a.apply(union, () => count++);
  if (algebra(a) !== count || algebra(setup(NativeAdapter)) !== count) throw new Error('recipient counts differ');
  rows.push({ note: `union recipients: ${count} (same on both sides)` });
}

// ---- report --------------------------------------------------------------
const fmt = (x) => (typeof x === 'string' ? x : fmtB(x));
const os = require('node:os');
console.log(`node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} CPUs, rounds ${ROUNDS}, load average ${os.loadavg()[0].toFixed(1)}`);
console.log('times: median CPU time of the rounds (last column: ratio of the best rounds); memory: median of 3 measurements after gc');
console.log('| case | unit | stock | native | stock/native | (best rounds) |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows) {
  if (r.note) continue;
  const ratio = Number.isFinite(r.ratio) && r.ratio !== 0 ? `${r.ratio.toFixed(2)}x` : 'n/a';
  const med = r.medianRatio === undefined ? '' : `${r.medianRatio.toFixed(2)}x`;
  console.log(`| ${r.name} | ${r.unit} | ${fmt(r.stock)} | ${fmt(r.native)} | ${ratio} | ${med} |`);
}
for (const r of rows) if (r.note) console.log(r.note);
