'use strict';

// The native fan-out against a plain ws server on loopback: frames written
// natively must be indistinguishable from ws's own, complete and in order for
// every client, including one whose socket buffer fills up, and never reach a
// client they were not meant for while connections churn and descriptor
// numbers are reused.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const { WebSocketServer, WebSocket, Sender } = require('ws');
const binding = require('../lib/binding');
const { descriptorOfWebSocket, isWebSocketIdle } = require('../lib/fanout/websocket-descriptor');

const fanout = binding.native ? binding.addon.fanout : null;
const skip = fanout ? false : `native addon not loaded (${binding.reason})`;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A ws server whose connections are registered with the fan-out, and the
 * "standard path" a real adapter would take for the ids the fan-out hands
 * back: ws's own send, behind any remainder.
 */
class Harness {
  constructor() {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    /** @type {Map<number, { ws: WebSocket, name: string }>} */
    this.connections = new Map();
    this.unregistered = [];
    this.out = new Uint32Array(1024);
    this.ids = new Uint32Array(1024);
    this.jsWrites = 0;
    this.fdUses = new Map();
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req));
    fanout.onRemainder((ids, buffers) => {
      for (let i = 0; i < ids.length; i++) {
        const entry = this.connections.get(ids[i]);
        if (!entry) continue;
        this.jsWrites++;
        // The remainder is raw frame bytes (views of the shared frames): it
        // goes to the socket as is, ahead of anything the standard path
        // writes after it.
        const parts = buffers[i];
        for (let k = 0; k < parts.length - 1; k++) entry.ws._socket.write(parts[k]);
        entry.ws._socket.write(parts[parts.length - 1], () => this.maybeDrained(ids[i]));
      }
    });
  }

  onConnection(ws, req) {
    const { fd, reason } = descriptorOfWebSocket(ws);
    assert.strictEqual(reason, null);
    assert.ok(isWebSocketIdle(ws));
    const id = fanout.register(fd);
    this.fdUses.set(fd, (this.fdUses.get(fd) || 0) + 1);
    const name = new URL(req.url, 'http://x').searchParams.get('name');
    this.connections.set(id, { ws, name });
    // Unregister when the socket closes: Node has closed (or is closing) its
    // descriptor and the number may be reused from now on.
    ws._socket.once('close', () => {
      this.connections.delete(id);
      assert.strictEqual(fanout.unregister(id), true);
      this.unregistered.push(id);
    });
    this.wss.emit('registered', ws, id, name);
  }

  maybeDrained(id) {
    const entry = this.connections.get(id);
    if (entry && isWebSocketIdle(entry.ws)) fanout.setBusy(id, false);
  }

  /** Broadcasts `packet` to ids, sending the handed-back ones the standard way. */
  broadcast(packet, ids, attachments) {
    for (let i = 0; i < ids.length; i++) this.ids[i] = ids[i];
    const handed = fanout.broadcast(packet, this.ids, ids.length, this.out, attachments);
    for (let i = 0; i < handed; i++) {
      const id = this.out[i];
      const entry = this.connections.get(id);
      if (!entry) continue;  // closed: socket.io would not have it as a recipient either
      this.jsWrites++;
      entry.ws.send('4' + packet, () => this.maybeDrained(id));
      for (const attachment of attachments || []) {
        entry.ws.send(attachment, () => this.maybeDrained(id));
      }
    }
    return handed;
  }

  async listen() {
    await new Promise((resolve) => this.wss.once('listening', resolve));
    return this.wss.address().port;
  }

  async close() {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    // Let the sockets' close events run, which unregister them.
    for (let i = 0; i < 50 && this.connections.size > 0; i++) await turn();
    // Every registration was undone: no duplicate descriptor is left open.
    assert.strictEqual(fanout.stats().connections, 0);
  }
}

/** A client that records what it receives. */
function connect(port, name) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?name=${name}`, { perMessageDeflate: false });
  const client = { ws, name, messages: [], waiters: [] };
  ws.on('message', (data, isBinary) => {
    client.messages.push(isBinary ? Buffer.from(data) : data.toString());
    client.waiters = client.waiters.filter((w) => !(client.messages.length >= w.count && (w.resolve(), true)));
  });
  client.received = (count) => new Promise((resolve) => {
    if (client.messages.length >= count) resolve();
    else client.waiters.push({ count, resolve });
  });
  client.open = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return client;
}

async function connectAll(harness, port, names) {
  const registered = new Map();
  const onRegistered = (ws, id, name) => registered.set(name, id);
  harness.wss.on('registered', onRegistered);
  const clients = names.map((name) => connect(port, name));
  await Promise.all(clients.map((c) => c.open));
  for (let i = 0; i < 100 && registered.size < names.length; i++) await turn();
  harness.wss.off('registered', onRegistered);
  return clients.map((c) => Object.assign(c, { id: registered.get(c.name) }));
}

test('a burst in one turn is one write per connection, frames complete and in order', { skip, timeout: 60000 }, async () => {
  const harness = new Harness();
  const port = await harness.listen();
  const clients = await connectAll(harness, port, ['a', 'b', 'c', 'd', 'e']);
  const ids = clients.map((c) => c.id);
  const before = fanout.stats();
  const expected = [];
  for (let t = 0; t < 20; t++) {
    for (let b = 0; b < 10; b++) {
      const packet = `2["tick",${t},${b},"${'é€'.repeat(b * 20)}"]`;
      expected.push('4' + packet);
      assert.strictEqual(harness.broadcast(packet, ids), 0);
    }
    // A packet with binary attachments: a text frame, then binary frames in order.
    const packet = `52-["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`;
    const attachments = [Buffer.from([t, 1, 2]), Buffer.alloc(70000, t)];
    expected.push('4' + packet, ...attachments);
    assert.strictEqual(harness.broadcast(packet, ids, attachments), 0);
    await turn();
  }
  await Promise.all(clients.map((c) => c.received(expected.length)));
  for (const client of clients) assert.deepStrictEqual(client.messages, expected, client.name);
  const after = fanout.stats();
  assert.strictEqual(after.handedPartial - before.handedPartial, 0);
  // Corking: 20 turns x 5 connections, however many frames each turn had.
  assert.ok(after.writes - before.writes <= 20 * clients.length, `writes ${after.writes - before.writes}`);
  assert.strictEqual(after.framesWritten - before.framesWritten, expected.length * clients.length);
  assert.ok(after.coalescedWrites - before.coalescedWrites >= 20 * clients.length - 5);
  assert.strictEqual(harness.jsWrites, 0);
  for (const c of clients) c.ws.close();
  await harness.close();
});

test('a client that stops reading gets the rest through the standard path, in order', { skip, timeout: 120000 }, async () => {
  const harness = new Harness();
  const port = await harness.listen();
  const [fast, slow] = await connectAll(harness, port, ['fast', 'slow']);
  const ids = [fast.id, slow.id];
  // Stop reading: the kernel buffers fill, then sendmsg takes part of a write.
  slow.ws.pause();
  const before = fanout.stats();
  const expected = [];
  const payload = 'x'.repeat(64 * 1024);
  let extraTurns = 3;
  for (let t = 0; t < 400 && extraTurns > 0; t++) {
    for (let b = 0; b < 4; b++) {
      const packet = `2["big",${t},${b},"${payload}"]`;
      expected.push('4' + packet);
      harness.broadcast(packet, ids);
    }
    await turn();
    await turn();
    // Once a remainder went to JS, a few more turns exercise the busy path.
    if (fanout.stats().handedPartial > before.handedPartial) extraTurns--;
  }
  const after = fanout.stats();
  if (process.env.SIO_FANOUT_DEBUG) console.log(expected.length, before, after);
  assert.ok(after.handedPartial > before.handedPartial, 'the slow socket never filled');
  assert.ok(after.handedBusy > before.handedBusy, 'no broadcast took the busy path');
  await fast.received(expected.length);
  slow.ws.resume();
  await slow.received(expected.length);
  assert.strictEqual(fast.messages.length, expected.length);
  assert.strictEqual(slow.messages.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(fast.messages[i] === expected[i], `fast client, message ${i}`);
    assert.ok(slow.messages[i] === expected[i], `slow client, message ${i}`);
  }
  // Once JS drained the connection it is idle again and native takes over.
  for (let i = 0; i < 100 && harness.broadcast('2["again"]', [slow.id]) !== 0; i++) await turn();
  assert.strictEqual(harness.broadcast('2["native"]', [slow.id]), 0);
  await slow.received(expected.length + 2);
  fast.ws.close();
  slow.ws.close();
  await harness.close();
});

test('churn: hundreds of clients come and go, each only ever gets its own frames', { skip, timeout: 120000 }, async () => {
  const harness = new Harness();
  const port = await harness.listen();
  const live = new Map();  // name -> client
  const failures = [];
  let next = 0;
  let sent = 0;

  const open = (count) => connectAll(harness, port,
    Array.from({ length: count }, () => `c${next++}`)).then((clients) => {
    for (const c of clients) {
      live.set(c.name, c);
      c.ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        if (!text.startsWith(`42["to","${c.name}",`)) failures.push(`${c.name} got ${text.slice(0, 40)}`);
      });
    }
  });

  await open(50);
  for (let round = 0; round < 30; round++) {
    // Close about a fifth, in different ways, and open as many new ones: the
    // server's descriptor numbers are freed and handed to the newcomers.
    const names = [...live.keys()];
    for (let i = round % 5; i < names.length; i += 5) {
      const c = live.get(names[i]);
      live.delete(names[i]);
      if (i % 3 === 0) c.ws.terminate();
      else c.ws.close();
    }
    // Also close some from the server side.
    let k = 0;
    for (const [id, entry] of harness.connections) {
      if (k++ % 17 === round % 17 && live.has(entry.name)) {
        live.delete(entry.name);
        entry.ws.terminate();
      }
    }
    const opening = open(50 - live.size);
    // Broadcast while connections close and open: every live id gets a frame
    // naming its client, and ids unregistered earlier get frames too, which
    // must be handed back as unknown, never written.
    for (let t = 0; t < 4; t++) {
      for (const [id, entry] of harness.connections) {
        harness.broadcast(`2["to","${entry.name}",${sent++}]`, [id]);
      }
      const stale = harness.unregistered.slice(-20);
      if (stale.length) {
        const handed = harness.broadcast('2["to","nobody"]', stale);
        assert.strictEqual(handed, stale.length);
      }
      await turn();
    }
    await opening;
  }
  // Everything sent to the clients still open arrives, in order.
  for (const c of live.values()) {
    const id = c.id;
    harness.broadcast(`2["to","${c.name}","last"]`, [id]);
  }
  await Promise.all([...live.values()].map((c) => new Promise((resolve) => {
    const check = () => {
      if (c.messages.length && c.messages[c.messages.length - 1] === `42["to","${c.name}","last"]`) resolve();
      else c.ws.once('message', check);
    };
    check();
  })));
  for (const c of live.values()) {
    const seqs = c.messages.map((m) => JSON.parse(m.slice(2))[2]);
    const numbers = seqs.slice(0, -1);
    assert.deepStrictEqual(numbers, [...numbers].sort((x, y) => x - y), c.name);
  }
  assert.deepStrictEqual(failures, []);
  assert.ok(next >= 300, `only ${next} clients`);
  // Descriptor numbers were really reused while frames were in flight.
  assert.ok([...harness.fdUses.values()].some((n) => n > 1), 'no descriptor number was reused');
  if (process.env.SIO_FANOUT_DEBUG) console.log(harness.fdUses, fanout.stats());
  for (const c of live.values()) c.ws.close();
  await harness.close();
});

/**
 * A plain TCP connection on loopback whose server side is registered with the
 * fan-out: `chunks` collects what the client reads; `close()` unregisters
 * (resolving to unregister's result) and closes both ends and the server.
 */
async function registeredPair() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  const client = net.connect(server.address().port, '127.0.0.1');
  const chunks = [];
  client.on('data', (chunk) => chunks.push(chunk));
  const socket = await accepted;
  const id = fanout.register(socket._handle.fd);
  const close = async () => {
    const unregistered = fanout.unregister(id);
    client.destroy();
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    return unregistered;
  };
  return { id, chunks, close };
}

/**
 * Strings whose UTF-8 a broadcast must get right: every kind of lone
 * surrogate (which Buffer.from, and so ws and socket.io-adapter, write as
 * U+FFFD), multi-byte characters, and sizes around the websocket header forms
 * (payload = "4" + packet: 125/126 and 65535/65536 bytes) and around 16K
 * UTF-16 units, several built by concatenation as an encoder builds them.
 *
 * @returns {string[]}
 */
function awkwardStrings() {
  const strings = ['', '\ud800', '\udc00', 'a\ud800', '\udbff\udfff', '\udc00\ud800', '\ud800\ud800x',
    'x\udfff', '😀\ud83d', '\ude00😀', '2["m","\ud83d"+"\ude00"]', 'é€😀\u0000'];
  // A pair split between the two halves of a concatenated string.
  strings.push('2["' + 'a'.repeat(20000) + '\ud83d', '\ude00' + 'b'.repeat(20000) + '"]');
  strings.push('2["' + 'a'.repeat(20000) + '\ud83d' + '\ude00' + 'b'.repeat(20000) + '"]');
  for (const bytes of [124, 125, 126, 65533, 65534, 65535, 65536]) {
    strings.push('z'.repeat(bytes));
    // The same byte count with a 3-byte character last, and with a lone
    // surrogate (3 bytes as U+FFFD) last.
    strings.push('z'.repeat(bytes - 3) + '€', 'z'.repeat(bytes - 3) + '\udc01');
  }
  for (const units of [16383, 16384, 16385]) {
    strings.push('é'.repeat(units), '2["m",' + JSON.stringify('€'.repeat(units - 8)) + ']');
    strings.push('😀'.repeat(units >> 1) + (units & 1 ? '\ud800' : ''));
  }
  strings.push('2["big","' + 'é€😀\ud800'.repeat(20000) + '"]');
  return strings;
}

// Reads raw bytes from a plain TCP connection the fan-out writes to, and
// compares them with what ws's Sender.frame builds for the same message (the
// frame socket.io-adapter pre-encodes): same header, same payload bytes.
test('native frames are byte for byte what ws builds', { skip, timeout: 60000 }, async () => {
  const { id, chunks, close } = await registeredPair();
  fanout.onRemainder(() => assert.fail('no remainder expected'));

  // Lengths around each header form, and strings V8 must encode to UTF-8
  // the way Buffer.from does (including a lone surrogate, which becomes U+FFFD).
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = ['a', '"', '\\', 'é', '€', '😀', '\ud800', '\u0000'];
  const lengths = [0, 1, 122, 123, 124, 125, 126, 127, 1000, 16383, 16384, 16385, 49151, 49152, 65532, 65533,
    65534, 65535, 65536, 70000, 300000];
  for (let i = 0; i < 40; i++) lengths.push(Math.floor(random() * 3000));
  const expected = [];
  const ids = Uint32Array.of(id);
  const out = new Uint32Array(1);
  const frame = (data, opcode) => Buffer.concat(Sender.frame(data, {
    fin: true, rsv1: false, opcode, mask: false, readOnly: false,
  }));
  for (const length of lengths) {
    let packet = '';
    let bytes = 0;
    while (bytes < length - 4) {
      const piece = alphabet[Math.floor(random() * alphabet.length)];
      packet += piece;
      bytes += Buffer.byteLength(piece);
    }
    if (bytes < length) packet += 'z'.repeat(length - bytes);
    const asBuffer = random() < 0.3;
    const attachments = random() < 0.3 ? [Buffer.alloc(Math.floor(random() * 300), 7)] : undefined;
    const message = asBuffer ? Buffer.from(packet) : packet;
    assert.strictEqual(fanout.broadcast(message, ids, 1, out, attachments, false), 0);
    // A string is a text message ("4" + packet); bytes are a binary message
    // sent as they are, as engine.io sends a binary packet.
    expected.push(asBuffer ? frame(Buffer.from(packet), 2) : frame(Buffer.from('4' + packet), 1));
    for (const attachment of attachments || []) expected.push(frame(attachment, 2));
  }
  fanout.flush();
  const want = Buffer.concat(expected);
  for (let i = 0; i < 1000 && Buffer.concat(chunks).length < want.length; i++) await turn();
  assert.ok(Buffer.concat(chunks).equals(want));

  // One at a time (the largest is 240 KB), each flushed and read whole.
  for (const packet of awkwardStrings()) {
    chunks.length = 0;
    assert.strictEqual(fanout.broadcast(packet, ids, 1, out), 0);
    fanout.flush();
    // socket.io-adapter's pre-encoded frame of a broadcast, and ws's own
    // framing of the string as engine.io's websocket transport sends it.
    const adapterFrame = frame(Buffer.from('4' + packet), 1);
    assert.ok(frame('4' + packet, 1).equals(adapterFrame));
    for (let i = 0; i < 1000 && Buffer.concat(chunks).length < adapterFrame.length; i++) await turn();
    assert.ok(Buffer.concat(chunks).equals(adapterFrame), `a string of ${packet.length} units`);
  }

  // Busy: broadcasts are handed back for the standard path.
  assert.strictEqual(fanout.setBusy(id, true), undefined);
  assert.strictEqual(fanout.broadcast('2["busy"]', ids, 1, out), 1);
  assert.strictEqual(out[0], id);
  assert.strictEqual(fanout.setBusy(id, false), undefined);
  assert.strictEqual(await close(), true);
});

// Every kind of binary engine.io sends as a binary frame, as packet or
// attachment, against ws's own framing of the same value (engine.io hands it
// to ws.send, whose toBuffer takes a view's own bytes and an ArrayBuffer
// whole). Values the binding cannot frame hand every recipient back and queue
// nothing; values that are not messages throw a TypeError and queue nothing.
test('binary of every kind is framed as ws frames it; what cannot be framed leaves nothing behind', { skip, timeout: 60000 }, async () => {
  // ws's toBuffer (lib/buffer-util.js): a view's own bytes, an ArrayBuffer whole.
  const toBuffer = (value) => (value instanceof ArrayBuffer ? Buffer.from(value)
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  const { id, chunks, close } = await registeredPair();
  fanout.onRemainder(() => assert.fail('no remainder expected'));
  const frame = (data, opcode) => Buffer.concat(Sender.frame(data, {
    fin: true, rsv1: false, opcode, mask: false, readOnly: false,
  }));
  const message = (value) => (typeof value === 'string' ? frame(Buffer.from('4' + value), 1) : frame(toBuffer(value), 2));

  const big = new Uint8Array(300);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
  const shared = new Uint8Array(new SharedArrayBuffer(8));
  shared.set([1, 2, 3, 4, 5, 6, 7, 8]);
  const kinds = [
    Buffer.from('a pooled buffer'),
    Uint8Array.of(1, 2, 3).buffer,
    new ArrayBuffer(0),
    new Uint8Array(0),
    Int8Array.of(-1, 2),
    Uint8ClampedArray.of(255),
    Int16Array.of(-300),
    Uint16Array.of(0x1234, 0xfedc),
    Int32Array.of(-5),
    Uint32Array.of(0xdeadbeef),
    Float32Array.of(1.5, Math.PI),
    Float64Array.of(-0, Math.E),
    BigInt64Array.of(-1n),
    BigUint64Array.of(1n << 63n),
    new DataView(big.buffer, 7, 100),
    new Uint16Array(big.buffer, 2, 40),
    new Float64Array(big.buffer, 160, 16),
    big.subarray(250, 300),
    shared.subarray(2, 6),
    new DataView(shared.buffer, 1, 3),
  ];
  const ids = Uint32Array.of(id);
  const out = new Uint32Array(1);
  const expected = [];
  for (const kind of kinds) {
    assert.strictEqual(fanout.broadcast(kind, ids, 1, out), 0);
    expected.push(message(kind));
    // The same bytes again through a DataView (not the whole buffer: a
    // pooled Buffer's is Node's pool, which later allocations here change).
    const again = kind instanceof ArrayBuffer ? new DataView(kind) : new DataView(kind.buffer, kind.byteOffset, kind.byteLength);
    const attachments = ['text between', kind, again];
    assert.strictEqual(fanout.broadcast('51-["b",{"_placeholder":true,"num":0}]', ids, 1, out, attachments), 0);
    expected.push(message('51-["b",{"_placeholder":true,"num":0}]'), ...attachments.map(message));
  }

  // A view of a detached ArrayBuffer (ws throws sending it), as packet or
  // attachment: nothing is queued, the recipient is handed back.
  const gone = new ArrayBuffer(16);
  const goneView = new Float32Array(gone);
  structuredClone(gone, { transfer: [gone] });
  for (const [packet, attachments] of [[goneView, undefined], [gone, undefined], ['2["x"]', [Uint8Array.of(1), goneView]]]) {
    out[0] = 12345;
    assert.strictEqual(fanout.broadcast(packet, ids, 1, out, attachments), 1);
    assert.strictEqual(out[0], id);
  }
  // Anything that is not a string or binary is a TypeError, before or after
  // frames were built for the earlier messages.
  for (const [packet, attachments] of [[42, undefined], [{}, undefined], [new SharedArrayBuffer(4), undefined],
    ['2["x"]', [Uint8Array.of(1), 7]], ['2["x"]', [null]], ['2["x"]', 'not an array'], [null, undefined]]) {
    assert.throws(() => fanout.broadcast(packet, ids, 1, out, attachments), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  // An attachments array whose getter throws: the error propagates, nothing is queued.
  const hostile = ['a'];
  Object.defineProperty(hostile, 1, { get() { throw new Error('getter'); }, enumerable: true });
  assert.throws(() => fanout.broadcast('2["x"]', ids, 1, out, hostile), { message: 'getter' });
  // A getter that broadcasts again while frames are being built.
  const reentrant = [];
  Object.defineProperty(reentrant, 0, {
    get() {
      assert.strictEqual(fanout.broadcast('2["inner"]', ids, 1, out), 0);
      return Uint8Array.of(0xab);
    },
    enumerable: true,
  });
  assert.strictEqual(fanout.broadcast('2["outer"]', ids, 1, out, reentrant), 0);
  expected.push(message('2["inner"]'), message('2["outer"]'), message(Uint8Array.of(0xab)));
  // None of the failures left a frame behind: the next broadcast is alone.
  assert.strictEqual(fanout.broadcast('2["last"]', ids, 1, out), 0);
  expected.push(message('2["last"]'));

  fanout.flush();
  const want = Buffer.concat(expected);
  for (let i = 0; i < 1000 && Buffer.concat(chunks).length < want.length; i++) await turn();
  assert.ok(Buffer.concat(chunks).equals(want));
  assert.strictEqual(await close(), true);
});

// Frames are counted while they live (stats().framesLive, frameBytesLive):
// a broadcast that throws after its string was encoded into a frame, or
// that hands every recipient back, keeps no frame; one that is queued keeps
// exactly one until the kernel took its bytes.
test('a broadcast that fails after its frames were built keeps none of them', { skip, timeout: 60000 }, async () => {
  const { id, chunks, close } = await registeredPair();
  // A failure must not leave the sockets open (the file would never end).
  try {
    await leavesNothing(id, chunks);
  } finally {
    await close();
  }
});

/**
 * The checks of the test above, on registered connection `id` whose peer
 * collects what it reads in `chunks`.
 *
 * @param {number} id
 * @param {Buffer[]} chunks
 */
async function leavesNothing(id, chunks) {
  fanout.onRemainder(() => assert.fail('no remainder expected'));
  const ids = Uint32Array.of(id);
  const out = new Uint32Array(1);
  const live = () => {
    const { framesLive, frameBytesLive } = fanout.stats();
    return { framesLive, frameBytesLive };
  };
  const at = live();
  const gone = new ArrayBuffer(8);
  const goneView = new Float32Array(gone);
  structuredClone(gone, { transfer: [gone] });
  const hostile = [Uint8Array.of(1)];
  Object.defineProperty(hostile, 1, { get() { throw new Error('getter'); }, enumerable: true });
  // Small and large strings, multi-byte and with a lone surrogate: the first
  // frame is built before the attachments are read.
  for (const packet of ['2["x"]', '2["' + 'é'.repeat(40000) + '\ud800"]', 'a'.repeat(70000)]) {
    assert.throws(() => fanout.broadcast(packet, ids, 1, out, hostile), { message: 'getter' });
    assert.deepStrictEqual(live(), at);
    assert.throws(() => fanout.broadcast(packet, ids, 1, out, [Uint8Array.of(1), 7]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepStrictEqual(live(), at);
    assert.throws(() => fanout.broadcast(packet, ids, 1, out, 'not an array'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepStrictEqual(live(), at);
    // Unframeable binary after it: every recipient handed back, nothing kept.
    assert.strictEqual(fanout.broadcast(packet, ids, 1, out, [goneView]), 1);
    assert.deepStrictEqual(live(), at);
    // No recipient: the frame is built and dropped at once.
    assert.strictEqual(fanout.broadcast(packet, ids, 0, out), 0);
    assert.deepStrictEqual(live(), at);
    // Queued: one frame at least as large as what goes on the wire, until written.
    const wire = Buffer.concat(Sender.frame(Buffer.from('4' + packet), {
      fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false,
    }));
    assert.strictEqual(fanout.broadcast(packet, ids, 1, out), 0);
    const queued = live();
    assert.strictEqual(queued.framesLive, at.framesLive + 1);
    assert.ok(queued.frameBytesLive - at.frameBytesLive >= wire.length);
    chunks.length = 0;
    fanout.flush();
    assert.deepStrictEqual(live(), at);
    for (let i = 0; i < 1000 && Buffer.concat(chunks).length < wire.length; i++) await turn();
    assert.ok(Buffer.concat(chunks).equals(wire));
  }
}

test('a worker thread has its own fan-out and tears it down cleanly', { skip, timeout: 60000 }, async () => {
  const { Worker } = require('node:worker_threads');
  const code = `
    const net = require('node:net');
    const { fanout } = require(${JSON.stringify(require.resolve('../lib/binding'))}).addon;
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      net.connect(server.address().port, '127.0.0.1');
    });
    server.once('connection', (socket) => {
      const id = fanout.register(socket._handle.fd);
      fanout.onRemainder(() => {});
      // Left corked on purpose: the worker ends with frames queued.
      fanout.broadcast('2["bye"]', Uint32Array.of(id), 1, new Uint32Array(1));
      process.exit(fanout.stats().connections === 1 ? 0 : 1);
    });
  `;
  for (let i = 0; i < 3; i++) {
    const worker = new Worker(code, { eval: true });
    const exitCode = await new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    assert.strictEqual(exitCode, 0);
  }
});

test('argument checks', { skip }, () => {
  assert.throws(() => fanout.register('3'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => fanout.register(-1), { code: 'ERR_SOCKET_IO_NATIVE', message: 'not an open socket descriptor' });
  const file = fs.openSync(__filename, 'r');
  try {
    assert.throws(() => fanout.register(file), { code: 'ERR_SOCKET_IO_NATIVE' });  // a file, not a socket
  } finally {
    fs.closeSync(file);
  }
  const ids = new Uint32Array(4);
  assert.throws(() => fanout.broadcast('x', ids, 5, new Uint32Array(5)), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => fanout.broadcast('x', [1], 1, new Uint32Array(1)), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => fanout.broadcast(1, ids, 1, ids), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => fanout.broadcast('x', ids, 0, ids, [1]), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.strictEqual(fanout.unregister(123456), false);
  assert.strictEqual(fanout.flushNow(123456), undefined);
  assert.strictEqual(typeof fanout.stats().writes, 'number');
});

test('SOCKET_IO_NATIVE_FD_RESERVE is parsed strictly', () => {
  const { parseDescriptorReserve } = require('../lib/env');
  assert.strictEqual(parseDescriptorReserve(undefined), undefined);
  assert.strictEqual(parseDescriptorReserve(''), undefined);
  assert.strictEqual(parseDescriptorReserve('0'), 0);
  assert.strictEqual(parseDescriptorReserve('256'), 256);
  assert.deepStrictEqual(parseDescriptorReserve('10%'), { share: 1000 });
  assert.deepStrictEqual(parseDescriptorReserve('2.5%'), { share: 250 });
  assert.deepStrictEqual(parseDescriptorReserve('100%'), { share: 10000 });
  for (const bad of ['-1', ' 64', '64 ', '1e3', '0x40', '64k', '101%', '10.%', '%', '10 %', '3.125%', 'ten']) {
    assert.strictEqual(parseDescriptorReserve(bad), null, bad);
  }
});

test('the descriptor reserve is set from SOCKET_IO_NATIVE_FD_RESERVE, and garbage warns once', { skip }, () => {
  const { execFileSync } = require('node:child_process');
  // A fresh process per setting: lib/env.js reads it once, when the package loads.
  const code = `
    const { ConnectionRegistry } = require(${JSON.stringify(require.resolve('../lib/fanout/connection-registry'))});
    const { fanout } = require(${JSON.stringify(require.resolve('../lib/binding'))}).addon;
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.code));
    new ConnectionRegistry(fanout);
    new ConnectionRegistry(fanout);
    setImmediate(() => console.log(JSON.stringify({ reserve: fanout.descriptorReserve(), warnings })));
  `;
  const run = (setting) => JSON.parse(execFileSync(process.execPath, ['-e', code], {
    env: { ...process.env, SOCKET_IO_NATIVE_FD_RESERVE: setting },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }));
  const limit = fanout.descriptorReserve().softLimit;
  const share = (perTenThousand, min) => (limit < 0 ? 0 : Math.min(limit, Math.max(min, Math.ceil(limit * perTenThousand / 10000))));
  assert.deepStrictEqual(run('100'), { reserve: { softLimit: limit, reserve: limit < 0 ? 0 : Math.min(100, limit) }, warnings: [] });
  assert.deepStrictEqual(run('5%'), { reserve: { softLimit: limit, reserve: share(500, 0) }, warnings: [] });
  assert.deepStrictEqual(run(''), { reserve: { softLimit: limit, reserve: share(1000, 64) }, warnings: [] });
  assert.deepStrictEqual(run('lots'), {
    reserve: { softLimit: limit, reserve: share(1000, 64) },
    warnings: ['SOCKET_IO_NATIVE_INVALID_ENV'],
  });
});
