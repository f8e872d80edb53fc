'use strict';

// The native room registry through its binding, against the bookkeeping of
// socket.io-adapter's in-memory Adapter, alternately in one process.
//
// This measures the binding alone: the native side takes integer ids, so the
// string -> id interning that NativeAdapter adds on top is not included here
// (the adapter's own bench measures the whole path). Run with --expose-gc for
// the memory figures: node --expose-gc bench/registry.bench.js

const { parseOptions, commandLine } = require('./support/cli');

commandLine(`
The native room registry through its binding against socket.io-adapter's
in-memory bookkeeping, alternately in one process (CPU time; memory figures
with --expose-gc).

  node --expose-gc bench/registry.bench.js
`, (argv) => parseOptions(argv, {}));

const { Adapter } = require('socket.io-adapter');
const { addon, native } = require('../lib/binding');

if (!native) {
  console.log('native addon not loaded; nothing to compare');
  process.exit(0);
}
const { Registry } = addon.registry;

function nsp() {
  const sockets = new Map();
  return { name: '/', server: { encoder: null }, sockets };
}

// CPU time rather than wall time: the figures should not depend on what else
// the machine runs. Each measured loop lasts milliseconds, well above the
// microsecond resolution.
function time(fn, ops) {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / ops;
}

function best(rounds, fn) {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) min = Math.min(min, fn());
  return min;
}

function row(name, stockNs, nativeNs, unit = 'ns/op') {
  console.log(`${name.padEnd(44)} stock ${stockNs.toFixed(1).padStart(10)} ${unit}` +
    `   native ${nativeNs.toFixed(1).padStart(9)} ${unit}   x${(stockNs / nativeNs).toFixed(1)}`);
}

// Join then leave a shared room, for sockets in their own room and two
// shared rooms (10k sockets, 100 shared rooms).
function churn() {
  const N = 10000;
  const OPS = 200000;
  const stock = new Adapter(nsp());
  const reg = new Registry();
  const sid = (i) => `sid-${i}`;
  for (let s = 0; s < N; s++) {
    stock.addAll(sid(s), new Set([sid(s), `room-${s % 100}`, `room-${(s * 7) % 100}`]));
    reg.add(s, s);
    reg.add(s, N + (s % 100));
    reg.add(s, N + ((s * 7) % 100));
  }
  const picks = Array.from({ length: OPS }, (_, i) => (i * 7919) % N);
  const roomNames = Array.from({ length: 100 }, (_, k) => `room-${k}`);
  const sids = Array.from({ length: N }, (_, s) => sid(s));
  const s1 = best(5, () => time(() => {
    for (let i = 0; i < OPS; i++) {
      const s = picks[i];
      const room = roomNames[(i >> 3) % 100];
      stock.addAll(sids[s], new Set([room]));
      stock.del(sids[s], room);
    }
  }, 2 * OPS));
  const n1 = best(5, () => time(() => {
    for (let i = 0; i < OPS; i++) {
      const s = picks[i];
      const room = N + ((i >> 3) % 100);
      reg.add(s, room);
      reg.del(s, room);
    }
  }, 2 * OPS));
  row('join/leave churn (add + del)', s1, n1);
}

function recipients() {
  const S = 50000;
  const M = 10000;
  const ns = nsp();
  const stock = new Adapter(ns);
  const reg = new Registry();
  let seed = 1;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let s = 0; s < S; s++) {
    const id = `sid-${s}`;
    ns.sockets.set(id, { id });
    stock.addAll(id, new Set([id]));
    reg.add(s, s);
  }
  for (let k = 0; k < 11; k++) {
    const pool = Array.from({ length: S }, (_, i) => i);
    for (let i = 0; i < M; i++) {
      const j = i + rand(S - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
      stock.addAll(`sid-${pool[i]}`, new Set([`room-${k}`]));
      reg.add(pool[i], S + k);
    }
  }
  const out = new Uint32Array(S);
  const none = new Uint32Array(0);
  let sink = 0;

  const one = new Set(['room-0']);
  const oneIds = new Uint32Array([S]);
  const s1 = best(5, () => time(() => {
    for (let i = 0; i < 100; i++) stock.apply({ rooms: one, except: new Set() }, () => sink++);
  }, 100));
  const n1 = best(5, () => time(() => {
    for (let i = 0; i < 100; i++) sink += reg.recipients(oneIds, 1, none, 0, out);
  }, 100));
  row('recipients of one 10k room', s1 / 1000, n1 / 1000, 'us/call');

  const ten = new Set(Array.from({ length: 10 }, (_, k) => `room-${k}`));
  const tenIds = Uint32Array.from({ length: 10 }, (_, k) => S + k);
  const exc = new Set(['room-10']);
  const excIds = new Uint32Array([S + 10]);
  const s2 = best(5, () => time(() => {
    for (let i = 0; i < 10; i++) stock.apply({ rooms: ten, except: exc }, () => sink++);
  }, 10));
  const n2 = best(5, () => time(() => {
    for (let i = 0; i < 10; i++) sink += reg.recipients(tenIds, 10, excIds, 1, out);
  }, 10));
  row('union of 10 x 10k rooms minus a 10k room', s2 / 1000, n2 / 1000, 'us/call');
  return sink;
}

function memory() {
  if (typeof global.gc !== 'function') {
    console.log('memory: run with --expose-gc');
    return;
  }
  const S = 100000;
  const heap = () => {
    global.gc();
    global.gc();
    return process.memoryUsage().heapUsed;
  };
  // Names live outside both measurements: they exist in any server.
  const sids = Array.from({ length: S }, (_, s) => `sid-${String(s).padStart(14, '0')}`);
  const rooms = Array.from({ length: 1000 }, (_, k) => `room-${k}`);
  const picks = (s) => [1, 2, 3, 4, 5].map((j) => (s * 37 + j * 211) % 1000);

  let before = heap();
  const stock = new Adapter(nsp());
  for (let s = 0; s < S; s++) {
    stock.addAll(sids[s], new Set([sids[s], ...picks(s).map((k) => rooms[k])]));
  }
  const stockBytes = heap() - before;

  before = heap();
  const reg = new Registry();
  for (let s = 0; s < S; s++) {
    reg.add(s, s);
    for (const k of picks(s)) reg.add(s, S + k);
  }
  const jsBytes = heap() - before;
  const nativeBytes = reg.memoryUsage();
  const m = S * 6;
  console.log(`memory, 100k sockets x (own room + 5 of 1,000 rooms): stock ${(stockBytes / m).toFixed(1)} B/membership` +
    ` (${(stockBytes / S).toFixed(0)} B/socket), native ${((nativeBytes + jsBytes) / m).toFixed(1)} B/membership` +
    ` (${(nativeBytes / S).toFixed(0)} B/socket native + ${Math.round(jsBytes / S)} B/socket JS heap)` +
    `, x${(stockBytes / (nativeBytes + jsBytes)).toFixed(1)} less`);
  return [stock, reg];
}

console.log(`node ${process.version}, socket.io-adapter ${require('socket.io-adapter/package.json').version}`);
churn();
recipients();
memory();
