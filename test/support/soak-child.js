'use strict';

/**
 * Soak workloads, run in a child process started with --expose-gc by
 * test/soak.test.js. The workload is the first argument, the adapter kind
 * ("ours" or "stock") the second; the result is one JSON line on stdout.
 */

const fs = require('node:fs');
const http = require('node:http');
const { Server } = require('socket.io');
const { WebSocket } = require('ws');
const { createAdapter, parser, nativeMemory } = require('../../lib/index');

const [workload, kind = 'ours'] = process.argv.slice(2);

/** @returns {any} socket.io server options for the kind */
function serverOptions() {
  return kind === 'ours' ? { adapter: createAdapter(), parser } : {};
}

/** Full collections until the heap stops shrinking, a bounded number of times. */
async function settle() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** @returns {number} open file descriptors (Linux), or -1 */
function openFds() {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/**
 * @returns {Promise<{ rss: number, heap: number, native: number, registries: number,
 *   fanoutConnections: number, fds: number }>}
 */
async function measure() {
  await settle();
  const m = nativeMemory();
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heap: usage.heapUsed,
    native: m.registryBytes,
    registries: m.registries,
    // Connections registered with the native fan-out (each holds a
    // duplicated descriptor until unregistered).
    fanoutConnections: m.fanout ? m.fanout.connections : 0,
    fds: openFds(),
  };
}

/**
 * 1,000,000 join/leave operations and 10,000 connect/disconnect cycles
 * through the adapter, with broadcasts in between, in two rounds.
 */
async function adapterWorkload() {
  const io = new Server(serverOptions());
  const nsp = io.of('/soak');
  const adapter = nsp.adapter;
  const SOCKETS = 1000;
  const ROOMS = 200;
  const OPS_PER_ROUND = 500000;
  const CYCLES_PER_ROUND = 5000;
  let broadcasts = 0;

  const round = () => {
    // Join/leave: each socket walks rooms, joining one and leaving another.
    for (let i = 0; i < OPS_PER_ROUND; i += 2) {
      const id = `s${i % SOCKETS}`;
      const room = `r${(i * 7919) % ROOMS}`;
      adapter.addAll(id, new Set([room]));
      adapter.del(id, `r${(i * 104729 + 13) % ROOMS}`);
      if (i % 10000 === 0) {
        nsp.to(room).except(`r${(i + 1) % ROOMS}`).emit('tick', i);
        broadcasts++;
      }
    }
    for (let k = 0; k < SOCKETS; k++) adapter.delAll(`s${k}`);
    // Connect/disconnect as socket.io does it: the own room, two more, leave all.
    for (let c = 0; c < CYCLES_PER_ROUND; c++) {
      const id = `c${c}`;
      adapter.addAll(id, new Set([id]));
      adapter.addAll(id, new Set([`r${c % ROOMS}`, 'all']));
      if (c % 500 === 0) {
        nsp.to('all').emit('tick', c);
        broadcasts++;
      }
      adapter.delAll(id);
    }
  };

  // A warm-up round reaches the tables' peak sizes; the baseline follows it.
  const before = await measure();
  round();
  const baseline = await measure();
  round();
  const afterRound2 = await measure();
  round();
  const after = await measure();
  const result = {
    ops: 3 * OPS_PER_ROUND,
    cycles: 3 * CYCLES_PER_ROUND,
    broadcasts,
    before,
    baseline,
    afterRound2,
    after,
    rooms: adapter.rooms.size,
    sids: adapter.sids.size,
  };
  // No http server was attached, so there is no engine for io.close() to close.
  return result;
}

/**
 * Opens `count` raw websocket clients to `/`, waits until each joined.
 *
 * @param {number} port
 * @param {number} count
 * @returns {Promise<WebSocket[]>}
 */
function openClients(port, count) {
  const clients = [];
  const ready = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      closeTimeout: 1000,
    });
    clients.push(ws);
    ready.push(new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', function onMessage(data) {
        const text = data.toString();
        if (text.startsWith('0')) ws.send('40');
        else if (text.startsWith('40')) {
          ws.off('message', onMessage);
          resolve();
        }
      });
    }));
  }
  return Promise.all(ready).then(() => clients);
}

/**
 * Opens `count` clients like openClients, at most 100 connecting at a time,
 * so that a busy machine does not drop handshakes of a burst; all stay open.
 *
 * @param {number} port
 * @param {number} count
 * @returns {Promise<WebSocket[]>}
 */
async function openManyClients(port, count) {
  const clients = [];
  while (clients.length < count) clients.push(...await openClients(port, Math.min(100, count - clients.length)));
  return clients;
}

/**
 * @param {() => boolean} predicate
 * @param {string} what
 */
async function until(predicate, what) {
  for (let i = 0; i < 1000; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`condition never held: ${what}`);
}

/** Real connect/disconnect cycles in batches, with broadcasts in between. */
async function connectWorkload(total) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, serverOptions());
  io.on('connection', (socket) => {
    socket.join(['all', `room-${socket.id.charCodeAt(0) % 8}`]);
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = httpServer.address().port;
  const BATCH = 100;
  let received = 0;

  const batch = async () => {
    const clients = await openClients(port, BATCH);
    for (const ws of clients) ws.on('message', () => received++);
    io.to('all').emit('tick', 1);
    io.to('room-3').except('room-4').emit('tick', 2);
    for (const ws of clients) ws.close();
    await until(() => io.of('/').sockets.size === 0, 'all sockets gone');
  };

  await batch();
  const baseline = await measure();
  for (let done = BATCH; done < total; done += BATCH) await batch();
  const after = await measure();
  const result = {
    cycles: total,
    received,
    baseline,
    after,
    rooms: io.of('/').adapter.rooms.size,
    sids: io.of('/').adapter.sids.size,
  };
  await new Promise((resolve) => io.close(() => resolve()));
  return result;
}

/**
 * `total` websocket clients connect at once, each server-side socket gets
 * `dataBytes` of `socket.data` and joins two rooms, a broadcast reaches
 * everyone, then every client leaves. Reports the heap before and after
 * (full collections in between) and how many of the server's Socket objects
 * are still reachable: socket.io lets go of a Socket when it disconnects, so
 * nothing of it may stay.
 *
 * @param {number} total
 * @param {number} dataBytes
 */
async function leaveWorkload(total, dataBytes) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, serverOptions());
  /** @type {WeakRef<any>[]} */
  const refs = [];
  let collected = 0;
  const registry = new FinalizationRegistry(() => { collected++; });
  let track = false;
  let joined = 0;
  io.on('connection', (socket) => {
    // A flat string of its own per socket (padEnd or repeat would build a
    // small tree of shared pieces), so that it weighs dataBytes.
    socket.data = { blob: Buffer.alloc(dataBytes, socket.id).toString('latin1') };
    socket.join(['all', `room-${joined++ % 8}`]);
    if (track) {
      refs.push(new WeakRef(socket));
      registry.register(socket, 0);
    }
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = httpServer.address().port;

  const cycle = async (count) => {
    const clients = await openManyClients(port, count);
    let received = 0;
    for (const ws of clients) {
      ws.on('message', (data) => {
        if (data.toString().startsWith('42["tick"')) received++;
      });
    }
    const room3 = io.of('/').adapter.rooms.get('room-3');
    const expected = count + (room3 === undefined ? 0 : room3.size);
    io.to('all').emit('tick', 1);
    io.to('room-3').except('room-4').emit('tick', 2);
    await until(() => received >= expected, 'every client got the broadcasts');
    for (const ws of clients) ws.close();
    await until(() => io.of('/').sockets.size === 0, 'all sockets gone');
    await until(() => clients.every((ws) => ws.readyState === WebSocket.CLOSED), 'all clients closed');
    return { received, expected };
  };

  // A warm-up cycle creates whatever is created once (tables, caches).
  await cycle(Math.min(total, 100));
  const baseline = await measure();
  track = true;
  const { received, expected } = await cycle(total);
  const after = await measure();
  await settle();
  const result = {
    sockets: total,
    dataBytes,
    received,
    expected,
    baseline,
    after,
    reachable: refs.filter((r) => r.deref() !== undefined).length,
    collected,
    rooms: io.of('/').adapter.rooms.size,
    sids: io.of('/').adapter.sids.size,
  };
  await new Promise((resolve) => io.close(() => resolve()));
  return result;
}

/**
 * Like leaveWorkload, but the sockets leave a namespace while their
 * connections stay open (a client multiplexing "/" and "/game" disconnects
 * from "/game" only): the connection stays registered with the native
 * fan-out, and the Socket of "/game" must still be collectable. The
 * baseline is taken with every connection open, so the heap compared is
 * what the "/game" sockets leave behind.
 *
 * @param {number} total
 * @param {number} dataBytes
 */
async function leaveNamespaceWorkload(total, dataBytes) {
  const httpServer = http.createServer();
  const io = new Server(httpServer, serverOptions());
  const game = io.of('/game');
  /** @type {WeakRef<any>[]} */
  const refs = [];
  let track = false;
  let joined = 0;
  game.on('connection', (socket) => {
    socket.data = { blob: Buffer.alloc(dataBytes, socket.id).toString('latin1') };
    socket.join(['all', `room-${joined++ % 8}`]);
    if (track) refs.push(new WeakRef(socket));
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = httpServer.address().port;
  const clients = await openManyClients(port, total);
  let ticks = 0;
  for (const ws of clients) {
    ws.on('message', (data) => {
      if (data.toString().startsWith('42/game,["tick"')) ticks++;
    });
  }

  // Joins "/game" with `count` of the clients, broadcasts there, leaves it.
  const cycle = async (count) => {
    const some = clients.slice(0, count);
    const entered = some.map((ws) => new Promise((resolve) => {
      ws.on('message', function onMessage(data) {
        if (!data.toString().startsWith('40/game,')) return;
        ws.off('message', onMessage);
        resolve();
      });
      ws.send('40/game,');
    }));
    await Promise.all(entered);
    ticks = 0;
    const room3 = game.adapter.rooms.get('room-3');
    const expected = count + (room3 === undefined ? 0 : room3.size);
    game.to('all').emit('tick', 1);
    game.to('room-3').except('room-4').emit('tick', 2);
    await until(() => ticks >= expected, 'every client got the broadcasts');
    for (const ws of some) ws.send('41/game,');
    await until(() => game.sockets.size === 0, 'every socket left /game');
    return { received: ticks, expected };
  };

  // A broadcast on "/" registers every connection with the native fan-out
  // before the baseline: that entry belongs to the open connection, and is
  // not what this workload measures.
  let warm = 0;
  for (const ws of clients) ws.on('message', (data) => { if (data.toString().startsWith('42["warm"')) warm++; });
  io.emit('warm');
  await until(() => warm === total, 'every client got the warm-up broadcast');
  await cycle(Math.min(total, 100));
  const baseline = await measure();
  track = true;
  const { received, expected } = await cycle(total);
  const after = await measure();
  const result = {
    sockets: total,
    dataBytes,
    received,
    expected,
    baseline,
    after,
    reachable: refs.filter((r) => r.deref() !== undefined).length,
    rooms: game.adapter.rooms.size,
    sids: game.adapter.sids.size,
    // Connections still open to "/" (the fan-out keeps those registered).
    open: io.of('/').sockets.size,
  };
  for (const ws of clients) ws.close();
  await new Promise((resolve) => io.close(() => resolve()));
  return result;
}

/**
 * One client stops reading while another keeps reading; broadcasts of 1 KiB
 * go to both. Reports how much the server grew and whether the reading
 * client got everything while the other was stalled.
 */
async function slowConsumerWorkload() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, serverOptions());
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = httpServer.address().port;
  const [slow, fast] = await openClients(port, 2);
  // Counts, and checks that broadcast i arrives i-th.
  const inOrder = (text, count) => text.startsWith(`42["big",${count},`);
  let fastCount = 0;
  let fastOrdered = true;
  fast.on('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('42')) return;
    if (!inOrder(text, fastCount)) fastOrdered = false;
    fastCount++;
  });
  // Stop reading: the kernel buffers fill, then the server's queue grows.
  slow._socket.pause();
  const baseline = await measure();
  const N = 20000;
  const payload = 'x'.repeat(1024);
  for (let i = 0; i < N; i++) {
    io.emit('big', i, payload);
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  await until(() => fastCount >= N, 'the reading client got every broadcast');
  const stalled = await measure();
  // Resume: everything queued reaches the slow client, then memory returns.
  let slowCount = 0;
  let slowOrdered = true;
  slow.on('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('42')) return;
    if (!inOrder(text, slowCount)) slowOrdered = false;
    slowCount++;
  });
  slow._socket.resume();
  await until(() => slowCount >= N, 'the slow client got every broadcast');
  const drained = await measure();
  slow.close();
  fast.close();
  await new Promise((resolve) => io.close(() => resolve()));
  const fanout = nativeMemory().fanout;
  return {
    broadcasts: N,
    bytes: N * 1024,
    fastCount,
    slowCount,
    fastOrdered,
    slowOrdered,
    baseline,
    stalled,
    drained,
    handed: fanout ? { busy: fanout.handedBusy, partial: fanout.handedPartial, written: fanout.framesWritten } : null,
  };
}

// Without a workload (`node --test test/` runs every file) it does nothing.
if (workload !== undefined) (async () => {
  let result;
  if (workload === 'adapter') result = await adapterWorkload();
  else if (workload === 'connect') result = await connectWorkload(Number(process.argv[4] || 10000));
  else if (workload === 'leave') result = await leaveWorkload(Number(process.argv[4] || 2000), Number(process.argv[5] || 0));
  else if (workload === 'leave-namespace') result = await leaveNamespaceWorkload(Number(process.argv[4] || 1000), Number(process.argv[5] || 0));
  else if (workload === 'slow') result = await slowConsumerWorkload();
  else throw new Error(`unknown workload ${workload}`);
  process.stdout.write(JSON.stringify(result) + '\n');
})().catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n');
  // Open servers and clients would keep a failed workload running until the
  // parent's time limit: end now, with the reason.
  process.exit(1);
});
