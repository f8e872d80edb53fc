'use strict';

// A cluster adapter built on socket.io-adapter's ClusterAdapter (the base of
// the official cluster adapters), with an in-process bus between two
// socket.io servers, run as is and wrapped with nativeRooms(): its super
// calls (broadcast, broadcastWithAck, addSockets, delSockets,
// disconnectSockets, fetchSockets) must reach the native rooms and give the
// same outcome.

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { Server } = require('socket.io');
const ioc = require('socket.io-client');
const { ClusterAdapter } = require('socket.io-adapter');
const { nativeRooms } = require('../lib/rooms/native-rooms');
const { MapView } = require('../lib/rooms/map-view');
const { waitFor, nativeMode } = require('./support/e2e');

/**
 * @param {boolean} native wrap with nativeRooms()
 * @returns {(nsp: any) => any} the adapter option for both servers
 */
function busAdapter(native) {
  const adapters = new Set();
  class BusAdapter extends ClusterAdapter {
    constructor(nsp) {
      super(nsp);
      adapters.add(this);
    }
    serverCount() {
      let n = 0;
      for (const a of adapters) if (a.nsp.name === this.nsp.name) n++;
      return Promise.resolve(n);
    }
    doPublish(message) {
      for (const a of adapters) {
        if (a !== this && a.nsp.name === message.nsp) setImmediate(() => a.onMessage(message));
      }
      return Promise.resolve('');
    }
    doPublishResponse(uid, response) {
      for (const a of adapters) {
        if (a.uid === uid && a.nsp.name === response.nsp) setImmediate(() => a.onResponse(response));
      }
      return Promise.resolve();
    }
    close() {
      adapters.delete(this);
    }
  }
  const C = native ? nativeRooms(BusAdapter) : BusAdapter;
  return function adapter(nsp) {
    return new C(nsp);
  };
}

/**
 * @param {boolean} native
 * @returns {Promise<any>} the outcome
 */
async function scenario(native) {
  const adapter = busAdapter(native);
  const servers = [];
  const clients = [];
  const labels = new Map();
  const label = (v) => (labels.has(v) ? labels.get(v) : v);
  try {
    for (let k = 0; k < 2; k++) {
      const httpServer = http.createServer();
      const io = new Server(httpServer, { adapter });
      io.on('connection', (socket) => {
        labels.set(socket.id, `#${socket.handshake.auth.i}`);
        socket.join(socket.handshake.auth.rooms);
      });
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      servers.push({ io, port: httpServer.address().port });
    }
    const plan = [[0, ['r', 'a']], [0, ['b']], [1, ['r']], [1, ['b', 'a']]];
    for (const [k, rooms] of plan) {
      const i = clients.length;
      const c = ioc(`http://127.0.0.1:${servers[k].port}`, {
        forceNew: true, reconnection: false, transports: i % 2 ? ['polling'] : ['websocket'], auth: { i, rooms },
      });
      c.received = [];
      c.onAny((...args) => c.received.push(args));
      c.on('q', (n, cb) => cb(`${i}:${n}`));
      clients.push(c);
      await waitFor(c, 'connect');
    }
    const [A, B] = servers.map((s) => s.io);
    if (native) assert.ok(A.of('/').adapter.rooms instanceof MapView, 'native rooms in use');
    const ids = async (op) => (await op.fetchSockets()).map((s) => [label(s.id), [...s.rooms].map(label).sort()]).sort();
    const out = {};
    A.to('r').emit('m', 1);
    B.to(['a', 'b']).except('r').emit('m', 2);
    A.except('a').emit('m', 3);
    out.fetchR = await ids(A.in('r'));
    out.fetchAll = await ids(B);
    A.in('a').socketsJoin('j');
    B.in('b').socketsLeave('b');
    // Let the published operations reach the other server.
    await new Promise((resolve) => setImmediate(resolve));
    out.fetchJ = await ids(B.in('j'));
    out.fetchB = await ids(A.in('b'));
    out.acks = await new Promise((resolve) => {
      A.to('j').timeout(2000).emit('q', 'x', (err, res) => resolve([err && err.message, [...res].sort()]));
    });
    const seen = clients.map((c) => waitFor(c, 'barrier'));
    A.emit('barrier');
    await Promise.all(seen);
    // Packets from the other server arrive through the bus, so only the set
    // of packets per client is defined, not their order.
    out.got = clients.map((c) => c.received.filter((e) => e[0] === 'm').sort((x, y) => x[1] - y[1]));
    const gone = waitFor(clients[2], 'disconnect');
    A.in('r').except('a').disconnectSockets(true);
    out.reason = (await gone)[0];
    return out;
  } finally {
    for (const c of clients) c.disconnect();
    for (const s of servers) await new Promise((resolve) => s.io.close(() => resolve()));
  }
}

test('a ClusterAdapter-based adapter on top of nativeRooms() behaves the same across two servers', async () => {
  const stock = await scenario(false);
  const ours = await scenario(nativeMode);
  assert.deepStrictEqual(ours, stock);
  assert.deepStrictEqual(stock.got, [[['m', 1]], [['m', 2], ['m', 3]], [['m', 1], ['m', 3]], [['m', 2]]]);
  assert.deepStrictEqual(stock.acks, [null, ['0:x', '3:x']]);
  assert.strictEqual(stock.reason, 'io server disconnect');
});
