'use strict';

// The facts of docs/fanout.md checked against real socket.io: a socket.io
// client over the websocket transport decodes natively written frames (events
// and binary attachments), and with the protocol the adapter will follow
// (setBusy on engine.io's "packetCreate", idle again on the transport's
// "ready") native broadcasts and socket.io's own writes to the same client
// arrive in the order they were made.

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { Server } = require('socket.io');
const { io: connect } = require('socket.io-client');
const { Encoder } = require('socket.io-parser');
const binding = require('../lib/binding');
const { descriptorOfEngineSocket, isEngineSocketIdle } = require('../lib/fanout/websocket-descriptor');

const fanout = binding.native ? binding.addon.fanout : null;
const skip = fanout ? false : `native addon not loaded (${binding.reason})`;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A socket.io server whose websocket connections are registered with the fan-out. */
async function startServer(options = {}) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, options);
  const entries = new Map();  // socket.id -> { id, socket }
  const rejected = [];
  const rawSocketOf = (conn) => conn.transport.socket._socket;

  const register = (socket) => {
    const conn = socket.conn;
    const { fd, reason } = descriptorOfEngineSocket(conn);
    if (reason) {
      rejected.push(reason);
      return;
    }
    const id = fanout.register(fd);
    const entry = { id, socket };
    entries.set(socket.id, entry);
    // engine.io is about to write something of its own: corked frames go
    // first, and the connection is busy until engine.io is done.
    const onPacketCreate = () => {
      const rest = fanout.setBusy(id, true);
      if (rest) rawSocketOf(conn).write(Buffer.concat(rest));
    };
    const onReady = () => {
      if (isEngineSocketIdle(conn)) fanout.setBusy(id, false);
    };
    conn.on('packetCreate', onPacketCreate);
    // "ready", not "drain": the websocket transport emits "drain" before it
    // sets writable back to true, and "ready" after.
    conn.transport.on('ready', onReady);
    rawSocketOf(conn).once('close', () => {
      conn.off('packetCreate', onPacketCreate);
      entries.delete(socket.id);
      fanout.unregister(id);
    });
  };
  io.on('connection', register);
  fanout.onRemainder((ids, buffers) => {
    for (let i = 0; i < ids.length; i++) {
      for (const entry of entries.values()) {
        if (entry.id !== ids[i]) continue;
        const conn = entry.socket.conn;
        rawSocketOf(conn).write(Buffer.concat(buffers[i]), () => {
          if (isEngineSocketIdle(conn)) fanout.setBusy(entry.id, false);
        });
      }
    }
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const out = new Uint32Array(64);
  const ids = new Uint32Array(64);
  const encoder = new Encoder();
  return {
    io,
    entries,
    rejected,
    port: httpServer.address().port,
    /** What NativeAdapter#broadcast will do, for the given sockets. */
    broadcast(packet, sockets) {
      const encoded = encoder.encode({ ...packet, nsp: '/' });
      for (let i = 0; i < sockets.length; i++) ids[i] = entries.get(sockets[i].id).id;
      const handed = fanout.broadcast(encoded[0], ids, sockets.length, out, encoded.slice(1));
      for (let i = 0; i < handed; i++) {
        for (const entry of entries.values()) {
          if (entry.id === out[i]) entry.socket.client.writeToEngine(encoded, { preEncoded: true });
        }
      }
    },
    async close() {
      io.close();
      for (let i = 0; i < 100 && entries.size > 0; i++) await turn();
      assert.strictEqual(entries.size, 0);
    },
  };
}

function client(port, options) {
  const socket = connect(`http://127.0.0.1:${port}`, { forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

test('a socket.io client decodes natively written events and attachments', { skip, timeout: 60000 }, async () => {
  const server = await startServer();
  const sockets = await Promise.all([0, 1, 2].map(() => client(server.port, { transports: ['websocket'] })));
  for (let i = 0; i < 100 && server.entries.size < 3; i++) await turn();
  assert.strictEqual(server.entries.size, 3);
  const received = sockets.map(() => []);
  sockets.forEach((s, i) => s.onAny((...args) => received[i].push(args)));
  const serverSockets = [...server.entries.values()].map((e) => e.socket);
  const before = fanout.stats();
  server.broadcast({ type: 2, data: ['hello', 1, { a: 'é😀' }] }, serverSockets);
  server.broadcast({ type: 2, data: ['bin', Buffer.from([1, 2, 3]), { b: Buffer.alloc(70000, 9) }] }, serverSockets);
  for (let i = 0; i < 1000 && received.some((r) => r.length < 2); i++) await turn();
  for (const r of received) {
    assert.deepStrictEqual(r[0], ['hello', 1, { a: 'é😀' }]);
    assert.strictEqual(r[1][0], 'bin');
    assert.deepStrictEqual([...r[1][1]], [1, 2, 3]);
    assert.ok(Buffer.from(r[1][2].b).equals(Buffer.alloc(70000, 9)));
  }
  assert.strictEqual(fanout.stats().framesWritten - before.framesWritten, 3 * 4);
  for (const s of sockets) s.disconnect();
  await server.close();
});

test('native broadcasts and socket.io writes to one client stay in order', { skip, timeout: 60000 }, async () => {
  const server = await startServer();
  const socket = await client(server.port, { transports: ['websocket'] });
  for (let i = 0; i < 100 && server.entries.size < 1; i++) await turn();
  const [entry] = server.entries.values();
  const seen = [];
  socket.on('m', (n) => seen.push(n));
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let n = 0;
  const before = fanout.stats();
  for (let t = 0; t < 200; t++) {
    for (let k = 0; k < 6; k++) {
      if (random() < 0.3) entry.socket.emit('m', n++);
      else server.broadcast({ type: 2, data: ['m', n++] }, [entry.socket]);
    }
    await turn();
  }
  for (let i = 0; i < 2000 && seen.length < n; i++) await turn();
  assert.deepStrictEqual(seen, Array.from({ length: n }, (_, i) => i));
  const after = fanout.stats();
  assert.ok(after.framesWritten > before.framesWritten, 'nothing took the native path');
  assert.ok(after.handedBusy > before.handedBusy, 'nothing took the standard path');
  socket.disconnect();
  await server.close();
});

test('polling and permessage-deflate connections are not registered', { skip, timeout: 60000 }, async () => {
  const polling = await startServer();
  const a = await client(polling.port, { transports: ['polling'], upgrade: false });
  for (let i = 0; i < 100 && polling.rejected.length < 1; i++) await turn();
  assert.deepStrictEqual(polling.rejected, ['transport']);
  a.disconnect();
  await polling.close();

  const deflate = await startServer({ perMessageDeflate: { threshold: 0 } });
  const b = await client(deflate.port, { transports: ['websocket'] });
  for (let i = 0; i < 100 && deflate.rejected.length < 1; i++) await turn();
  assert.deepStrictEqual(deflate.rejected, ['deflate']);
  b.disconnect();
  await deflate.close();
});
