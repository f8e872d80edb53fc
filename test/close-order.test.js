'use strict';

// A connection that ends right after a broadcast gets that broadcast first,
// as with stock socket.io, whichever way it ends: io.close(),
// socket.conn.close(), io.engine.close(), socket.disconnect(true),
// disconnectSockets(true), ws's terminate() and close frame, the net.Socket
// ended, process.exit() and a terminated worker. The native fan-out corks
// frames until the end of the loop iteration, so each of these must first
// write what is corked for the connection (docs/fanout.md, "Two writers on
// one descriptor"). The same holds for bytes ws writes on its own (a pong,
// a close frame after a protocol error) and for direct transport writes:
// they come after what was broadcast before them, as with stock.
//
// Each scenario runs on stock and on this package in the same test, and the
// clients' events (in order, with their disconnect reasons) must be equal.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawn } = require('node:child_process');
const ioc = require('socket.io-client');
const { WebSocket } = require('ws');
const { runBoth, waitFor, until } = require('./support/e2e');
const { fanoutAvailable } = require('../lib/fanout/native-fanout');

const fanout = fanoutAvailable();
const CHILD = path.join(__dirname, 'support', 'exit-child.js');
const CHILD_LIMIT_MS = 20000;

/** Defines a test that runs `scenario` on stock and on ours and expects the same outcome. */
function same(name, scenario, check) {
  test(name, { timeout: 60000 }, async () => {
    const { stock, ours } = await runBoth({}, scenario);
    assert.deepStrictEqual(ours, stock);
    if (check) check(stock);
  });
}

/**
 * Connects `n` clients (websocket, long-polling and polling upgraded to
 * websocket, in turn), waits until the upgrades are done, records each
 * client's disconnect reason among its events, and passes a broadcast that
 * every client receives (which registers the websocket connections with
 * the native fan-out). Clients with an even number join room "even".
 *
 * @param {any} ctx
 * @param {number} [n]
 * @returns {Promise<any[]>}
 */
async function clients(ctx, n = 6) {
  ctx.io.on('connection', (socket) => {
    if (socket.handshake.auth.i % 2 === 0) socket.join('even');
  });
  const cs = [];
  for (let i = 0; i < n; i++) cs.push(await ctx.connected('/'));
  await until(() => cs.every((c) => c.io.engine.transport.name === c.io.opts.transports.at(-1)), 'upgrades');
  for (const c of cs) c.on('disconnect', (reason) => c.received.push(['(disconnect)', reason]));
  await ctx.barrier(cs);
  // Every connection able to take a packet at once (a long-polling client has
  // its next request pending): what a close does to polling clients then
  // does not depend on timing, with stock or ours.
  await until(() => sockets(ctx).every((s) => s.conn.transport.writable && !s.conn.upgrading), 'writable transports');
  return cs;
}

/**
 * Runs `broadcast` and, with this package and its fan-out, requires that it
 * corked frames natively: the scenario then exercises what it is about.
 *
 * @param {any} ctx
 * @param {() => void} broadcast
 */
function corked(ctx, broadcast) {
  const adapter = ctx.io.of('/').adapter;
  const native = ctx.kind === 'ours' && fanout;
  const before = native ? adapter.stats().framesQueued : 0;
  broadcast();
  if (native && !(adapter.stats().framesQueued > before)) throw new Error('the broadcast was not corked natively');
}

/** @param {any[]} cs waits until each of these clients disconnected */
async function disconnected(cs) {
  await until(() => cs.every((c) => !c.connected), 'clients disconnected');
}

/** Server-side sockets of the default namespace, in connection order. */
function sockets(ctx) {
  return [...ctx.io.of('/').sockets.values()];
}

/** Whether a client's transport is a websocket (from the start or upgraded). */
const onWebSocket = (i) => i % 3 !== 1;

/** The websocket clients of the stock run received `event` before they disconnected. */
function websocketsGot(event) {
  return (outcome) => {
    outcome.forEach((events, i) => {
      if (!onWebSocket(i)) return;
      const at = events.findIndex((e) => e[0] === event);
      assert.ok(at >= 0, `client ${i} got "${event}" with stock`);
    });
  };
}

same('a broadcast, then io.close()', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.emit('bye', 1));
  ctx.io.close();
  await disconnected(cs);
  return cs.map((c) => ctx.got(c));
}, websocketsGot('bye'));

same('several broadcasts (rooms, attachments, a large one), then io.close()', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => {
    ctx.io.emit('m', 1);
    ctx.io.to('even').emit('m', 2, Buffer.from([7, 8]));
    ctx.io.except('even').emit('m', 3);
    ctx.io.emit('m', 4, 'x'.repeat(200000));
    ctx.io.emit('m', 5);
  });
  ctx.io.close();
  await disconnected(cs);
  return cs.map((c) => ctx.got(c).map((e) => (typeof e[2] === 'string' ? [e[0], e[1], e[2].length] : e)));
}, websocketsGot('m'));

same('broadcasts, then socket.conn.close() (engine.io writes its buffer first)', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => {
    ctx.io.emit('bye', 1);
    ctx.io.to('even').emit('bye', 2, Buffer.from([9]));
    ctx.io.emit('bye', 3);
  });
  for (const s of sockets(ctx)) s.conn.close();
  await disconnected(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  assert.deepStrictEqual(outcome[0], [['bye', 1], ['bye', 2, Buffer.from([9])], ['bye', 3], ['(disconnect)', 'transport close']]);
});

same('a broadcast, then io.engine.close()', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.emit('bye', 1));
  ctx.io.engine.close();
  await disconnected(cs);
  return cs.map((c) => ctx.got(c));
}, websocketsGot('bye'));

same('a broadcast to a room, then socket.disconnect(true) for its members', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.to('even').emit('bye', 1));
  for (const s of sockets(ctx)) if (s.rooms.has('even')) s.disconnect(true);
  await disconnected(cs.filter((c, i) => i % 2 === 0));
  await ctx.barrier(cs.filter((c, i) => i % 2 === 1));
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  assert.deepStrictEqual(outcome[0], [['bye', 1], ['(disconnect)', 'io server disconnect']]);
  assert.deepStrictEqual(outcome[1], []);
});

same('a broadcast to a room, then disconnectSockets(true) on it, then on everyone', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.to('even').emit('bye', 1));
  ctx.io.in('even').disconnectSockets(true);
  await disconnected(cs.filter((c, i) => i % 2 === 0));
  corked(ctx, () => ctx.io.emit('bye', 2));
  ctx.io.disconnectSockets(true);
  await disconnected(cs);
  return cs.map((c) => ctx.got(c));
}, websocketsGot('bye'));

same('a broadcast, then ws terminate() (the net.Socket destroyed)', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.emit('bye', 1));
  const polling = [];
  sockets(ctx).forEach((s, i) => {
    if (s.conn.transport.name === 'websocket') s.conn.transport.socket.terminate();
    else polling.push(cs[i]);
  });
  await disconnected(cs.filter((c) => !polling.includes(c)));
  await until(() => polling.every((c) => c.received.length > 1), 'polling clients got it');
  return cs.map((c) => ctx.got(c));
}, websocketsGot('bye'));

same('a broadcast, then the net.Socket ended', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.emit('bye', 1));
  const polling = [];
  sockets(ctx).forEach((s, i) => {
    if (s.conn.transport.name === 'websocket') s.conn.transport.socket._socket.end();
    else polling.push(cs[i]);
  });
  await disconnected(cs.filter((c) => !polling.includes(c)));
  await until(() => polling.every((c) => c.received.length > 1), 'polling clients got it');
  return cs.map((c) => ctx.got(c));
}, websocketsGot('bye'));

same('a broadcast, then a packet written straight to the websocket transport', async (ctx) => {
  const cs = await clients(ctx);
  corked(ctx, () => ctx.io.emit('m', 1));
  for (const s of sockets(ctx)) {
    if (s.conn.transport.name === 'websocket') s.conn.transport.send([{ type: 'message', data: '2["direct",2]' }]);
  }
  ctx.io.emit('m', 3);
  await ctx.barrier(cs);
  return cs.map((c) => ctx.got(c));
}, (outcome) => {
  assert.deepStrictEqual(outcome[0], [['m', 1], ['direct', 2], ['m', 3]]);
});

/**
 * A plain ws client speaking engine.io v4 / socket.io v5 to the default
 * namespace; records text frames, pongs and the close code, in order.
 *
 * @param {string} url
 */
async function rawClient(url) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const events = [];
  ws.on('message', (data, isBinary) => events.push(isBinary ? ['binary'] : ['text', String(data)]));
  ws.on('pong', () => events.push(['pong']));
  ws.on('close', (code) => events.push(['close', code]));
  await waitFor(ws, 'open');
  await until(() => events.length === 1, 'engine.io open packet');
  ws.send('40');
  await until(() => events.length === 2, 'socket.io connect packet');
  events.length = 0;
  return { ws, events };
}

/**
 * The scenario of the raw-client tests: a raw client that got a first
 * broadcast (which registers it with the fan-out); a message "go" makes the
 * server broadcast synchronously, in the same turn as whatever the client
 * sent right behind it.
 *
 * @param {any} ctx
 * @param {(ws: WebSocket) => void} behind what the client sends right after "go"
 */
async function goThen(ctx, behind) {
  ctx.io.on('connection', (socket) => {
    // engine.io's "message" runs synchronously as the frame is parsed, so the
    // broadcast happens before ws parses the next frame of the same read.
    socket.conn.on('message', (data) => {
      if (data === '2["go"]') corked(ctx, () => ctx.io.emit('m', 1));
    });
  });
  const { ws, events } = await rawClient(ctx.url);
  ctx.io.emit('hello');
  await until(() => events.length === 1, 'first broadcast');
  ws.send('42["go"]');
  behind(ws);
  return { ws, events };
}

same('a broadcast, then the pong ws sends for a client ping', async (ctx) => {
  const { ws, events } = await goThen(ctx, (w) => w.ping());
  await until(() => events.length === 3, 'broadcast and pong');
  ws.close();
  await until(() => events.at(-1)[0] === 'close', 'closed');
  return events;
}, (outcome) => {
  assert.deepStrictEqual(outcome.slice(0, 3), [['text', '42["hello"]'], ['text', '42["m",1]'], ['pong']]);
});

same('a broadcast, then the close frame ws sends for a protocol error', async (ctx) => {
  // Not UTF-8 in a text frame: ws closes with 1007.
  const { events } = await goThen(ctx, (w) => w.send(Buffer.from([0xff, 0xfe]), { binary: false }));
  await until(() => events.at(-1)[0] === 'close', 'closed');
  return events;
}, (outcome) => {
  assert.deepStrictEqual(outcome, [['text', '42["hello"]'], ['text', '42["m",1]'], ['close', 1007]]);
});

/**
 * Runs test/support/exit-child.js with `kind` and `scenario`; its server
 * ends right after broadcasting. Returns what each client received (events
 * in order, disconnect reasons) and the child's report.
 *
 * @param {'stock' | 'ours'} kind
 * @param {string} scenario
 */
async function exitRun(kind, scenario) {
  const count = 6;
  const child = spawn(process.execPath, [CHILD, kind, scenario, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    buffered += d;
    let at;
    while ((at = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, at)));
      buffered = buffered.slice(at + 1);
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  const cs = [];
  try {
    await until(() => lines.length > 0 || child.exitCode !== null, 'child listening');
    assert.ok(lines[0] && lines[0].port, `child did not start: ${stderr}`);
    const url = `http://127.0.0.1:${lines[0].port}`;
    const transports = [['websocket'], ['polling'], ['polling', 'websocket']];
    for (let i = 0; i < count; i++) {
      const c = ioc(url, { forceNew: true, reconnection: false, transports: transports[i % 3], auth: { i } });
      c.received = [];
      c.onAny((...args) => c.received.push(args));
      c.on('disconnect', (reason) => c.received.push(['(disconnect)', reason]));
      cs.push(c);
      await waitFor(c, 'connect');
    }
    await until(() => cs.every((c) => c.io.engine.transport.name === c.io.opts.transports.at(-1)), 'upgrades');
    const barrier = cs.map((c) => waitFor(c, 'barrier'));
    for (const c of cs) c.emit('ready');
    await Promise.all(barrier);
    await disconnected(cs);
    const { code, signal } = await exited;
    assert.strictEqual(signal, null, `child killed: ${stderr}`);
    assert.strictEqual(code, 0, stderr);
    const report = lines.find((l) => l.corked !== undefined);
    assert.ok(report, `no report from the child: ${stderr}`);
    const got = cs.map((c) => c.received
      .filter((e) => e[0] !== 'barrier')
      .map((e) => e.map((x) => (typeof x === 'string' && x.length > 100 ? `${x.length} chars` : x))));
    return { got, corked: report.corked };
  } finally {
    clearTimeout(timer);
    for (const c of cs) c.disconnect();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

for (const [scenario, what, corks] of [
  ['exit', 'a SIGTERM handler broadcasts and calls process.exit(0)', true],
  // The package's own "exit" listener ran before: connections take the standard path.
  ['exit-listener', 'an "exit" listener added after the server broadcasts', false],
  ['exit-listener-first', 'an "exit" listener added before the server broadcasts', true],
  ['worker-exit', 'a worker broadcasts and calls process.exit(0)', true],
  ['worker-terminate', 'a worker broadcasts and is terminated before its loop turns', true],
]) {
  test(`${what}: clients get what stock delivers`, { timeout: 60000 }, async () => {
    const stock = await exitRun('stock', scenario);
    const ours = await exitRun('ours', scenario);
    assert.deepStrictEqual(ours.got, stock.got);
    assert.strictEqual(stock.corked, null);
    assert.strictEqual(ours.corked, fanout ? corks : null);
    stock.got.forEach((events, i) => {
      if (onWebSocket(i)) assert.deepStrictEqual(events[0], ['restart', 1], `client ${i} got the broadcast with stock`);
    });
  });
}
