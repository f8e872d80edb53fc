'use strict';

// Behaviour of the parser that socket.io-parser's history defines: its API,
// its past security fixes, its error messages and decoder states, and a real
// socket.io server/client round trip. Each case runs on our implementation
// and on socket.io-parser, and they must agree.

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');

const stock = require('socket.io-parser');
const ours = require('../lib/parser/parser-js');
const binding = require('../lib/binding');
const { Emitter } = require('@socket.io/component-emitter');

const IMPLEMENTATIONS = [['socket.io-native', ours], ['socket.io-parser', stock]];

/** Decodes parts with a fresh decoder; returns the packets, or the error. */
function decode(parser, parts, opts) {
  const decoder = new parser.Decoder(opts);
  const packets = [];
  decoder.on('decoded', (p) => packets.push(p));
  for (const part of parts) decoder.add(part);
  return packets;
}

/** Runs `fn(parser)` on both implementations and checks they agree. */
function both(fn) {
  const results = IMPLEMENTATIONS.map(([, parser]) => {
    try {
      return { value: fn(parser) };
    } catch (err) {
      return { error: err.message };
    }
  });
  assert.deepStrictEqual(results[0], results[1]);
  return results[0];
}

function rejects(parts, message, opts) {
  const result = both((parser) => decode(parser, parts, opts));
  assert.strictEqual(result.error, message, `expected "${message}" for ${JSON.stringify(parts[0])}`);
}

function accepts(parts, opts) {
  const result = both((parser) => decode(parser, parts, opts));
  assert.strictEqual(result.error, undefined, `unexpected error for ${JSON.stringify(parts[0])}`);
  return result.value;
}

test('API shape matches socket.io-parser', () => {
  assert.strictEqual(ours.protocol, 5);
  for (const key of Object.keys(stock.PacketType)) assert.strictEqual(ours.PacketType[key], stock.PacketType[key]);
  assert.strictEqual(Object.keys(ours.PacketType).length, Object.keys(stock.PacketType).length);
  assert.strictEqual(typeof ours.Encoder, 'function');
  assert.strictEqual(typeof ours.Decoder, 'function');
  assert.strictEqual(typeof ours.isPacketValid, 'function');
  const decoder = new ours.Decoder();
  assert.ok(decoder instanceof Emitter);
  for (const method of ['on', 'once', 'off', 'removeListener', 'emit', 'emitReserved', 'listeners', 'add', 'destroy']) {
    assert.strictEqual(typeof decoder[method], 'function', method);
  }
  assert.strictEqual(typeof ours.Decoder.isPayloadValid, 'function');
  assert.deepStrictEqual(new ours.Encoder().encode({ type: 2, nsp: '/', data: ['a'] }), ['2["a"]']);
});

test('package entry points expose the parser', () => {
  const index = require('..');
  const parser = require('../lib/parser');
  assert.strictEqual(index.parser, parser);
  assert.strictEqual(index.native, binding.native);
  assert.strictEqual(require('socket.io-native/parser'), parser);
  assert.strictEqual(require('socket.io-native').parser, parser);
  for (const key of ['protocol', 'PacketType', 'Encoder', 'Decoder', 'isPacketValid']) assert.ok(key in parser, key);
  // Without the addon the package uses socket.io's own parser.
  assert.strictEqual(parser.Decoder, binding.native ? ours.Decoder : stock.Decoder);
});

test('isPacketValid agrees with socket.io-parser', () => {
  const packets = [
    { type: 0, nsp: '/' }, { type: 0, nsp: '/', data: { a: 1 } }, { type: 0, nsp: '/', data: [] },
    { type: 1, nsp: '/' }, { type: 1, nsp: '/', data: 1 }, { type: 2, nsp: '/', data: ['a'] },
    { type: 2, nsp: '/', data: [1] }, { type: 2, nsp: '/', data: ['connect'] }, { type: 2, nsp: '/', data: ['error'] },
    { type: 2, nsp: '/', data: [{}] }, { type: 2, nsp: 1, data: ['a'] }, { type: 2, nsp: '/', data: ['a'], id: 1.5 },
    { type: 2, nsp: '/', data: ['a'], id: 2 ** 60 }, { type: 3, nsp: '/', data: [] }, { type: 3, nsp: '/', data: {} },
    { type: 4, nsp: '/', data: 'x' }, { type: 4, nsp: '/', data: {} }, { type: 4, nsp: '/', data: [] },
    { type: 5, nsp: '/', data: ['a'] }, { type: 6, nsp: '/', data: [] }, { type: 9, nsp: '/' },
  ];
  for (const p of packets) assert.strictEqual(ours.isPacketValid(p), stock.isPacketValid(p), JSON.stringify(p));
});

test('placeholders must be {"_placeholder":true,"num":<index in range>} (CVE-2022-2421)', () => {
  const buf = Buffer.from([1, 2, 3]);
  for (const num of ['"0"', '-1', '1', '1e9', 'null', '{}', '[]', '"__proto__"', '"toString"', 'true']) {
    rejects([`51-["ev",{"_placeholder":true,"num":${num}}]`, buf], 'illegal attachments');
  }
  const [packet] = accepts([`51-["ev",{"_placeholder":true,"num":0}]`, buf]);
  assert.strictEqual(packet.data[1], buf);
  // Not placeholders: left as they are.
  const [kept] = accepts([`51-["ev",{"_placeholder":1,"num":0},{"_placeholder":"true"}]`, buf]);
  assert.deepStrictEqual(kept.data, ['ev', { _placeholder: 1, num: 0 }, { _placeholder: 'true' }]);
  // socket.io-parser 4.2 only range-checks num: a fraction picks no attachment.
  const [fraction] = accepts([`51-["ev",{"_placeholder":true,"num":0.5}]`, buf]);
  assert.strictEqual(fraction.data[1], undefined);
});

test('event names must be strings or numbers and not reserved (CVE-2023-32695)', () => {
  for (const payload of ['[{"toString":"foo"}]', '[null]', '[]', '[["a"]]', '[true]', '{}', '"ev"',
    '["connect"]', '["connect_error"]', '["disconnect"]', '["disconnecting"]', '["newListener"]', '["removeListener"]']) {
    rejects([`2${payload}`], 'invalid payload');
    rejects([`51-${payload}`, Buffer.alloc(1)], 'invalid payload');
  }
  for (const payload of ['["message"]', '[1]', '[0,"a"]', '[""]', '["toString"]', '["__proto__"]']) accepts([`2${payload}`]);
});

test('"decoded" listeners: once, several, removed, added while emitting', () => {
  for (const [name, parser] of IMPLEMENTATIONS) {
    const decoder = new parser.Decoder();
    const seen = [];
    decoder.once('decoded', (p) => seen.push(['once', p.data[0]]));
    decoder.add('2["a"]');
    decoder.add('2["b"]');
    const first = (p) => {
      seen.push(['first', p.data[0]]);
      decoder.on('decoded', (q) => seen.push(['late', q.data[0]]));
    };
    decoder.on('decoded', first);
    decoder.add('2["c"]');
    decoder.add('2["d"]');
    decoder.off('decoded', first);
    decoder.add('51-["e",{"_placeholder":true,"num":0}]');
    decoder.add(Buffer.alloc(1));
    assert.deepStrictEqual(seen, [['once', 'a'], ['first', 'c'], ['first', 'd'], ['late', 'd'], ['late', 'e'], ['late', 'e']], name);
  }
});

test('"error" is a legal event name', () => {
  const [packet] = accepts(['2["error",{"message":"boom"}]']);
  assert.deepStrictEqual(packet, { type: 2, nsp: '/', data: ['error', { message: 'boom' }] });
  assert.deepStrictEqual(new ours.Encoder().encode({ type: 2, nsp: '/', data: ['error', 1] }), ['2["error",1]']);
});

test('attachment counts are validated and capped', () => {
  const b = Buffer.alloc(1);
  rejects(['511-["a"]'], 'too many attachments');
  accepts(['510-["a"]', ...Array(10).fill(b)]);
  rejects(['53-["a"]'], 'too many attachments', { maxAttachments: 2 });
  accepts(['52-["a"]', b, b], { maxAttachments: 2 });
  rejects(['5999999999-["a"]'], 'too many attachments');
  for (const header of ['50-', '5-', '5-1-', '5a-', '51', '5', '5Infinity-', '51.5-', '6-0-']) {
    rejects([`${header}["a"]`], 'Illegal attachments');
  }
  // socket.io-parser reads the count with Number(): these are legal.
  for (const header of ['5 1-', '51 -', '50x1-', '51e0-', '5+1-']) accepts([`${header}["a"]`, b]);
});

test('ack ids: digits are read with Number(), huge ids stay numbers', () => {
  for (const id of ['1', '0', '007', '9007199254740991', '9007199254740993', '99999999999999999999999']) {
    const [packet] = accepts([`3${id}[]`]);
    assert.strictEqual(packet.id, Number(id));
  }
  const [spaced] = accepts(['2 1["a"]']);
  assert.strictEqual(spaced.id, 1);
  const [nan] = accepts(['21 2["a"]']);
  assert.ok(Number.isNaN(nan.id));
  const huge = '9'.repeat(400);
  const [inf] = accepts([`3${huge}[]`]);
  assert.strictEqual(inf.id, Infinity);
  assert.strictEqual(ours.isPacketValid({ type: 3, nsp: '/', id: Infinity, data: [] }), false);
});

test('every UTF-16 code unit in the type, attachments, namespace and id positions', () => {
  const b = Buffer.alloc(1);
  const summary = (parser, parts) => {
    try {
      return decode(parser, parts).map((p) => `${p.type}|${p.nsp}|${'id' in p ? String(p.id) : '-'}|${p.data[0]}`).join();
    } catch (err) {
      return `error: ${err.message}`;
    }
  };
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // most of these throw: skip capturing stacks
  try {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const parts of [[`${ch}["a"]`], [`2${ch}["a"]`], [`21${ch}2["a"]`], [`3/x,${ch}["a"]`], [`5${ch}1-["a"]`, b], [`51${ch}-["a"]`, b]]) {
        const expected = summary(stock, parts);
        const actual = summary(ours, parts);
        if (actual !== expected) assert.strictEqual(actual, expected, `code unit ${c.toString(16)} in ${JSON.stringify(parts[0])}`);
      }
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
});

test('unknown types and payload errors keep socket.io-parser messages', () => {
  for (const [input, message] of [
    ['7', 'unknown packet type 7'], ['9[]', 'unknown packet type 9'], ['x', 'unknown packet type NaN'],
    ['\ud800', 'unknown packet type NaN'], ['1x', 'invalid payload'], ['0[]', 'invalid payload'],
    ['2{', 'invalid payload'], ['3{}', 'invalid payload'], ['4[]', 'invalid payload'], ['1{}', 'invalid payload'],
  ]) rejects([input], message);
  // Empty and white-space strings read as type 0 (Number("") === 0).
  for (const input of ['', ' ', '\t', '0', '0/nsp,', '1/nsp,']) accepts([input]);
});

test('text/binary order errors and decoder state', () => {
  const b = Buffer.alloc(2);
  rejects([b], 'got binary data when not reconstructing a packet');
  rejects(['51-["a",{"_placeholder":true,"num":0}]', '2["b"]'], 'got plaintext data when reconstructing a packet');
  rejects([42], 'Unknown type: 42');
  rejects([{}], 'Unknown type: [object Object]');
  for (const [name, parser] of IMPLEMENTATIONS) {
    // After a rejected placeholder the decoder never completes that packet
    // again and refuses text, like socket.io-parser.
    const decoder = new parser.Decoder();
    const packets = [];
    decoder.on('decoded', (p) => packets.push(p));
    decoder.add('51-["a",{"_placeholder":true,"num":5}]');
    assert.throws(() => decoder.add(b), { message: 'illegal attachments' }, name);
    decoder.add(b);
    assert.throws(() => decoder.add('2["x"]'), { message: 'got plaintext data when reconstructing a packet' }, name);
    decoder.destroy();
    decoder.add('2["x"]');
    assert.deepStrictEqual(packets, [{ type: 2, nsp: '/', data: ['x'] }], name);
    // A header error leaves the decoder usable.
    assert.throws(() => decoder.add('511-[]'), { message: 'too many attachments' }, name);
    decoder.add('3/a,7["y"]');
    assert.deepStrictEqual(packets[1], { type: 3, nsp: '/a', id: 7, data: ['y'] }, name);
  }
  // Errors we create carry a code.
  assert.throws(() => new ours.Decoder().add('7'), { code: 'ERR_SIO_UNKNOWN_PACKET_TYPE' });
  assert.throws(() => new ours.Decoder().add(Buffer.alloc(1)), { code: 'ERR_SIO_UNEXPECTED_BINARY' });
});

test('binary attachments of every kind round-trip, at any depth', () => {
  const ab = new Uint8Array([9, 8]).buffer;
  const data = ['ev', Buffer.from('a'), { deep: [[{ x: new Uint16Array([1, 2]) }]], ab },
    new DataView(new ArrayBuffer(3)), new Blob(['blob']), { toJSON: () => ({ viaToJSON: Buffer.from('t') }) }];
  const parts = both((parser) => {
    const encoded = new parser.Encoder().encode({ type: 2, nsp: '/x', id: 3, data });
    return [encoded[0], encoded.length];
  }).value;
  assert.strictEqual(parts[1], 7);
  const encoded = new ours.Encoder().encode({ type: 2, nsp: '/x', id: 3, data });
  assert.strictEqual(encoded[2], data[2].deep[0][0].x);
  const [packet] = decode(ours, encoded);
  assert.strictEqual(packet.type, 2);
  assert.strictEqual(packet.id, 3);
  assert.strictEqual(packet.data[2].ab, ab);
  assert.strictEqual(packet.data[5].viaToJSON, encoded[6]);
  // base64 attachments (from polling clients without binary support).
  const [b64] = accepts(['51-["a",{"_placeholder":true,"num":0}]', { base64: 'AAE=' }]);
  assert.deepStrictEqual(b64.data[1], { base64: 'AAE=' });
});

test('reassembly of big binary packets finds every placeholder however it is spelled', () => {
  const filler = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i, s: 'x'.repeat(10) })));
  const b0 = Buffer.from('0');
  const b1 = Buffer.from('1');
  const inputs = [
    `52-["ev",{"_placeholder":true,"num":0},${filler},[[{"deep":{"_placeholder":true,"num":1}}]]]`,
    `52-["ev",${filler},{"\\u005fplaceholder":true,"num":1},{"_placeholder":true,"num":0}]`,
    `52-["ev",{"_placeholder":true,"_placeholder":true,"num":0},${filler},{"_placeholder":true,"num":1}]`,
    `52-["ev",{"_placeholder":false,"x":{"_placeholder":true,"num":1}},${filler},{"_placeholder":true,"num":0}]`,
    `52-["ev","_placeholder",{"_placeholder":true,"num":0},${filler},{"a":{"_placeholder":true,"num":1}}]`,
    `52-["ev",{"_placeholder":true,"num":0},${filler},{"a":{"_placeholder":true,"num":7}}]`,
  ];
  for (const input of inputs) {
    assert.ok(input.length > ours.Decoder.boundedWalkMinLength);
    const result = both((parser) => decode(parser, [input, b0, b1]));
    if (!result.error) {
      const data = result.value[0].data;
      assert.ok(JSON.stringify(data).indexOf('_placeholder":true') === -1, input.slice(0, 60));
    }
  }
  assert.strictEqual(both((parser) => decode(parser, [inputs[5], b0, b1])).error, 'illegal attachments');
});

test('encoding does not modify the packet and shares nothing it must copy', () => {
  const inner = { keep: [1, 2, 3] };
  const packet = { type: 2, nsp: '/', data: ['ev', inner, { b: Buffer.from('z') }] };
  const encoded = new ours.Encoder().encode(packet);
  assert.deepStrictEqual(encoded[0], '51-["ev",{"keep":[1,2,3]},{"b":{"_placeholder":true,"num":0}}]');
  assert.strictEqual(packet.type, 2);
  assert.ok(Buffer.isBuffer(packet.data[2].b));
  assert.strictEqual(packet.attachments, undefined);
});

test('__proto__ keys come out as own properties, never as a prototype', () => {
  const text = '2["ev",{"__proto__":{"polluted":true},"a":1}]';
  const [packet] = accepts([text]);
  const obj = packet.data[1];
  assert.ok(Object.prototype.hasOwnProperty.call(obj, '__proto__'));
  assert.strictEqual(Object.getPrototypeOf(obj), Object.prototype);
  assert.strictEqual({}.polluted, undefined);
  // In a binary packet socket.io-parser assigns the key while reconstructing
  // (a prototype change); ours keeps it an own property.
  const buf = Buffer.from('p');
  const [bin] = decode(ours, ['51-["ev",{"__proto__":{"_placeholder":true,"num":0},"x":{"__proto__":{"y":1}}}]', buf]);
  const o = bin.data[1];
  assert.strictEqual(Object.getPrototypeOf(o), Object.prototype);
  assert.strictEqual(Object.getOwnPropertyDescriptor(o, '__proto__').value, buf);
  assert.strictEqual(Object.getPrototypeOf(o.x), Object.prototype);
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(o.x, '__proto__').value, { y: 1 });
  assert.strictEqual({}.y, undefined);
  // Encoding: a binary packet drops the key as socket.io-parser's copy does,
  // a plain one keeps it.
  const withProto = JSON.parse('{"__proto__":{"z":1},"b":2}');
  both((parser) => new parser.Encoder().encode({ type: 2, nsp: '/', data: ['ev', withProto, Buffer.alloc(1)] })[0]);
  both((parser) => new parser.Encoder().encode({ type: 2, nsp: '/', data: ['ev', withProto] })[0]);
});

test('reviver and replacer are applied like socket.io-parser', () => {
  const reviver = (k, v) => (typeof v === 'number' ? v * 2 : v);
  const replacer = (k, v) => (typeof v === 'string' ? v.toUpperCase() : v);
  both((parser) => decode(parser, ['2["a",1,{"b":[2]}]'], reviver));
  both((parser) => decode(parser, ['51-["a",1,{"_placeholder":true,"num":0}]', Buffer.alloc(1)], { reviver }));
  both((parser) => new parser.Encoder(replacer).encode({ type: 2, nsp: '/', data: ['a', { b: 'c' }, Buffer.alloc(1)] })[0]);
  both((parser) => new parser.Encoder(replacer).encode({ type: 2, nsp: '/', data: ['a', { b: 'c' }] })[0]);
});

test('circular data is rejected like socket.io-parser', () => {
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  for (const [, parser] of IMPLEMENTATIONS) {
    assert.throws(() => new parser.Encoder().encode({ type: 2, nsp: '/', data: ['ev', cyclic] }), RangeError);
  }
});

test('a socket.io server uses the parser with a real socket.io-client', { timeout: 20000 }, async () => {
  const { Server } = require('socket.io');
  const { io: connect } = require('socket.io-client');
  const httpServer = http.createServer();
  const io = new Server(httpServer, { parser: ours });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address();
  io.of('/chat').on('connection', (socket) => {
    socket.on('echo', (...args) => {
      const ack = args.pop();
      ack(...args);
    });
    socket.emit('welcome', { text: 'héllo 😀', bin: Buffer.from([1, 2, 3]) });
  });
  const client = connect(`http://127.0.0.1:${port}/chat`, { transports: ['websocket'], reconnection: false });
  try {
    const welcome = await new Promise((resolve, reject) => {
      client.on('welcome', resolve);
      client.on('connect_error', reject);
    });
    assert.strictEqual(welcome.text, 'héllo 😀');
    assert.deepStrictEqual(Buffer.from(welcome.bin), Buffer.from([1, 2, 3]));
    const reply = await client.timeout(5000).emitWithAck('echo', 'x', { n: [1, 2] }, Buffer.from('yz'));
    assert.strictEqual(reply, 'x');
    const all = await new Promise((resolve) => client.emit('echo', 1, { n: [1, 2] }, Buffer.from('yz'), (...r) => resolve(r)));
    assert.strictEqual(all[0], 1);
    assert.deepStrictEqual(all[1], { n: [1, 2] });
    assert.deepStrictEqual(Buffer.from(all[2]), Buffer.from('yz'));
  } finally {
    client.disconnect();
    await new Promise((resolve) => io.close(resolve));
  }
});
