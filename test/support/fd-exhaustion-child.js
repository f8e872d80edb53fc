'use strict';

/**
 * Broadcasts while the process has no file descriptor left, as after a
 * connection flood: run by test/hostile-clients.test.js under a low
 * RLIMIT_NOFILE. The kind ("ours" or "stock") is the first argument; prints
 * one JSON line. Does nothing without an argument.
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

if (kind !== undefined) {
  main().then((result) => process.stdout.write(JSON.stringify(result) + '\n'), (err) => {
    process.stderr.write(String(err && err.stack) + '\n');
    process.exitCode = 1;
  });
}
