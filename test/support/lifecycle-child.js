'use strict';

/**
 * Lifecycle scenarios, each run in its own child process by
 * test/lifecycle.test.js (a crash there must not take the test runner
 * down). The scenario is the first argument; the child prints one JSON line
 * and must end by itself.
 */

const http = require('node:http');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { Server } = require('socket.io');
const ioc = require('socket.io-client');
const { createAdapter, parser, nativeMemory, native } = require('../../lib/index');

/**
 * A server on loopback with the package, and `count` socket.io clients
 * (alternately websocket and polling) connected and in rooms.
 *
 * @param {number} count
 * @param {string} [nspName]
 */
async function serverWithClients(count, nspName = '/') {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(), parser });
  io.of(nspName).on('connection', (socket) => socket.join(['all', `r${socket.handshake.auth.i % 3}`]));
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${httpServer.address().port}${nspName === '/' ? '' : nspName}`;
  const clients = [];
  for (let i = 0; i < count; i++) {
    clients.push(ioc(url, {
      forceNew: true,
      reconnection: false,
      transports: i % 2 === 0 ? ['websocket'] : ['polling'],
      auth: { i },
    }));
  }
  await Promise.all(clients.map((c) => new Promise((resolve, reject) => {
    c.once('connect', resolve);
    c.once('connect_error', reject);
  })));
  // One broadcast that every client acknowledges by receiving it.
  const got = clients.map((c) => new Promise((resolve) => c.once('hello', resolve)));
  io.of(nspName).to('all').emit('hello', 1);
  await Promise.all(got);
  return { io, httpServer, clients };
}

const scenarios = {
  /**
   * Live connections, then io.close(): the registry empties and the
   * process ends by itself (the parent fails the test if it does not).
   */
  async 'close-exits'() {
    const { io, clients } = await serverWithClients(6);
    const adapter = io.of('/').adapter;
    const live = adapter.sids.size;
    await new Promise((resolve) => io.close(() => resolve()));
    for (const c of clients) c.disconnect();
    // Websocket connections leave the native fan-out when their transport
    // or socket closes, which follows the close handshake: wait for it.
    const registered = () => {
      const fanout = nativeMemory().fanout;
      return fanout ? fanout.connections : 0;
    };
    for (let i = 0; i < 300 && registered() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return { live, rooms: adapter.rooms.size, sids: adapter.sids.size, fanoutConnections: registered() };
  },

  /** Live connections, then process.exit(): native cleanup at exit. */
  async 'exit-live'() {
    await serverWithClients(6);
    process.stdout.write(JSON.stringify({ exiting: true, native }) + '\n');
    process.exit(0);
  },

  /**
   * Several servers and namespaces in one process; after io.close() and a
   * full collection, every native registry is released.
   */
  async 'many-servers'() {
    const before = nativeMemory().registries;
    // Everything that references the servers stays inside this function, so
    // that after it returns only the collector can release the registries.
    const { during, emptied, seen } = await (async () => {
      const a = await serverWithClients(4, '/');
      const b = await serverWithClients(4, '/chat');
      const c = await serverWithClients(4, '/chat');
      // Namespaces are isolated: a broadcast on one server reaches only its clients.
      const got = [];
      for (const [k, s] of [['a', a], ['b', b], ['c', c]]) for (const cl of s.clients) cl.on('only', (x) => got.push(`${k}${x}`));
      const marks = b.clients.map((cl) => new Promise((resolve) => cl.once('mark', resolve)));
      b.io.of('/chat').to('r1').emit('only', 'b');
      b.io.of('/chat').emit('mark');
      await Promise.all(marks);
      const count = nativeMemory().registries;
      const adapters = [a.io.of('/').adapter, b.io.of('/chat').adapter, c.io.of('/chat').adapter];
      for (const s of [a, b, c]) {
        await new Promise((resolve) => s.io.close(() => resolve()));
        for (const cl of s.clients) cl.disconnect();
      }
      return { during: count, emptied: adapters.every((ad) => ad.rooms.size === 0 && ad.sids.size === 0), seen: got.sort() };
    })();
    let after = -1;
    for (let i = 0; i < 50; i++) {
      global.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = nativeMemory().registries;
      if (after === before) break;
    }
    return { before, during, after, emptied, seen };
  },

  /**
   * Workers, each with the addon loaded and a server with clients; some are
   * terminated with live connections, one closes and ends by itself.
   */
  async workers() {
    const main = await serverWithClients(2);
    const started = [];
    for (let i = 0; i < 4; i++) {
      const worker = new Worker(__filename, { workerData: { role: 'server', closeItself: i === 3 } });
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      started.push(new Promise((resolve, reject) => {
        worker.once('message', (m) => resolve({ worker, m, exited }));
        worker.once('error', reject);
      }));
    }
    const workers = await Promise.all(started);
    const reports = workers.map((w) => w.m);
    const exits = await Promise.all(workers.map(({ worker, m, exited }) => (m.closeItself
      ? exited
      : worker.terminate())));
    // The main thread's server still works after the workers went away.
    const got = main.clients.map((c) => new Promise((resolve) => c.once('after', resolve)));
    main.io.to('all').emit('after', 1);
    await Promise.all(got);
    await new Promise((resolve) => main.io.close(() => resolve()));
    for (const c of main.clients) c.disconnect();
    return { reports, exits };
  },
};

if (!isMainThread) {
  (async () => {
    const { io, clients } = await serverWithClients(4);
    const report = { native, sids: io.of('/').adapter.sids.size, registries: nativeMemory().registries, closeItself: workerData.closeItself };
    if (workerData.closeItself) {
      await new Promise((resolve) => io.close(() => resolve()));
      for (const c of clients) c.disconnect();
    }
    parentPort.postMessage(report);
  })();
} else if (process.argv[2] !== undefined) {
  // Without a scenario (`node --test test/` runs every file) it does nothing.
  const name = process.argv[2];
  scenarios[name]().then((result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
  }, (err) => {
    process.stderr.write(String(err && err.stack) + '\n');
    process.exitCode = 1;
  });
}

module.exports = { path: path.resolve(__filename) };
