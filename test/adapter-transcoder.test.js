'use strict';

/**
 * The native transcoder of the classic Redis adapter's broadcast message
 * (lib/adapters/redis/classic-message.js, native/core/AdapterMessageTranscoder)
 * against what the adapter does in JS with the same bytes: notepack.decode,
 * then the Encoder (this package's and socket.io-parser's) on the packet.
 * Seeded random payloads: ordinary ones (whose refusal rate is reported and
 * bounded), ones with every kind of key, number and string, messages written
 * with encodings notepack never chooses, and random mutations of all of them.
 * Whatever the native side accepts must equal the JS outcome exactly; what it
 * calls malformed, notepack must reject.
 */

const test = require('node:test');
const assert = require('node:assert');
const notepack = require('notepack.io');
const { Encoder: StockEncoder } = require('socket.io-parser');
const Encoder = require('../lib/parser/encoder');
const { transcodeClassicMessage, available, MALFORMED } = require('../lib/adapters/redis/classic-message');
const { prng, makeGen, makeRawWriter, SPECIAL_NUMBERS } = require('./support/msgpack-random');

const skip = available ? false : 'native addon not loaded: the transcoder is native only';
const ours = new Encoder();
const stock = new StockEncoder();

/**
 * What the classic adapter's onmessage derives from `message`, up to the
 * encoded packet: 'throws' where notepack.decode throws, 'other' where the
 * message is no [uid, packet, opts] the transcoder could describe.
 *
 * @param {Buffer} message
 */
function reference(message) {
  let decoded;
  try {
    decoded = notepack.decode(message);
  } catch {
    return 'throws';
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) return 'other';
  const [uid, packet, opts] = decoded;
  if (packet === null || typeof packet !== 'object' || opts === null || typeof opts !== 'object') return 'other';
  if (packet.nsp === undefined) packet.nsp = '/';
  const encodedPackets = ours.encode(packet);
  // This package's Encoder is wire-identical to socket.io-parser's.
  assert.deepStrictEqual(stock.encode(packet), encodedPackets);
  return { uid, type: packet.type, nsp: packet.nsp, id: packet.id, encodedPackets,
    rooms: opts.rooms, except: opts.except, flags: opts.flags };
}

const counts = { ok: 0, refused: 0, malformed: 0 };

/**
 * Transcodes natively and checks the result against the reference.
 *
 * @param {Buffer} message
 * @param {string} what for the failure message
 * @returns {'ok' | 'refused' | 'malformed'}
 */
function check(message, what) {
  const native = transcodeClassicMessage(message);
  if (native === null) {
    counts.refused++;
    return 'refused';
  }
  const ref = reference(message);
  const hex = message.toString('hex');
  if (native === MALFORMED) {
    assert.strictEqual(ref, 'throws', `${what}: native says malformed, notepack decodes it: ${hex}`);
    counts.malformed++;
    return 'malformed';
  }
  assert.notStrictEqual(typeof ref, 'string', `${what}: native accepted what JS ${ref}: ${hex}`);
  assert.strictEqual(native.encodedPackets[0], ref.encodedPackets[0], `${what}: packet text differs: ${hex}`);
  assert.deepStrictEqual(native, ref, `${what}: ${hex}`);
  // deepStrictEqual ignores key order; the flags object is enumerated by user code.
  assert.strictEqual(JSON.stringify(native.flags), JSON.stringify(ref.flags));
  for (let i = 1; i < native.encodedPackets.length; i++) {
    assert.ok(Buffer.isBuffer(native.encodedPackets[i]) && native.encodedPackets[i].equals(ref.encodedPackets[i]));
  }
  counts.ok++;
  return 'ok';
}

/** A message as the classic adapter publishes it (`notepack.encode([uid, packet, rawOpts])`). */
function adapterMessage(gen, data, odd) {
  const nsp = gen.pick(['/', '/', '/chat', '/ns-é', '/' + 'n'.repeat(80)]);
  const packet = { type: 2, data, nsp };
  if (odd && gen.int(8) === 0) packet.id = gen.int(1000);
  const rooms = Array.from({ length: gen.int(3) }, () => gen.pick(['room1', 'r2', 'é']));
  const except = Array.from({ length: gen.int(2) }, () => gen.string(false).slice(0, 8));
  const flags = gen.pick([{}, { volatile: true }, { compress: false }, { local: false, broadcast: true }]);
  return notepack.encode([gen.pick(['AbC123', 'xyz', 'emitter']), packet, { rooms, except, flags }]);
}

/** Random byte edits of a message: flips, truncations, insertions. */
function mutate(gen, message) {
  const b = Buffer.from(message);
  const kind = gen.int(4);
  if (kind === 0 && b.length > 0) return b.subarray(0, gen.int(b.length));
  if (kind === 1) return Buffer.concat([b, Buffer.from([gen.int(256)])]);
  for (let i = 0, n = 1 + gen.int(3); i < n && b.length > 0; i++) b[gen.int(b.length)] = gen.int(256);
  return b;
}

test('transcoder: fixed cases', { skip }, () => {
  const gen = makeGen(prng(1));
  const cases = [
    ['ev', { a: 1 }],
    ['ev'],
    ['ev', 'é😀\u2028\u0000"\\', [1.5, -0, 1e21, 1e-7, NaN, Infinity, null, true]],
    ['ev', Buffer.from([1, 2, 3]), { nested: [Buffer.alloc(0)] }],
    ['ev', { '': 1, toJSON: 'x', _placeholder: true, num: 0 }],
  ];
  for (const data of cases) assert.strictEqual(check(adapterMessage(gen, data, false), JSON.stringify(data)), 'ok');
  const text = transcodeClassicMessage(notepack.encode(['u', { type: 2, data: ['ev', { a: 1 }], nsp: '/chat' }, { rooms: [], except: [], flags: {} }]));
  assert.strictEqual(text.encodedPackets[0], '2/chat,["ev",{"a":1}]');
  // Every special double, alone, as float64 (notepack writes integers as integers).
  for (const n of SPECIAL_NUMBERS) {
    const w = makeRawWriter(prng(2));
    w.bytes.push(0x93);
    w.str('u');
    w.bytes.push(0x83);
    w.str('type');
    w.bytes.push(2);
    w.str('data');
    w.bytes.push(0x91, 0xcb);
    w.f64(n);
    w.str('nsp');
    w.str('/');
    w.bytes.push(0x80);
    assert.strictEqual(check(w.buffer(), String(n)), 'ok', String(n));
  }
});

test('transcoder: ordinary payloads match the JS path, refusals are rare', { skip }, () => {
  const gen = makeGen(prng(42));
  let refused = 0;
  const N = 3000;
  for (let i = 0; i < N; i++) {
    const data = [gen.pick(['message', 'update', 'chat']), gen.value(4, false, i % 4 === 0 ? 0.05 : 0)];
    if (check(adapterMessage(gen, data, false), `ordinary #${i}`) === 'refused') refused++;
  }
  test.diagnostic?.(`ordinary payloads: ${refused} of ${N} refused`);
  process.stdout.write(`# ordinary payloads refused: ${refused} of ${N}\n`);
  // Ordinary data (objects with array-index keys such as "9" included)
  // needs no JS at all.
  assert.strictEqual(refused, 0);
});

test('transcoder: every kind of value, key and number', { skip }, () => {
  const gen = makeGen(prng(7));
  const outcome = { ok: 0, refused: 0, malformed: 0 };
  const N = 3000;
  for (let i = 0; i < N; i++) {
    const data = [gen.string(true), gen.value(5, true, 0.05), gen.number(true)];
    outcome[check(adapterMessage(gen, data, true), `odd #${i}`)]++;
  }
  process.stdout.write(`# every-kind payloads: ${JSON.stringify(outcome)} of ${N}\n`);
  // Most of them still carry nothing the transcoder refuses.
  assert.ok(outcome.ok > N / 4, JSON.stringify(outcome));
});

test('transcoder: encodings notepack never writes (float32, wide ints and lengths, duplicate keys, ext)', { skip }, () => {
  const rand = prng(99);
  const gen = makeGen(rand);
  const outcome = { ok: 0, refused: 0, malformed: 0 };
  const N = 3000;
  for (let i = 0; i < N; i++) {
    const w = makeRawWriter(rand);
    w.container(false, 3);
    w.str(gen.pick(['uid', 'é']));
    const packetKeys = gen.int(6) === 0 ? ['data', 'type', 'id', 'nsp'] : ['type', 'data', 'nsp'];
    w.container(true, packetKeys.length);
    for (const k of packetKeys) {
      w.str(k);
      if (k === 'type') w.value(gen.pick([2, 2, 2, 3]));
      else if (k === 'data') w.value([gen.string(true), gen.value(4, true, 0.05), gen.number(true)]);
      else if (k === 'nsp') w.value(gen.pick(['/', '/x']));
      else w.value(gen.int(100));
    }
    w.value({ rooms: ['a'], except: [], flags: gen.pick([{}, { volatile: true }]) });
    outcome[check(w.buffer(), `raw #${i}`)]++;
  }
  process.stdout.write(`# raw encodings: ${JSON.stringify(outcome)} of ${N}\n`);
  assert.ok(outcome.ok > N / 4, JSON.stringify(outcome));
});

test('transcoder: mutated messages never disagree with notepack', { skip }, () => {
  const gen = makeGen(prng(1234));
  const outcome = { ok: 0, refused: 0, malformed: 0 };
  const N = 5000;
  for (let i = 0; i < N; i++) {
    const data = ['ev', gen.value(3, i % 2 === 0, 0.1)];
    outcome[check(mutate(gen, adapterMessage(gen, data, i % 2 === 0)), `mutated #${i}`)]++;
  }
  process.stdout.write(`# mutated messages: ${JSON.stringify(outcome)} of ${N}\n`);
  assert.ok(outcome.malformed > 0 && outcome.ok > 0, JSON.stringify(outcome));
});

test('transcoder: misuse throws TypeError', { skip }, () => {
  const binding = require('../lib/binding');
  assert.throws(() => binding.addon.codec.transcodeAdapterMessage('x', new Float64Array(15)), { name: 'TypeError' });
  assert.throws(() => binding.addon.codec.transcodeAdapterMessage(Buffer.alloc(1), new Float64Array(3)), { name: 'TypeError' });
  assert.strictEqual(transcodeClassicMessage(Buffer.alloc(0)), MALFORMED);
});
