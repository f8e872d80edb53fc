'use strict';

/**
 * End-to-end harness: runs one scenario against a real socket.io server with
 * the stock adapter and again with this package's adapter, with real
 * socket.io-client connections over loopback, and returns both outcomes.
 */

const http = require('node:http');
const { Server } = require('socket.io');
const ioc = require('socket.io-client');
const { createAdapter } = require('../../lib/adapters/create-adapter');
const { NativeAdapter } = require('../../lib/adapters/adapter');
const { accelerate, accelerationOf } = require('../../lib/adapters/accelerate');
const binding = require('../../lib/binding');

const nativeMode = binding.native && binding.addon.registry != null;
const WAIT_MS = 5000;

/**
 * Resolves with the arguments of the next `event`, rejects after a bound.
 *
 * @param {any} emitter
 * @param {string} event
 * @returns {Promise<any[]>}
 */
function waitFor(emitter, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no "${event}" event`));
    }, WAIT_MS);
    function on(...args) {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, on);
  });
}

/**
 * Polls `predicate` on the event loop until true, a bounded number of times.
 *
 * @param {() => boolean} predicate
 * @param {string} what
 */
async function until(predicate, what) {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition never held: ${what}`);
}

/** Transports by client index: websocket, long-polling, polling upgraded to websocket. */
const TRANSPORTS = [['websocket'], ['polling'], ['polling', 'websocket']];

/**
 * @param {'stock' | 'ours'} kind
 * @param {any} serverOpts
 * @param {(ctx: any) => Promise<any>} scenario
 * @param {{ clientOpts?: any, adapter?: () => any }} [harnessOpts] clientOpts: options of every
 *   client (such as the `parser` that matches the server's); adapter: see runBoth()
 * @returns {Promise<any>} the scenario's outcome
 */
async function runWith(kind, serverOpts, scenario, harnessOpts = {}) {
  const adapter = harnessOpts.adapter;
  const httpServer = http.createServer();
  const opts = { ...serverOpts };
  // With `adapter` (a function making an adapter factory): that adapter as
  // it is for stock, and through accelerate() for ours.
  if (adapter !== undefined) opts.adapter = kind === 'ours' ? accelerate(adapter()) : adapter();
  else if (kind === 'ours') opts.adapter = createAdapter();
  const io = new Server(httpServer, opts);
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  /** @type {any[]} */
  const clients = [];
  /** socket id -> label, for outcomes that must not depend on random ids */
  const labels = new Map();
  io.on('new_namespace', (nsp) => nsp.on('connection', (s) => labels.set(s.id, `#${s.handshake.auth.i}`)));
  io.of('/').on('connection', (s) => labels.set(s.id, `#${s.handshake.auth.i}`));

  const ctx = {
    io,
    url,
    kind,
    labels,
    /**
     * Connects client number `clients.length`; it records every event it gets.
     *
     * @param {string} [nsp]
     * @param {any} [auth]
     * @param {any} [copts]
     */
    connect(nsp = '/', auth = {}, copts = {}) {
      const i = clients.length;
      const client = ioc(url + nsp, {
        forceNew: true,
        reconnection: false,
        transports: TRANSPORTS[i % TRANSPORTS.length],
        auth: { i, ...auth },
        ...harnessOpts.clientOpts,
        ...copts,
      });
      client.received = [];
      client.onAny((...args) => client.received.push(args));
      clients.push(client);
      return client;
    },
    /** Connects and waits for the connection. */
    async connected(nsp, auth, copts) {
      const c = ctx.connect(nsp, auth, copts);
      await waitFor(c, 'connect');
      return c;
    },
    /**
     * Emits a marker to every client of `nsp` and waits until each got it:
     * per-connection order then guarantees all earlier packets arrived.
     *
     * @param {any[]} cs clients to wait for
     * @param {string} [nsp]
     */
    async barrier(cs, nsp = '/') {
      const seen = cs.map((c) => waitFor(c, 'barrier'));
      io.of(nsp).emit('barrier');
      await Promise.all(seen);
    },
    /** @param {any} value replaces socket ids with stable labels */
    label(value) {
      if (typeof value === 'string' && labels.has(value)) return labels.get(value);
      if (Array.isArray(value)) return value.map((v) => ctx.label(v));
      return value;
    },
    /** @param {any} client the events it received, without barriers */
    got(client) {
      return client.received.filter((e) => e[0] !== 'barrier').map((e) => ctx.label(e));
    },
    /** @param {any} nsp asserts which adapter class runs the namespace */
    checkAdapter(nsp) {
      if (kind === 'ours' && nativeMode && adapter !== undefined) {
        const outcome = accelerationOf(nsp.adapter);
        if (!outcome || !outcome.accelerated) throw new Error(`namespace ${nsp.name} is not accelerated`);
        return;
      }
      if (kind === 'ours' && nativeMode && !(nsp.adapter instanceof NativeAdapter)) {
        throw new Error(`namespace ${nsp.name} does not run the native adapter`);
      }
    },
  };
  try {
    ctx.checkAdapter(io.of('/'));
    return await scenario(ctx);
  } finally {
    for (const c of clients) c.disconnect();
    await new Promise((resolve) => io.close(() => resolve()));
  }
}

/**
 * Runs the scenario with the stock adapter and with ours.
 *
 * @param {any} serverOpts
 * @param {(ctx: any) => Promise<any>} scenario
 * @param {{ clientOpts?: any, adapter?: () => any }} [harnessOpts] see runWith;
 *   `adapter` makes the adapter factory stock runs as it is and ours runs
 *   through accelerate() (without it: socket.io's default adapter against
 *   createAdapter())
 * @returns {Promise<{ stock: any, ours: any }>}
 */
async function runBoth(serverOpts, scenario, harnessOpts) {
  const stock = await runWith('stock', serverOpts, scenario, harnessOpts);
  const ours = await runWith('ours', serverOpts, scenario, harnessOpts);
  return { stock, ours };
}

module.exports = { runBoth, waitFor, until, nativeMode };
