'use strict';

/**
 * Run by test/hostile-clients.test.js under a low RLIMIT_NOFILE. The kind
 * ("ours" or "stock") is the first argument; does nothing without one.
 *
 * Without a second argument: broadcasts while the process has no file
 * descriptor left, as after a connection flood; prints one JSON line.
 *
 * With "reserve": a server whose clients (in the parent, which has its own
 * limit) take most of the descriptors, driven over the IPC channel by the
 * parent's commands (see serveReserve); each command is answered with one
 * message.
 */

const fs = require('node:fs');
const http = require('node:http');
const { Server } = require('socket.io');
const { WebSocket } = require('ws');
const { createAdapter, parser } = require('../../lib/index');

const kind = process.argv[2];

async function main() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, kind === 'ours' ? { adapter: createAdapter(), parser } : {});
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = httpServer.address().port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  const got = [];
  await new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0')) ws.send('40');
      else if (text.startsWith('40')) resolve();
      else if (text.startsWith('42')) got.push(text);
    });
  });
  // Use up every descriptor (bounded by the low limit the parent set).
  const held = [];
  let exhausted = null;
  for (let i = 0; i < 100000; i++) {
    try {
      held.push(fs.openSync('/dev/null', 'r'));
    } catch (err) {
      exhausted = err.code;
      break;
    }
  }
  const errors = [];
  for (let i = 0; i < 3; i++) {
    try {
      io.emit('x', i);
    } catch (err) {
      errors.push(`${err.code}: ${err.message}`);
    }
  }
  for (const fd of held) fs.closeSync(fd);
  io.emit('x', 3);
  for (let i = 0; i < 200 && got.length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  ws.terminate();
  await new Promise((resolve) => io.close(() => resolve()));
  return { exhausted, errors, got };
}

/**
 * The descriptor-reserve scenario's server. Commands from the parent:
 *  - { cmd: 'emit', from, count, size }: io.emit('x', i, 'x'.repeat(size)) for i in [from, from + count)
 *  - { cmd: 'app' }: what the application can still do: open files, read
 *    its memory usage (libuv opens /proc/self/stat for it)
 *  - { cmd: 'stats' }: the fan-out's counts (null for stock or without the addon)
 *  - { cmd: 'exit' }
 * Answers every command with { ok, ... }, and sends { port } once listening.
 */
async function serveReserve() {
  const warnings = [];
  process.on('warning', (w) => warnings.push({ code: w.code, message: w.message }));
  const httpServer = http.createServer();
  const io = new Server(httpServer, kind === 'ours' ? { adapter: createAdapter(), parser } : {});
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const adapter = io.of('/').adapter;
  const stats = () => (typeof adapter.stats === 'function' && adapter.stats().fanout === true ? adapter.stats() : null);
  process.on('message', (m) => {
    if (m.cmd === 'emit') {
      const errors = [];
      for (let i = m.from; i < m.from + m.count; i++) {
        try {
          io.emit('x', i, 'x'.repeat(m.size));
        } catch (err) {
          errors.push(`${err.code}: ${err.message}`);
        }
      }
      process.send({ ok: true, errors });
    } else if (m.cmd === 'app') {
      const opened = [];
      const errors = [];
      for (let i = 0; i < 8; i++) {
        try {
          opened.push(fs.openSync(__filename, 'r'));
        } catch (err) {
          errors.push(err.code);
        }
      }
      let rss = false;
      try {
        rss = process.memoryUsage().rss > 0;
      } catch (err) {
        errors.push(`memoryUsage: ${err.code}`);
      }
      for (const fd of opened) fs.closeSync(fd);
      process.send({ ok: true, files: opened.length, rss, errors });
    } else if (m.cmd === 'stats') {
      process.send({ ok: true, stats: stats(), warnings });
    } else if (m.cmd === 'exit') {
      io.close(() => process.exit(0));
    }
  });
  process.send({ port: httpServer.address().port });
}

if (kind !== undefined && process.argv[3] === 'reserve') {
  serveReserve().catch((err) => {
    process.stderr.write(String(err && err.stack) + '\n');
    process.exit(1);
  });
} else if (kind !== undefined) {
  main().then((result) => process.stdout.write(JSON.stringify(result) + '\n'), (err) => {
    process.stderr.write(String(err && err.stack) + '\n');
    process.exitCode = 1;
  });
}
