'use strict';

/**
 * The whole cost, per incoming message, of turning a classic Redis adapter
 * broadcast (`notepack.encode([uid, packet, opts])`) into what the local
 * delivery needs: the encoded packet (text + attachments), the uid and
 * namespace to check, and the rooms / except sets.
 *
 *   js      notepack.decode, then the Encoder on the packet (what
 *           RedisAdapter#onmessage and Adapter#broadcast do), with this
 *           package's Encoder and with socket.io-parser's
 *   native  addon.codec.transcodeAdapterMessage from JS: the Buffer in, the
 *           string and the attachment views out, rooms sliced from the
 *           Buffer (lib/adapters/redis/classic-message.js), and the packet
 *           object with its lazily decoded `data` that accelerate()'s
 *           onmessage builds (lib/adapters/redis/classic-transcode.js)
 *
 * Both run alternately in one process; the figure is the median over the
 * rounds of the process's CPU time per message.
 *
 *   node bench/adapter-transcode.bench.js [--rounds 15] [--json]
 */

const notepack = require('notepack.io');
const { Encoder: StockEncoder } = require('socket.io-parser');
const { parseOptions, numberArg, commandLine } = require('./support/cli');
const { compareCpu } = require('./support/interleaved');

const USAGE = `
The cost per incoming classic Redis adapter message: notepack.decode + the
Encoder (JS) against the native transcoder called from JS.

  node bench/adapter-transcode.bench.js [--rounds 15] [--json]
`;
const { ROUNDS, JSON_OUT } = commandLine(USAGE, (argv) => {
  const { options } = parseOptions(argv, { flags: ['json'], values: ['rounds'] });
  return {
    ROUNDS: numberArg('--rounds', options.rounds ?? 15, { integer: true, min: 1 }),
    JSON_OUT: Boolean(options.json),
  };
});

const Encoder = require('../lib/parser/encoder');
const { transcodeClassicMessage, available } = require('../lib/adapters/redis/classic-message');
const { lazyPacket } = require('../lib/adapters/redis/classic-transcode');

if (!available) {
  console.error('native addon not loaded: the transcoder is native only');
  process.exit(1);
}

const ROUND_NS = 40e6;

/** A chat-like record of about 1 kB in msgpack. */
function record(i) {
  return {
    id: 100000 + i,
    user: { name: `user-${i}`, avatar: `https://example.org/a/${i}.png`, roles: ['member', 'writer'] },
    text: 'The quick brown fox jumps over the lazy dog. '.repeat(8),
    ts: 1733500000000 + i,
    score: 12.375 + i / 7,
    tags: ['alpha', 'beta', 'gamma', 'delta'],
    flags: { pinned: false, edited: true, deleted: false },
    reactions: [{ e: 'thumbs', n: 3 }, { e: 'heart', n: 1 }],
    geo: { lat: 48.8566 + i / 1e4, lon: 2.3522 - i / 1e4 },
    meta: { v: 2, source: 'web', locale: 'en-US', thread: null },
    extra: 'x'.repeat(300),
  };
}

const opts = { rooms: ['room-1'], except: [], flags: {} };
const message = (data, nsp = '/') => notepack.encode(['AbC123', { type: 2, data, nsp }, opts]);

const cases = {
  small: message(['message', { user: 'alice', text: 'hello there' }]),
  medium: message(['update', record(1)]),
  large: message(['bulk', Array.from({ length: 100 }, (_, i) => record(i))]),
  'small+bin': message(['file', { name: 'a.png' }, Buffer.alloc(32, 1)]),
  'medium+bin': message(['update', record(1), Buffer.alloc(1024, 2)]),
  'large+bin': message(['bulk', Array.from({ length: 50 }, (_, i) => record(i)), Buffer.alloc(50 * 1024, 3)]),
  'medium utf8': message(['update', { ...record(1), text: 'Größenordnung — 日本語のテキスト 😀 '.repeat(12) }]),
};

const ours = new Encoder();
const stock = new StockEncoder();
let sink = 0;

/** The adapter's JS path, up to what Adapter#broadcast hands to apply(). */
function jsPath(msg, encoder) {
  const [uid, packet, o] = notepack.decode(msg);
  if (uid === 'self') return;
  if (packet.nsp === undefined) packet.nsp = '/';
  if (packet.nsp !== '/') return;
  const rooms = new Set(o.rooms);
  const except = new Set(o.except);
  const encoded = encoder.encode(packet);
  sink += encoded.length + rooms.size + except.size + encoded[0].length;
}

function nativePath(msg) {
  const t = transcodeClassicMessage(msg);
  if (t === null || typeof t === 'string') throw new Error('the benchmark message was refused');
  if (t.uid === 'self' || t.nsp !== '/') return;
  const rooms = new Set(t.rooms);
  const except = new Set(t.except);
  const packet = lazyPacket(notepack, msg, t);
  sink += t.encodedPackets.length + rooms.size + except.size + t.encodedPackets[0].length + packet.type;
}

function compare(fns) {
  return compareCpu(fns, { rounds: ROUNDS, roundNs: ROUND_NS });
}

const fmt = (ns) => (ns >= 10000 ? `${(ns / 1000).toFixed(1)} us` : `${ns.toFixed(0)} ns`);
// Warm-up: every path on every message, so that the first case measured
// does not pay for the JIT's tiering of the shared code.
for (const msg of Object.values(cases)) {
  const end = process.hrtime.bigint() + 50_000_000n;
  while (process.hrtime.bigint() < end) {
    nativePath(msg);
    jsPath(msg, ours);
    jsPath(msg, stock);
  }
}

const rows = [];
for (const [name, msg] of Object.entries(cases)) {
  // Same output first: the comparison is only fair on equal work.
  const t = transcodeClassicMessage(msg);
  const [, packet] = notepack.decode(msg);
  if (t.encodedPackets[0] !== ours.encode(packet)[0]) throw new Error(`${name}: outputs differ`);
  const [nativeNs, oursNs, stockNs] = compare([() => nativePath(msg), () => jsPath(msg, ours), () => jsPath(msg, stock)]);
  rows.push({ name, bytes: msg.length, textChars: t.encodedPackets[0].length, nativeNs, jsNs: oursNs, stockJsNs: stockNs });
  const ratio = oursNs / nativeNs;
  console.log(`${name.padEnd(12)} ${String(msg.length).padStart(7)} B  native ${fmt(nativeNs).padStart(9)}  ` +
    `js ${fmt(oursNs).padStart(9)}  js(socket.io-parser) ${fmt(stockNs).padStart(9)}  ` +
    `${ratio >= 1 ? `native ${ratio.toFixed(2)}x faster` : `js ${(1 / ratio).toFixed(2)}x faster`}`);
}
if (JSON_OUT) console.log(JSON.stringify({ rounds: ROUNDS, node: process.version, rows }, null, 2));
if (sink === 0.5) console.log(sink);
