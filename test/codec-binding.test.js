'use strict';

// addon.codec against socket.io-parser itself: fixed cases for every quirk,
// then randomized packets where the native answer must match the reference.

const test = require('node:test');
const assert = require('node:assert');
const { Worker } = require('node:worker_threads');
const { Encoder, Decoder } = require('socket.io-parser');
const binding = require('../lib/binding');

const skip = binding.native ? false : `native addon not loaded (${binding.reason})`;
const codec = binding.native ? binding.addon.codec : null;

/** Runs socket.io-parser's decodeString: the packet, or the error message. */
function reference(str, maxAttachments) {
  try {
    return { packet: new Decoder({ maxAttachments }).decodeString(str) };
  } catch (err) {
    return { error: err.message };
  }
}

/**
 * What a decoder built on the binding would report for `str`, or null where
 * the binding leaves the payload to JSON.parse (status cannotDecide).
 */
function native(str, maxAttachments) {
  const out = new Float64Array(7);
  const status = codec.parseHeader(str, maxAttachments, out);
  if (status !== codec.status.ok) return { error: codec.errorMessage(status, out[0]) };
  const packet = { type: out[0], nsp: out[2] < 0 ? '/' : str.slice(out[2], out[3]) };
  if (out[1] >= 0) packet.attachments = out[1];
  if (out[4] === 1) packet.id = out[5];
  const payloadBegin = out[6];
  if (payloadBegin < str.length) {
    const valid = codec.validatePayload(str, payloadBegin, out[0]);
    if (valid === codec.status.cannotDecide) return null;
    if (valid !== codec.status.ok) return { error: codec.errorMessage(valid) };
    packet.data = JSON.parse(str.slice(payloadBegin));
  }
  return { packet };
}

function assertSame(str, maxAttachments = 10) {
  const expected = reference(str, maxAttachments);
  const actual = native(str, maxAttachments);
  if (actual === null) return false;
  assert.deepStrictEqual(actual, expected, `packet ${JSON.stringify(str)}`);
  return true;
}

const fixed = [
  '', '0', '1', '2', '7', '8', '9', 'a', '-', '/', ' ', '\u3000', '\ufeff', '\u2028', '\u180e',
  '\u200b', '\ud800', '0{}', '0{"token":1}', '0[]', '0/admin,{"a":1}', '1', '1/admin,', '1{}',
  '2["a"]', '2["connect"]', '2["\\u0063onnect"]', '2["error"]', '2[1]', '2[]', '2[null]', '2{}',
  '2/chat,12["a"]', '2/chat', '2/chat,', '2/ch,at,["a"]', '2/\u00e9\ud83d\ude00,1["x"]',
  '212["a"]', '21 2["a"]', '2 ["a"]', '2\u00a0\u3000["a"]', '29007199254740993["a"]',
  `2${'9'.repeat(400)}["a"]`, '2/a,\ufeff["a"]', '3/a,0[]', '3[1', '3[1,]', '3[01]',
  '4"nope"', '4{"message":"x"}', '4[]', '51-["a",{"_placeholder":true,"num":0}]', '51-',
  '5-["a"]', '5', '50-["a"]', '5-1-["a"]', '5 1 -["a"]', '5+1-["a"]', '51e0-["a"]',
  '50x1-["a"]', '50b1-["a"]', '50o1-["a"]', '5.5e1-["a"]', '51.5-["a"]', '5Infinity-["a"]',
  '510-["a"]', '511-["a"]', '5 -["a"]', '61-/a,7[1]', '5\u30001\u2028-["a"]', '5x-["a"]',
  '2["a",1e400]', '2["a",123456789012345678901234567890]', '2["\\ud800"]', '2["\ud800"]',
  '2\ud800', '2["a"]\ufeff', '2\ufeff["a"]', `2/${'n'.repeat(300)}`, `2/${'n'.repeat(300)},5["a"]`,
  `3${'['.repeat(2000)}${']'.repeat(2000)}`, `0${'['.repeat(100000)}`,
];

test('parseHeader and validatePayload match socket.io-parser on every quirk', { skip }, () => {
  for (const str of fixed) {
    assertSame(str);
    assertSame(str, 1);
  }
});

test('maxAttachments compares like socket.io-parser', { skip }, () => {
  assertSame('53-["a"]', 2);
  assertSame('52-["a"]', 2);
  assertSame('51e9-["a"]', Infinity);
  assertSame('5999-["a"]', NaN);
});

/** A tiny seeded generator, so a failure can be replayed. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('randomized headers and payloads match socket.io-parser', { skip }, () => {
  const random = rng(12345);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chars = ['0', '1', '2', '3', '5', '6', '9', '-', '/', ',', ' ', '\u00a0', '\u3000',
    '\ufeff', '\u2028', '\t', 'a', 'x', 'e', '.', '+', 'b', 'o', '[', ']', '"', '{', '}',
    '\ud800', '\ud83d\ude00', '\u00e9'];
  const payloads = ['', '["a"]', '["a",1,{"b":[true,null]}]', '[1]', '[]', '{}', '{"x":1}',
    '"s"', '["connect"]', '["disconnecting",1]', '[1e400]', '["a"', '["a"]]', 'null', '1',
    ' ["a"]', '["\\u00e9"]', '[{"_placeholder":true,"num":0}]', '["a"]x', '["\ud800"]'];
  let decided = 0;
  for (let i = 0; i < 20000; i++) {
    let str;
    if (random() < 0.3) {
      str = '';
      const n = Math.floor(random() * 12);
      for (let j = 0; j < n; j++) str += pick(chars);
    } else {
      str = pick(['0', '1', '2', '3', '4', '5', '6', '7', ' ', 'x']);
      if (random() < 0.5) str += pick(['1', '2', '10', '11', '0', '', ' 1', '1e0', '0x2', '1.5']) + pick(['-', '-', '']);
      if (random() < 0.5) str += pick(['/', '/chat', '/\u00e9', '/a b']) + pick([',', ',', '']);
      if (random() < 0.5) str += pick(['1', '42', ' ', '1 2', '007', '9007199254740993', '\u3000']);
      str += pick(payloads);
    }
    if (assertSame(str, pick([10, 1, 3]))) decided++;
  }
  assert.ok(decided > 19000, `decided ${decided}`);
});

test('randomized payload mutations: validation and placeholders match JSON.parse', { skip }, () => {
  const random = rng(4242);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const seeds = ['["a",1,{"b":[true,false,null,"x\\n\\u00e9"]},-0.5e3]', '{"a":{"b":[]}}', '"str\\"x"',
    '[1e400]', '[]', '["connect"]', '[{"_placeholder":true,"num":0},{"k":[{"_placeholder":true}]}]',
    '[1.5,2E+3,-0,0.0]'];
  const alphabet = ['[', ']', '{', '}', '"', ',', ':', ' ', '\t', '\n', '\u2028', '\u00a0', '\ufeff',
    '\\', 'u', '0', '1', '-', '+', '.', 'e', 't', 'r', 'n', 'f', 'a', 'l', 's', '\x00', '\x1f',
    '\x7f', '\ud800', '\udc00', '\ud83d\ude00', '_placeholder'];
  const out = new Float64Array(7);
  for (let i = 0; i < 20000; i++) {
    let payload = pick(seeds);
    for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
      const at = Math.floor(random() * (payload.length + 1));
      const op = random();
      if (op < 0.4) payload = payload.slice(0, at) + pick(alphabet) + payload.slice(at);
      else if (op < 0.7) payload = payload.slice(0, at) + payload.slice(at + 1);
      else payload = payload.slice(0, at) + pick(alphabet) + payload.slice(at + 1);
    }
    const type = pick([0, 1, 2, 3, 4, 5, 6]);
    const str = `${type}${type >= 5 ? '1-' : ''}${payload}`;
    assertSame(str);
    if (codec.parseHeader(str, 10, out) !== 0 || out[6] >= str.length) continue;
    let parsed;
    try {
      parsed = JSON.parse(str.slice(out[6]));
    } catch {
      assert.strictEqual(codec.findPlaceholders(str, out[6]), null, str);
      continue;
    }
    const found = nativePlaceholderPaths(str, out[6]);
    if (found !== null) assert.deepStrictEqual(found, jsPlaceholderPaths(parsed), str);
  }
});

/** Paths of every object reconstructPacket would replace, in a JS walk. */
function jsPlaceholderPaths(value, path = [], out = []) {
  if (!value || typeof value !== 'object') return out;
  if (value._placeholder === true) {
    out.push(path);
    return out;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => jsPlaceholderPaths(item, [...path, i], out));
  } else {
    for (const key of Object.keys(value)) jsPlaceholderPaths(value[key], [...path, key], out);
  }
  return out;
}

function resolve(root, path) {
  let value = root;
  for (const step of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, step)) {
      return undefined;
    }
    value = value[step];
  }
  return value;
}

/** The binding's hints, filtered the way lib/parser/index.js verifies them. */
function nativePlaceholderPaths(str, payloadBegin) {
  const hints = codec.findPlaceholders(str, payloadBegin);
  if (hints === null) return null;
  const parsed = JSON.parse(str.slice(payloadBegin));
  return hints.filter((path) => {
    const value = resolve(parsed, path);
    return value !== null && typeof value === 'object' && value._placeholder === true;
  });
}

test('findPlaceholders finds what reconstructPacket would replace', { skip }, () => {
  const cases = [
    '["a",{"_placeholder":true,"num":0}]',
    '["a",[[{"_placeholder":true,"num":1}]],{"x":{"y":{"_placeholder":true,"num":0}}}]',
    '["a",{"_placeholder":true,"_placeholder":false,"x":{"_placeholder":true,"num":0}}]',
    '["a",{"_placeholder":false,"_placeholder":true,"x":{"_placeholder":true,"num":0}}]',
    '["a",{"k":{"_placeholder":true,"num":0},"k":[{"_placeholder":true,"num":1}]}]',
    '["a",{"__proto__":{"_placeholder":true,"num":0}}]',
    '["a",{"a\\"b\\u00e9\\n":{"\\u005fplaceholder":true,"num":0}}]',
    '["a",{"\u00e9\ud83d\ude00":{"_placeholder":true,"num":0}}]',
    '["a",{"_placeholder":1},{"_placeholder":"true"},{"_placeholder":[true]}]',
    '["\ud800",{"k":{"_placeholder":true,"num":0}}]',
    '{"_placeholder":true,"num":0}',
  ];
  for (const payload of cases) {
    const str = `51-${payload}`;
    const expected = jsPlaceholderPaths(JSON.parse(payload));
    assert.deepStrictEqual(nativePlaceholderPaths(str, 3), expected, payload);
  }
  // A key with a lone surrogate cannot be named in UTF-8: left to JS.
  assert.strictEqual(codec.findPlaceholders('51-["a",{"\ud800":{"_placeholder":true,"num":0}}]', 3), null);
  assert.strictEqual(codec.findPlaceholders('51-["a",]', 3), null);
  assert.strictEqual(codec.findPlaceholders(`51-${'['.repeat(5000)}${']'.repeat(5000)}`, 3), null);
  assert.deepStrictEqual(codec.findPlaceholders('51-["a",1,"b"]', 3), []);
});

test('findPlaceholders on packets from socket.io-parser\'s Encoder', { skip }, () => {
  const random = rng(777);
  const makeValue = (depth) => {
    const r = random();
    if (depth > 4 || r < 0.2) return Buffer.from([1, 2, 3]);
    if (r < 0.4) return Math.floor(random() * 100);
    if (r < 0.5) return 'str\u00e9';
    if (r < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => makeValue(depth + 1));
    const obj = {};
    for (let i = 0; i < 3; i++) obj[['a', 'b c', '\u00e9', '__proto__x', '0'][Math.floor(random() * 5)]] = makeValue(depth + 1);
    return obj;
  };
  const encoder = new Encoder();
  for (let i = 0; i < 500; i++) {
    const [str] = encoder.encode({ type: 2, nsp: '/', data: ['ev', makeValue(0), makeValue(0)] });
    const out = new Float64Array(7);
    assert.strictEqual(codec.parseHeader(str, Infinity, out), 0);
    const payloadBegin = out[6];
    const expected = jsPlaceholderPaths(JSON.parse(str.slice(payloadBegin)));
    assert.deepStrictEqual(nativePlaceholderPaths(str, payloadBegin), expected, str);
  }
});

test('payloads beyond the native size limit are left to JS', { skip }, () => {
  const big = `2["a","${'x'.repeat(codec.limits.maxPayloadBytes)}"]`;
  assert.strictEqual(codec.validatePayload(big, 1, 2), codec.status.cannotDecide);
  assert.strictEqual(codec.findPlaceholders(big, 1), null);
  // Below the limit, a large payload is decided natively (and its buffers are
  // released afterwards).
  const large = `2["a","${'x'.repeat(2 << 20)}",{"_placeholder":true,"num":0}]`;
  assert.strictEqual(codec.validatePayload(large, 1, 2), codec.status.ok);
  assert.deepStrictEqual(codec.findPlaceholders(large, 1), [[2]]);
  assert.deepStrictEqual(codec.findPlaceholders('2["a",{"_placeholder":true,"num":0}]', 1), [[1]]);
});

test('encodeHeader writes encodeAsString\'s prefix', { skip }, () => {
  const encoder = new Encoder();
  const packets = [
    { type: 2, nsp: '/' },
    { type: 2, nsp: '/chat', id: 12 },
    { type: 3, nsp: '/', id: 0 },
    { type: 5, nsp: '/\u00e9', attachments: 2, id: 7 },
    { type: 6, nsp: '', attachments: 1 },
    { type: 0, nsp: '/admin' },
    { type: 3, nsp: '/', id: 1e21 },
  ];
  for (const packet of packets) {
    assert.strictEqual(
      codec.encodeHeader(packet.type, packet.attachments, packet.nsp, packet.id),
      encoder.encodeAsString(packet));
  }
});

test('misuse throws TypeError with code ERR_INVALID_ARG_TYPE', { skip }, () => {
  const out = new Float64Array(7);
  const calls = [
    () => codec.parseHeader(1, 10, out),
    () => codec.parseHeader('2', '10', out),
    () => codec.parseHeader('2', 10, new Float64Array(6)),
    () => codec.parseHeader('2', 10, new Float32Array(7)),
    () => codec.parseHeader('2', 10, [0, 0, 0, 0, 0, 0, 0]),
    () => codec.parseHeader(),
    () => codec.findPlaceholders('2[]', 4),
    () => codec.findPlaceholders('2[]', -1),
    () => codec.findPlaceholders('2[]', 0.5),
    () => codec.findPlaceholders({}, 0),
    () => codec.validatePayload('2[]', 1),
    () => codec.validatePayload('2[]', '1', 2),
    () => codec.encodeHeader('2'),
    () => codec.encodeHeader(5, undefined, '/'),
    () => codec.encodeHeader(2, 0, 5),
    () => codec.errorMessage(99),
  ];
  for (const call of calls) {
    assert.throws(call, (err) => err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE');
  }
});

test('error messages are socket.io-parser\'s', { skip }, () => {
  const s = codec.status;
  assert.strictEqual(codec.errorMessage(s.unknownPacketType, NaN), 'unknown packet type NaN');
  assert.strictEqual(codec.errorMessage(s.unknownPacketType, 7), 'unknown packet type 7');
  assert.strictEqual(codec.errorMessage(s.illegalAttachments), 'Illegal attachments');
  assert.strictEqual(codec.errorMessage(s.tooManyAttachments), 'too many attachments');
  assert.strictEqual(codec.errorMessage(s.invalidPayload), 'invalid payload');
  assert.strictEqual(codec.errorMessage(s.illegalPlaceholder), 'illegal attachments');
  assert.strictEqual(codec.errors[s.invalidPayload], 'invalid payload');
});

test('the codec works in a worker thread alongside the main thread', { skip }, async () => {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const { addon } = require(${JSON.stringify(require.resolve('../lib/binding'))});
    const out = new Float64Array(7);
    const status = addon.codec.parseHeader('2/chat,3["a"]', 10, out);
    parentPort.postMessage([status, ...out, addon.codec.findPlaceholders('51-["a",{"_placeholder":true,"num":0}]', 3)]);
  `, { eval: true });
  const [message] = await Promise.all([
    new Promise((resolve, reject) => { worker.on('message', resolve); worker.on('error', reject); }),
    Promise.resolve(codec.findPlaceholders('51-["b",{"_placeholder":true,"num":0}]', 3)),
  ]);
  assert.deepStrictEqual(message, [0, 2, -1, 1, 6, 1, 3, 8, [[1]]]);
  await worker.terminate();
});
