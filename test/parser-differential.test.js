'use strict';

// Randomized differential test: socket.io-native's parser against
// socket.io-parser on the same inputs. Every generated packet must encode to
// the same parts; decoding those parts, and mutated or truncated versions of
// them, must emit the same packets and throw the same errors, leaving both
// decoders in the same state.
//
// PARSER_SEED=<n> replays a run, PARSER_PACKETS=<n> changes its size.

const test = require('node:test');
const assert = require('node:assert');

const stock = require('socket.io-parser');
const ours = require('../lib/parser/parser-js');

const SEED = process.env.PARSER_SEED !== undefined
  ? Number(process.env.PARSER_SEED) >>> 0
  : (Math.random() * 2 ** 32) >>> 0;
const PACKETS = Number(process.env.PARSER_PACKETS || 100000);

// --- deterministic random source (mulberry32) -------------------------------

function makeRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rnd = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
  return rnd;
}

// --- value generators -------------------------------------------------------

const STRING_PIECES = [
  'a', 'bench', 'xyz', ' ', '0', '12', '-', ',', '/', '[', ']', '{', '}', ':', '"', '\\',
  '\n', '\r', '\t', '\b', '\f', '\u0000', '\u0001', '\u001f', '\u007f', '\u2028', '\u2029',
  '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', 'é', '日本', '\ufeff', '\u00a0',
  '_placeholder', '"_placeholder":true', '__proto__', 'num', 'ü',
];

function genString(rnd) {
  const n = rnd.int(5);
  let s = '';
  for (let i = 0; i < n; i++) {
    // Every control character (each has a JSON escape), or a known piece.
    s += rnd.chance(0.1) ? String.fromCharCode(rnd.int(32)) : rnd.pick(STRING_PIECES);
  }
  return s;
}

const NUMBERS = [
  0, -0, 1, -1, 7, 42, 255, 1e3, -1e3, 0.5, -0.25, 3.14159, 1e21, 1e-7, 2 ** 31, -(2 ** 31),
  2 ** 53, -(2 ** 53), 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.MIN_VALUE,
  Number.EPSILON, NaN, Infinity, -Infinity, 1.7976931348623157e308, 123456789012345680000,
];

function genNumber(rnd) {
  return rnd.chance(0.5) ? rnd.pick(NUMBERS) : (rnd.next() - 0.5) * 10 ** rnd.int(20);
}

const KEYS = [
  'a', 'b', 'data', 'bin', 'arr', 'x y', '', '0', '1', '10', '2', '__proto__', '_placeholder',
  'num', 'toJSON', 'constructor', 'hasOwnProperty', 'é', '日本', '\ud800', 'k"q', 'k\\', '\n',
];

function genBinary(rnd) {
  const size = rnd.pick([0, 1, 3, 8, 16, 33]);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = rnd.int(256);
  switch (rnd.int(8)) {
    case 0: return Buffer.from(bytes);
    case 1: return bytes.buffer;
    case 2: return bytes;
    case 3: return new Int16Array(bytes.buffer, 0, size >> 1);
    case 4: return new Float64Array(size >> 3);
    case 5: return new DataView(bytes.buffer);
    case 6: return Buffer.from(bytes).subarray(size >> 1);
    default: return new Blob([bytes]);
  }
}

class Point {
  constructor(x) { this.x = x; }
}
Point.prototype.inherited = 'not serialized';

function genSpecial(rnd, depth) {
  switch (rnd.int(12)) {
    case 0: return new Date(rnd.chance(0.9) ? rnd.int(2e12) : NaN);
    case 1: { // toJSON returning a value, possibly binary
      const inner = genValue(rnd, depth + 1);
      return { toJSON() { return inner; }, ignored: 1 };
    }
    case 2: return rnd.pick([new Number(rnd.int(9)), new String(genString(rnd)), new Boolean(rnd.chance(0.5))]);
    case 3: return new Map([[1, 2]]);
    case 4: return new Point(genValue(rnd, depth + 1));
    case 5: { const o = Object.create(null); o.k = genValue(rnd, depth + 1); return o; }
    case 6: { const a = [genValue(rnd, depth + 1)]; a.toJSON = () => 'array toJSON'; return a; }
    case 7: return undefined;
    case 8: return () => 'function';
    case 9: return Symbol('s');
    case 10: { // toJSON whose result has its own toJSON
      const inner = { toJSON: () => 'inner', v: genValue(rnd, depth + 1) };
      return { toJSON: () => inner };
    }
    default: return [, genValue(rnd, depth + 1), , ]; // eslint-disable-line no-sparse-arrays
  }
}

function setKey(obj, key, value) {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function genValue(rnd, depth, opts = {}) {
  const r = rnd.int(100);
  const deep = depth >= 4;
  if (r < 14) return genString(rnd);
  if (r < 26) return genNumber(rnd);
  if (r < 30) return rnd.pick([true, false, null]);
  if (r < 42 || (deep && r < 70)) return opts.binary === false ? genString(rnd) : genBinary(rnd);
  if (deep || r < 48) return rnd.pick(['leaf', 0, null, {}, []]);
  if (r < 66) {
    const n = rnd.int(5);
    const a = [];
    for (let i = 0; i < n; i++) a.push(genValue(rnd, depth + 1, opts));
    return a;
  }
  if (r < 90) {
    const o = {};
    const n = rnd.int(5);
    for (let i = 0; i < n; i++) setKey(o, rnd.pick(KEYS), genValue(rnd, depth + 1, opts));
    if (rnd.chance(0.04)) {
      // A placeholder-looking object in the data sent (the receiver must treat it as such).
      o._placeholder = true;
      o.num = rnd.int(3);
    }
    return o;
  }
  if (opts.special === false) return genString(rnd);
  return genSpecial(rnd, depth);
}

const NSPS = [undefined, '/', '/', '/chat', '/a/b', '/ü日本', '/with space', '/\ud83d\ude00', '', 'no-slash', '/q?x=1'];
const EVENT_NAMES = ['message', 'bench', 'error', 'ev', 0, 7, 'connect', 'disconnect', 'newListener', '', null, {}, []];

function genPacket(rnd) {
  const r = rnd.int(100);
  const type = r < 45 ? 2 : r < 65 ? 3 : r < 72 ? 0 : r < 77 ? 1 : r < 82 ? 4 : r < 85 ? 5 : r < 88 ? 6 : 2;
  const packet = { type };
  const nsp = rnd.pick(NSPS);
  if (nsp !== undefined || rnd.chance(0.5)) packet.nsp = nsp;
  if (type >= 2 && rnd.chance(0.4)) {
    packet.id = rnd.pick([0, 1, 9, 10, 12345, 2 ** 31, 2 ** 53 - 1, 2 ** 53, rnd.int(2 ** 30), rnd.int(1e6)]);
  }
  switch (type) {
    case 0:
      if (rnd.chance(0.6)) packet.data = { token: genString(rnd), n: genNumber(rnd) };
      break;
    case 1:
      break;
    case 4:
      packet.data = rnd.chance(0.5) ? genString(rnd) : { message: genString(rnd), data: genValue(rnd, 2) };
      break;
    default: {
      const args = [];
      const n = rnd.int(5);
      for (let i = 0; i < n; i++) args.push(genValue(rnd, 1));
      if (type === 2 || type === 5 || rnd.chance(0.1)) args.unshift(rnd.pick(EVENT_NAMES));
      packet.data = rnd.chance(0.97) ? args : genValue(rnd, 1);
    }
  }
  if (rnd.chance(0.01)) packet.extra = genBinary(rnd); // socket.io-parser checks every key
  if (rnd.chance(0.005)) { // and calls the packet's own toJSON to look for binary data
    const shown = rnd.chance(0.5) ? { data: [genBinary(rnd)] } : { data: packet.data };
    packet.toJSON = () => shown;
  }
  return packet;
}

// --- comparison -------------------------------------------------------------

function isBinaryLike(v) {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v) || v instanceof Blob ||
    (v !== null && typeof v === 'object' && typeof v.base64 === 'string' && Object.keys(v).length === 1);
}

/**
 * Deep comparison of decoded packets, by own properties. socket.io-parser
 * assigns `__proto__` keys while reconstructing a binary packet (a prototype
 * change), where we keep them as JSON.parse made them: an own property. Ours
 * must never have a prototype other than Object.prototype / Array.prototype.
 */
function sameDecoded(expected, actual, path = '$') {
  if (expected === actual) return null;
  if (typeof expected !== typeof actual) return `${path}: ${typeof expected} vs ${typeof actual}`;
  if (typeof expected === 'number') return Number.isNaN(expected) && Number.isNaN(actual) ? null : `${path}: ${expected} vs ${actual}`;
  if (typeof expected !== 'object' || expected === null || actual === null) return `${path}: ${String(expected)} vs ${String(actual)}`;
  if (isBinaryLike(expected) || isBinaryLike(actual)) return `${path}: different attachment`;
  if (Array.isArray(expected) !== Array.isArray(actual)) return `${path}: array vs object`;
  const proto = Object.getPrototypeOf(actual);
  if (proto !== Object.prototype && proto !== Array.prototype) return `${path}: prototype changed`;
  const ek = Object.keys(expected);
  const ak = Object.keys(actual);
  if (ek.length !== ak.length || ek.some((k, i) => k !== ak[i])) return `${path}: keys ${JSON.stringify(ek)} vs ${JSON.stringify(ak)}`;
  for (const k of ek) {
    const d = sameDecoded(expected[k], actual[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function describeError(err) {
  return { name: err && err.constructor ? err.constructor.name : typeof err, message: err && err.message };
}

/** Feeds parts to a decoder, recording what each add() did. */
function feed(decoder, parts) {
  const log = [];
  let emitted = [];
  decoder.on('decoded', (packet) => emitted.push(packet));
  for (const part of parts) {
    try {
      decoder.add(part);
      log.push({ ok: true, emitted });
    } catch (err) {
      log.push({ error: describeError(err), emitted });
    }
    emitted = [];
  }
  return log;
}

function compareFeeds(label, parts, decoderOpts) {
  const expected = feed(new stock.Decoder(decoderOpts), parts);
  const actual = feed(new ours.Decoder(decoderOpts), parts);
  for (let i = 0; i < parts.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e.error || a.error) {
      assert.deepStrictEqual(a.error, e.error, `${label}: part ${i} error (${show(parts[i])})`);
    }
    assert.strictEqual(a.emitted.length, e.emitted.length, `${label}: part ${i} emitted count (${show(parts[i])})`);
    for (let j = 0; j < e.emitted.length; j++) {
      const d = sameDecoded(e.emitted[j], a.emitted[j]);
      assert.strictEqual(d, null, `${label}: part ${i} packet differs: ${d} (${show(parts[0])})`);
    }
  }
  return expected;
}

function show(part) {
  if (typeof part === 'string') return JSON.stringify(part.length > 300 ? part.slice(0, 300) + '...' : part);
  return Object.prototype.toString.call(part);
}

function sameEncoding(packetFactory, replacer, label) {
  let expected;
  let expectedError = null;
  let actual;
  let actualError = null;
  try { expected = new stock.Encoder(replacer).encode(packetFactory()); } catch (err) { expectedError = describeError(err); }
  try { actual = new ours.Encoder(replacer).encode(packetFactory()); } catch (err) { actualError = describeError(err); }
  assert.deepStrictEqual(actualError, expectedError, `${label}: encode error`);
  if (expectedError) return null;
  assert.strictEqual(actual.length, expected.length, `${label}: number of parts`);
  assert.strictEqual(actual[0], expected[0], `${label}: encoded string`);
  for (let i = 1; i < expected.length; i++) {
    assert.ok(actual[i] === expected[i], `${label}: attachment ${i - 1} is not the same object`);
  }
  return expected;
}

// --- mutations --------------------------------------------------------------

const MUTATION_CHARS = ['0', '1', '2', '5', '6', '7', '9', '-', '/', ',', '[', ']', '{', '}', '"', ' ',
  '\u00a0', 'a', ':', '\\', 'e', '.', '\ufeff', '\ud800'];

function mutateString(rnd, s) {
  const r = rnd.int(10);
  if (s.length === 0) return rnd.pick(MUTATION_CHARS);
  const at = rnd.int(s.length + 1);
  switch (r) {
    case 0: return s.slice(0, rnd.int(s.length + 1)); // truncation
    case 1: return s.slice(0, at) + rnd.pick(MUTATION_CHARS) + s.slice(at + 1); // flip
    case 2: return s.slice(0, at) + rnd.pick(MUTATION_CHARS) + s.slice(at); // insertion
    case 3: return s.slice(0, at) + s.slice(at + 1); // deletion
    case 4: return rnd.pick(['0', '1', '2', '3', '4', '5', '6', '7', 'x', '']) + s.slice(1); // type
    case 5: { // attachments count
      const m = /^([56])([^-]*)-/.exec(s);
      const count = rnd.pick(['', '0', '1', '2', '3', '9', '10', '11', '1e1', '0x2', ' 2', '2 ', '-1', '1.5', 'Infinity', 'a']);
      return m ? m[1] + count + s.slice(m[0].length) : rnd.pick(['5', '6']) + count + '-' + s.slice(1);
    }
    case 6: // placeholder tampering
      return s.replace(/"num":(\d+)/g, () => `"num":${rnd.pick(['-1', '1.5', '"0"', '99', '3', 'null', '0', '1e0', '-0', '2'])}`)
        .replace(/"_placeholder":true/, rnd.pick(['"_placeholder":false', '"_placeholder":1', '"_placeholder":true', '"x":true']));
    case 7: { // namespace / id area
      const i = s.search(/[[{"]/);
      const head = i === -1 ? s : s.slice(0, i);
      const body = i === -1 ? '' : s.slice(i);
      return head + rnd.pick(['', ' ', '1', '12 3', '\u00a0', ',', '/x,', '99999999999999999999', '0', '\t']) + body;
    }
    case 8: return s + rnd.pick(['', ']', '}', ' ', '[]', ',', 'x']);
    default: return rnd.pick(['', ' ', '2', '2[]', '2[1]', '2["a"]', '2/x,1["a"]', '4"err"', '0{}', '1', '3[]',
      '51-["a",{"_placeholder":true,"num":0}]', '51-', '5-[]', '60-[]', '2 ["a"]', '2\n1["a"]', '0/a', '0/a,',
      '2["connect"]', '2["error"]', '2[0]', '2[null]', '1{}', '4[]', '0[]', '2/\u00e9,["x"]']);
  }
}

const ODD_PARTS = [null, undefined, 42, {}, { base64: 'AAEC' }, { base64: '' }, [], true];

function mutatedParts(rnd, parts) {
  const text = parts[0];
  const buffers = parts.slice(1);
  const extra = () => genBinary(rnd);
  switch (rnd.int(9)) {
    case 0: return [mutateString(rnd, text), ...buffers];
    case 1: return [mutateString(rnd, mutateString(rnd, text)), ...buffers];
    case 2: return [text, ...buffers.slice(0, rnd.int(buffers.length + 1))]; // too few
    case 3: return [text, ...buffers, extra(), ...(rnd.chance(0.5) ? [text] : [])]; // too many
    case 4: return [...buffers, text, ...buffers]; // binary before text
    case 5: return [text, text, ...buffers]; // text while reconstructing
    case 6: return [text, rnd.pick(ODD_PARTS), ...buffers];
    case 7: { const b = [...buffers]; b.splice(rnd.int(b.length + 1), 0, mutateString(rnd, text)); return [text, ...b]; }
    default: return [mutateString(rnd, text), extra(), extra(), text, ...buffers];
  }
}

// --- the test ---------------------------------------------------------------

test(`parser matches socket.io-parser on ${PACKETS} random packets (PARSER_SEED=${SEED})`, (t) => {
  const rnd = makeRandom(SEED);
  let packets = 0;
  let binaryPackets = 0;
  let rejected = 0;
  const replacer = (key, value) => (typeof value === 'number' ? value + 1 : value);
  const reviver = (key, value) => (typeof value === 'string' ? value + '!' : value);
  const boundedWalkMinLength = ours.Decoder.boundedWalkMinLength;
  try {
    for (let n = 0; n < PACKETS; n++) {
      const seed = (rnd.next() * 2 ** 32) >>> 0;
      const label = `packet ${n} (packet seed ${seed}, PARSER_SEED=${SEED})`;
      // Encoding does not modify the packet and every toJSON here is pure:
      // both encoders get the same object.
      const packet = genPacket(makeRandom(seed));
      const factory = () => packet;
      const useReplacer = rnd.chance(0.02);
      const parts = sameEncoding(factory, useReplacer ? replacer : undefined, label);
      packets++;
      if (parts === null) continue;
      if (parts.length > 1) binaryPackets++;
      const decoderOpts = rnd.pick([undefined, undefined, undefined, { maxAttachments: rnd.pick([0, 1, 3, 100]) },
        rnd.chance(0.1) ? reviver : undefined, { maxAttachments: undefined }]);
      // Reassembly either walks the whole payload or stops after counting
      // placeholders in the text; exercise both.
      ours.Decoder.boundedWalkMinLength = rnd.chance(0.5) ? 0 : Infinity;
      compareFeeds(label, parts, decoderOpts);
      const mutations = 1 + rnd.int(2);
      for (let m = 0; m < mutations; m++) {
        const log = compareFeeds(`${label} mutation ${m}`, mutatedParts(rnd, parts), decoderOpts);
        if (log.some((entry) => entry.error)) rejected++;
      }
    }
  } catch (err) {
    err.message = `PARSER_SEED=${SEED}: ${err.message}`;
    throw err;
  } finally {
    ours.Decoder.boundedWalkMinLength = boundedWalkMinLength;
  }
  t.diagnostic(`packets ${packets}, binary ${binaryPackets}, mutated inputs rejected ${rejected}`);
  assert.strictEqual(packets, PACKETS);
  assert.ok(binaryPackets > PACKETS / 10, `binary packets: ${binaryPackets}`);
  assert.ok(rejected > PACKETS / 5, `rejected mutations: ${rejected}`);
});
