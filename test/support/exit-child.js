'use strict';

/**
 * A socket.io server that ends its process (or worker) right after a
 * broadcast, for test/close-order.test.js: the parent's clients record what
 * arrived, with stock and with this package.
 *
 *   node exit-child.js <stock|ours> <scenario> <clients>
 *
 * The server prints `{"port":N}` once listening. Once `clients` clients have
 * emitted "ready" it broadcasts "barrier" (which registers the websocket
 * connections with the native fan-out), waits until every connection can
 * take a packet at once (a long-polling request is pending, no upgrade is
 * under way), and sends itself SIGTERM. Scenarios:
 *
 *  - exit: the SIGTERM handler broadcasts and calls process.exit(0);
 *  - exit-listener: the SIGTERM handler calls process.exit(0), and an "exit"
 *    listener the application added after creating the server (so after
 *    the package's own) broadcasts;
 *  - exit-listener-first: the same with a listener added before the server;
 *  - worker-exit: the server runs in a worker, which broadcasts and calls
 *    process.exit(0) when told;
 *  - worker-terminate: the server runs in a worker, which broadcasts, tells
 *    the main thread and never yields again; the main thread terminates it.
 *
 * Before ending it prints `{"corked":...}`: with this package and its
 * fan-out, whether the last broadcasts were corked natively; null otherwise.
 */

const http = require('node:http');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { Server } = require('socket.io');
const { createAdapter, parser } = require('../../lib/index');
const { fanoutAvailable } = require('../../lib/fanout/native-fanout');

/** Frames corked natively so far, or null when nothing is corked natively here. */
function framesQueued(io, kind) {
  if (kind !== 'ours' || !fanoutAvailable()) return null;
  return io.of('/').adapter.stats().framesQueued;
}

/** The final broadcasts: plain, to a room, with an attachment, and a large one. */
function lastWords(io) {
  io.emit('restart', 1);
  io.to('even').emit('restart', 2);
  io.emit('restart', 3, Buffer.from([1, 2, 3]));
  io.emit('restart', 4, 'z'.repeat(100000));
}

/**
 * @param {'stock' | 'ours'} kind
 * @param {number} count
 * @param {(io: any) => void} armed called once the server is ready for the end
 * @returns {Promise<any>} the Server
 */
async function serve(kind, count, armed) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, kind === 'ours' ? { adapter: createAdapter(), parser } : {});
  let ready = 0;
  io.on('connection', (socket) => {
    if (socket.handshake.auth.i % 2 === 0) socket.join('even');
    socket.on('ready', async () => {
      if (++ready !== count) return;
      io.emit('barrier');
      // Every connection able to take a packet at once: a long-polling client
      // has its next request pending, no upgrade is under way.
      for (let i = 0; i < 500; i++) {
        const all = [...io.of('/').sockets.values()].every((s) => s.conn.transport.writable && !s.conn.upgrading);
        if (all) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      armed(io);
    });
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { io, port: httpServer.address().port };
}

function print(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

if (!isMainThread) {
  const { kind, count, scenario } = workerData;
  serve(kind, count, () => parentPort.postMessage({ armed: true })).then(({ io, port }) => {
    parentPort.postMessage({ port });
    parentPort.on('message', () => {
      const before = framesQueued(io, kind);
      lastWords(io);
      const corked = before === null ? null : framesQueued(io, kind) > before;
      if (scenario === 'worker-exit') {
        parentPort.postMessage({ corked });
        process.exit(0);
      }
      parentPort.postMessage({ corked, spinning: true });
      // Never yield: the loop's flush cannot run before terminate().
      for (;;);
    });
  });
} else if (process.argv[2] !== undefined) {
  const [kind, scenario, countText] = process.argv.slice(2);
  const count = Number(countText);
  if (scenario.startsWith('exit')) {
    /** @type {any} */
    let server = null;
    const fromExit = () => {
      const before = framesQueued(server, kind);
      lastWords(server);
      print({ corked: before === null ? null : framesQueued(server, kind) > before });
    };
    if (scenario === 'exit-listener-first') process.on('exit', fromExit);
    serve(kind, count, () => process.kill(process.pid, 'SIGTERM')).then(({ io, port }) => {
      server = io;
      if (scenario === 'exit-listener') process.on('exit', fromExit);
      process.on('SIGTERM', () => {
        if (scenario === 'exit') fromExit();
        process.exit(0);
      });
      print({ port });
    });
  } else {
    const worker = new Worker(__filename, { workerData: { kind, count, scenario } });
    worker.on('message', async (m) => {
      if (m.port !== undefined) print({ port: m.port });
      if (m.armed) process.kill(process.pid, 'SIGTERM');
      if (m.corked !== undefined) print({ corked: m.corked });
      if (m.spinning) {
        await worker.terminate();
        process.exit(0);
      }
    });
    worker.on('exit', () => process.exit(0));
    process.on('SIGTERM', () => worker.postMessage('end'));
  }
}
