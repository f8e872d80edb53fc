'use strict';

// adapterStats(io | nsp): one typed way to read a namespace's counters that
// works with the addon and without it (SOCKET_IO_NATIVE_DISABLE=1, where
// socket.io-adapter's Adapter has no stats()). The counts of sockets and
// rooms match what the same scenario gives on stock socket.io (where
// adapterStats reads the default adapter's maps). The declared types are
// checked against the runtime object: its keys, as they are at run time
// (so a counter added to the fan-out only needs its line in
// lib/adapters/adapter.d.ts), are written into a TypeScript object literal typed
// NativeAdapterStats, and tsc must accept it, which fails on a key the
// declaration lacks (excess property), a declared key the object lacks
// (missing property) and a value of another type.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { runBoth, waitFor } = require('./support/e2e');
const { adapterStats } = require('../lib/index');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const root = path.join(__dirname, '..');

/** Clients join rooms, one leaves, broadcasts go out; the stats after it. */
async function scenario(ctx) {
  const { io } = ctx;
  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      socket.join(room);
      ack();
    });
  });
  const chat = io.of('/chat');
  chat.on('connection', (socket) => socket.join('lobby'));
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await ctx.connected('/'));
  for (let i = 0; i < 4; i++) await cs[i].emitWithAck('join', i % 2 === 0 ? 'even' : 'odd');
  await cs[0].emitWithAck('join', 'solo');
  const c = await ctx.connected('/chat');
  const left = waitFor(cs[3], 'disconnect');
  cs[3].disconnect();
  await left;
  for (let i = 0; i < 5; i++) io.to('even').emit('tick', i);
  chat.to('lobby').emit('hello');
  await ctx.barrier(cs.slice(0, 3));
  await ctx.barrier([c], '/chat');
  const main = adapterStats(io);
  const ofChat = adapterStats(chat);
  assert.deepStrictEqual(adapterStats(io.of('/')), main, 'a Server stands for its main namespace');
  return {
    main: { sockets: main.sockets, rooms: main.rooms },
    chat: { sockets: ofChat.sockets, rooms: ofChat.rooms },
    got: cs.slice(0, 3).map((x) => ctx.got(x)),
    full: main,
  };
}

test('adapterStats counts sockets and rooms as stock socket.io has them, in both modes', { timeout: 60000 }, async () => {
  const { stock, ours } = await runBoth({}, scenario);
  // Stock: 3 sockets; rooms: 3 own rooms + even + odd + solo.
  assert.deepStrictEqual(stock.main, { sockets: 3, rooms: 6 });
  assert.deepStrictEqual(stock.chat, { sockets: 1, rooms: 2 });
  assert.strictEqual(stock.full.fanout, false);
  assert.deepStrictEqual(ours.main, stock.main);
  assert.deepStrictEqual(ours.chat, stock.chat);
  assert.deepStrictEqual(ours.got, stock.got);
  assert.strictEqual(ours.full.fanout, fanoutAvailable());
  if (ours.full.fanout) {
    assert.strictEqual(typeof ours.full.broadcasts, 'number');
    assert.ok(ours.full.broadcasts >= 1, 'the fan-out counted the broadcasts');
  }
});

test('adapterStats rejects what is not a Server or Namespace', () => {
  for (const bad of [undefined, null, {}, 'x', { adapter: {} }]) {
    assert.throws(() => adapterStats(/** @type {any} */ (bad)), { code: 'ERR_INVALID_ARG_TYPE' });
  }
});

/** The stats object of a namespace that saw a broadcast, from a fresh process with `env`. */
function runtimeStats(env) {
  const script = `
    const http = require('node:http');
    const { Server } = require('socket.io');
    const { io: connect } = require('socket.io-client');
    const { createAdapter, parser, adapterStats } = require('./lib/index');
    const timer = setTimeout(() => process.exit(2), 20000);
    const httpServer = http.createServer();
    const io = new Server(httpServer, { adapter: createAdapter(), parser });
    io.on('connection', (socket) => { socket.join('r'); io.to('r').emit('x', 1); });
    httpServer.listen(0, '127.0.0.1', () => {
      const client = connect('http://127.0.0.1:' + httpServer.address().port, { transports: ['websocket'] });
      client.on('x', () => {
        console.log(JSON.stringify(adapterStats(io)));
        clearTimeout(timer);
        client.close();
        io.close();
      });
    });
  `;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const result = spawnSync(process.execPath, ['-e', script], { cwd: root, env: childEnv, encoding: 'utf8', timeout: 30000 });
  assert.strictEqual(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

// typescript's export map hides bin/; find it from its package.json.
function tsc() {
  const tscPackage = require.resolve('typescript/package.json');
  return path.join(path.dirname(tscPackage), require(tscPackage).bin.tsc);
}

test('NativeAdapterStats declares exactly the keys adapterStats returns, in every mode', { timeout: 180000 }, (t) => {
  const modes = {
    native: { SOCKET_IO_NATIVE_DISABLE: undefined },
    'native rooms, JS writes': { SOCKET_IO_NATIVE_DISABLE: undefined, SOCKET_IO_NATIVE_FANOUT: '0' },
    disabled: { SOCKET_IO_NATIVE_DISABLE: '1' },
  };
  const objects = Object.entries(modes).map(([mode, env]) => [mode, runtimeStats(env)]);
  const fanoutSeen = objects.some(([, o]) => o.fanout === true);
  if (!fanoutSeen) t.diagnostic('the native fan-out did not load here: only the fanout: false shape was checked');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-stats-types-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'socket.io-native'), 'dir');
  const lines = ['import type { NativeAdapterStats } from "socket.io-native";'];
  for (const [i, [mode, object]] of objects.entries()) {
    lines.push(`// ${mode}`, `export const s${i}: NativeAdapterStats = ${JSON.stringify(object, null, 2)};`);
  }
  fs.writeFileSync(path.join(dir, 'stats.ts'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      strict: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files: ['stats.ts'],
  }));
  const result = spawnSync(process.execPath, [tsc(), '--noEmit', '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 120000 });
  assert.strictEqual(result.error, undefined);
  assert.strictEqual(result.status, 0, `the runtime stats do not match NativeAdapterStats:\n${result.stdout}${result.stderr}\n${lines.join('\n')}`);
});
