'use strict';

/**
 * What each addon.codec call costs from JS, next to the pure-JS way of doing
 * the same work, on socket.io-parser's benchmark payloads. Both sides run
 * alternately in one process; the figure is the median over the rounds of
 * the process's CPU time per call (user + system), which a busy shared
 * machine disturbs far less than wall time.
 *
 *   node bench/codec-binding.bench.js [--rounds 15]
 *
 * The numbers decide which path lib/parser/index.js takes (see bench/RESULTS.md).
 */

const os = require('os');
const { Encoder } = require('socket.io-parser');
const { parseOptions, numberArg, commandLine } = require('./support/cli');
const { compareCpu } = require('./support/interleaved');

const USAGE = `
What each addon.codec call costs from JS, next to the pure-JS way of doing
the same work (CPU time per call, medians over the rounds).

  node bench/codec-binding.bench.js [--rounds 15] [--json]
`;
const { ROUNDS, JSON_OUT } = commandLine(USAGE, (argv) => {
  const { options } = parseOptions(argv, { flags: ['json'], values: ['rounds'] });
  return {
    ROUNDS: numberArg('--rounds', options.rounds ?? 15, { integer: true, min: 1 }),
    JSON_OUT: Boolean(options.json),
  };
});

const binding = require('../lib/binding');

if (!binding.native) {
  console.error(`native addon not loaded: ${binding.reason}`);
  process.exit(1);
}
const codec = binding.addon.codec;
const ROUND_NS = 40e6;

// socket.io-parser's benchmark data.
const dataObject = {
  a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
  b: 'xxxyyyzzzalsdfalskdjfalksdjfalksdjfalksdjfjjfjfjfjjfjfjfj',
  data: { is: 'cool', or: { is: { it: true } } },
};
const bigArray = Array.from({ length: 250 }, () => dataObject);
const buffer = Buffer.alloc(1000, 7);
const encoder = new Encoder();
const encode = (packet) => encoder.encode(packet)[0];

const packets = {
  tiny: encode({ type: 2, nsp: '/', data: ['ping'] }),
  small: encode({ type: 2, nsp: '/', data: ['bench', dataObject] }),
  small_nsp_id: encode({ type: 2, nsp: '/chat', id: 12, data: ['bench', dataObject] }),
  '15kB': encode({ type: 2, nsp: '/', data: ['bench', bigArray.slice(0, 100)] }),
  x250: encode({ type: 2, nsp: '/', data: ['bench', bigArray] }),
  bin1k: encode({ type: 2, nsp: '/', data: ['bench', buffer] }),
  bin3_x250: encode({ type: 2, nsp: '/', data: ['bench', buffer, { list: bigArray, file: buffer }, [buffer]] }),
};

let sink = 0;

function compare(cases) {
  return compareCpu(cases.map(([, fn]) => fn), { rounds: ROUNDS, roundNs: ROUND_NS });
}

// --- Header parse -----------------------------------------------------------

const out = new Float64Array(7);

/**
 * A tight pure-JS header parse with charCodeAt, writing the same Float64Array
 * as parseHeader. It covers the shapes real clients send (digit type,
 * optional "<n>-", "/nsp,", digit ack id); the rare white-space quirks would
 * send a JS implementation to a slow path, which this benchmark never hits.
 */
function jsParseHeader(str, maxAttachments, o) {
  const length = str.length;
  let i = 0;
  const type = length === 0 ? 0 : str.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6)) return 1;
  o[0] = type;
  o[1] = -1;
  if (type === 5 || type === 6) {
    let n = 0;
    i = 1;
    let c;
    while (i < length && (c = str.charCodeAt(i)) >= 48 && c <= 57) {
      n = n * 10 + c - 48;
      i++;
    }
    if (i === 1 || i >= length || str.charCodeAt(i) !== 45 || n < 1) return 2;
    if (n > maxAttachments) return 3;
    o[1] = n;
  }
  o[2] = -1;
  o[3] = -1;
  if (str.charCodeAt(i + 1) === 47) {
    const start = i + 1;
    i = start + 1;
    while (i < length && str.charCodeAt(i) !== 44) i++;
    o[2] = start;
    o[3] = i;
  }
  o[4] = 0;
  let c = str.charCodeAt(i + 1);
  if (c >= 48 && c <= 57) {
    let id = 0;
    i++;
    while (i < length && (c = str.charCodeAt(i)) >= 48 && c <= 57) {
      id = id * 10 + c - 48;
      i++;
    }
    o[4] = 1;
    o[5] = id;
    i--;
  }
  o[6] = i + 1 < length ? i + 1 : length;
  return 0;
}

// --- Placeholder walk ----------------------------------------------------------

/** The recursive walk reconstructPacket does, collecting paths. */
function jsFindPlaceholders(value, path, found) {
  if (!value || typeof value !== 'object') return;
  if (value._placeholder === true) {
    found.push(path.slice());
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      jsFindPlaceholders(value[i], path, found);
      path.pop();
    }
  } else {
    for (const key in value) {
      if (Object.prototype.hasOwnProperty.call(value, key)) {
        path.push(key);
        jsFindPlaceholders(value[key], path, found);
        path.pop();
      }
    }
  }
}

/** Follows the binding's hints on the parsed value, as lib/parser/index.js must. */
function verify(root, paths) {
  let count = 0;
  for (const path of paths) {
    let value = root;
    for (let j = 0; j < path.length && value !== null && typeof value === 'object'; j++) {
      value = Object.prototype.hasOwnProperty.call(value, path[j]) ? value[path[j]] : undefined;
    }
    if (value !== null && typeof value === 'object' && value._placeholder === true) count++;
  }
  return count;
}

// --- Run ---------------------------------------------------------------------------

const fmt = (ns) => (ns >= 10000 ? `${(ns / 1000).toFixed(1)} us` : `${ns.toFixed(0)} ns`);
const rows = [];

function row(group, name, chars, nativeNs, jsNs, note = '') {
  rows.push({ group, name, chars, nativeNs, jsNs, note });
  const ratio = jsNs / nativeNs;
  console.log(`${group.padEnd(20)} ${name.padEnd(12)} ${String(chars).padStart(6)} chars  ` +
    `native ${fmt(nativeNs).padStart(9)}  js ${fmt(jsNs).padStart(9)}  ` +
    `${ratio >= 1 ? `native ${ratio.toFixed(2)}x faster` : `js ${(1 / ratio).toFixed(2)}x faster`}${note ? `  (${note})` : ''}`);
}

console.log(`node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, ${os.platform()} ${os.arch()}, ` +
  `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${ROUNDS} rounds\n`);

for (const name of ['tiny', 'small', 'small_nsp_id', '15kB', 'x250', 'bin1k']) {
  const str = packets[name];
  const [n, j] = compare([
    ['native', () => { sink += codec.parseHeader(str, 10, out); }],
    ['js', () => { sink += jsParseHeader(str, 10, out); }],
  ]);
  row('parseHeader', name, str.length, n, j);
}

for (const name of ['bin1k', 'bin3_x250']) {
  const str = packets[name];
  codec.parseHeader(str, 10, out);
  const begin = out[6];
  const payload = str.slice(begin);
  const parsed = JSON.parse(payload);
  // The scan alone against the walk alone (the object already parsed).
  const [scan, walk] = compare([
    ['native', () => { sink += codec.findPlaceholders(str, begin).length; }],
    ['js', () => { const f = []; jsFindPlaceholders(parsed, [], f); sink += f.length; }],
  ]);
  row('findPlaceholders', name, str.length, scan, walk, 'scan vs walk of the parsed value');
  // What a decoder pays in total: JSON.parse + scan + verify vs JSON.parse + walk.
  const [full, fullJs] = compare([
    ['native', () => { const v = JSON.parse(str.slice(begin)); sink += verify(v, codec.findPlaceholders(str, begin)); }],
    ['js', () => { const v = JSON.parse(str.slice(begin)); const f = []; jsFindPlaceholders(v, [], f); sink += f.length; }],
  ]);
  row('decode binary', name, str.length, full, fullJs, 'JSON.parse + scan + verify vs JSON.parse + walk');
}

const isValidEvent = (p) => Array.isArray(p) && (typeof p[0] === 'number' ||
  (typeof p[0] === 'string' && !['connect', 'connect_error', 'disconnect', 'disconnecting',
    'newListener', 'removeListener'].includes(p[0])));
for (const name of ['small', '15kB', 'x250']) {
  const str = packets[name];
  codec.parseHeader(str, 10, out);
  const begin = out[6];
  const [n, j] = compare([
    ['native', () => { sink += codec.validatePayload(str, begin, 2); }],
    ['js', () => { let v; try { v = JSON.parse(str.slice(begin)); } catch { v = false; } sink += isValidEvent(v) ? 1 : 0; }],
  ]);
  row('validatePayload', name, str.length, n, j, 'JS side builds the value too');
}

for (const [name, args] of [['event', [2, undefined, '/', undefined]], ['binary', [5, 3, '/chat', 12]]]) {
  const [n, j] = compare([
    ['native', () => { sink += codec.encodeHeader(...args).length; }],
    ['js', () => {
      let s = '' + args[0];
      if (args[0] === 5 || args[0] === 6) s += args[1] + '-';
      if (args[2] && args[2] !== '/') s += args[2] + ',';
      if (args[3] != null) s += args[3];
      sink += s.length;
    }],
  ]);
  row('encodeHeader', name, 0, n, j);
}

if (sink === 0.5) console.log(sink);
if (JSON_OUT) console.log(JSON.stringify(rows));
