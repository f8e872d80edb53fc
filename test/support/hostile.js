'use strict';

/**
 * Harness for hostile-client tests: a real socket.io server (stock, or with
 * this package's adapter and parser), raw engine.io v4 clients over
 * websocket and long-polling, well-behaved witnesses that count a
 * sequence-numbered broadcast, and a record of what the server saw.
 */

const http = require('node:http');
const { Server } = require('socket.io');
const ioc = require('socket.io-client');
const { WebSocket } = require('ws');
const { createAdapter, parser } = require('../../lib/index');

const WAIT_MS = 5000;

/**
 * @param {number} ms
 * @returns {Promise<void>}
 */
function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` until true, a bounded number of times.
 *
 * @param {() => boolean} predicate
 * @param {string} what
 * @param {number} [tries]
 */
async function until(predicate, what, tries = 500) {
  for (let i = 0; i < tries; i++) {
    if (predicate()) return;
    await delay(10);
  }
  throw new Error(`condition never held: ${what}`);
}

/**
 * Starts a socket.io server on loopback with a sequence broadcast (`seq`,
 * numbered from 0) that runs until stop(). Every server-side socket records
 * its events, keyed by the `tag` of its handshake query.
 *
 * @param {'stock' | 'ours'} kind
 * @param {any} [serverOpts]
 */
async function startServer(kind, serverOpts = {}) {
  const httpServer = http.createServer();
  const opts = { ...serverOpts };
  if (kind === 'ours') {
    opts.adapter = createAdapter();
    opts.parser = parser;
  }
  const io = new Server(httpServer, opts);
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = httpServer.address().port;
  /** tag -> list of server-side events */
  const seen = new Map();

  /** @param {any} nsp */
  function watch(nsp) {
    nsp.on('connection', (socket) => {
      const tag = String(socket.handshake.query.tag || '');
      const log = seen.get(tag) || [];
      seen.set(tag, log);
      log.push(['connection', nsp.name]);
      // Quiet sockets get no broadcast (so a raw polling client's poll
      // stays pending until the server has something for it).
      if (tag.startsWith('quiet')) socket.join('quiet');
      socket.on('error', (err) => log.push(['error', err && err.message]));
      socket.on('disconnecting', (reason) => log.push(['disconnecting', reason]));
      socket.on('disconnect', (reason) => log.push(['disconnect', reason]));
      socket.onAny((...args) => {
        const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
        log.push(['event', typeof args[0] === 'string' ? args[0].slice(0, 40) : args[0], args.length, ack !== null]);
        // The echo event answers its ack with the argument count, so a
        // test sees which ack id the server writes back.
        if (ack !== null && args[0] === 'echo') ack(args.length - 1);
      });
    });
  }
  watch(io.of('/'));
  watch(io.of('/other'));
  // engine.io level: why each connection closed.
  io.engine.on('connection', (conn) => {
    const tag = new URL(conn.request.url, 'http://x').searchParams.get('tag') || '';
    conn.on('close', (reason) => {
      const log = seen.get(tag) || [];
      seen.set(tag, log);
      log.push(['engine close', reason]);
    });
  });

  let seq = 0;
  let stopped = false;
  const MAX_SEQ = 200000;
  const timer = setInterval(() => {
    if (stopped || seq >= MAX_SEQ) return;
    io.except('quiet').emit('seq', seq++);
  }, 2);

  return {
    kind,
    io,
    port,
    seen,
    url: `http://127.0.0.1:${port}`,
    /** @returns {number} the number of broadcasts sent so far */
    get sent() {
      return seq;
    },
    /** Stops the broadcast; returns how many were sent. */
    stopBroadcast() {
      stopped = true;
      clearInterval(timer);
      return seq;
    },
    /** Closes everything. */
    async close() {
      stopped = true;
      clearInterval(timer);
      await new Promise((resolve) => io.close(() => resolve()));
    },
  };
}

/**
 * A raw engine.io v4 websocket client: open it, then send frames.
 *
 * @param {number} port
 * @param {string} tag handshake query tag, to find the server-side record
 * @param {any} [wsOpts]
 */
function rawWebSocket(port, tag, wsOpts = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&tag=${tag}`, {
    perMessageDeflate: false,
    // After a close handshake the client waits this long for the server to
    // end the TCP connection (ws's default is 30 s).
    closeTimeout: 1000,
    ...wsOpts,
  });
  const client = {
    ws,
    /** @type {Array<string | Buffer>} every message but pings and seq broadcasts */
    messages: [],
    /** seq numbers received, in order */
    seqs: [],
    /** @type {{ code: number, reason: string } | null} */
    closed: null,
    /** @type {string | null} */
    error: null,
  };
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      if (text === '2') {
        if (ws.readyState === WebSocket.OPEN) ws.send('3');
        return;
      }
      const m = /^42\["seq",(\d+)\]$/.exec(text);
      if (m) {
        client.seqs.push(Number(m[1]));
        return;
      }
      client.messages.push(text.replace(/"sid":"[^"]*"/g, '"sid":"?"').replace(/^0\{.*$/, '0{open}'));
    } else {
      client.messages.push(`<binary ${data.length}>`);
    }
  });
  ws.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
  });
  ws.on('error', (err) => {
    client.error = err.message.replace(/\d{4,}/g, 'N');
  });
  return client;
}

/**
 * Opens a raw websocket client and connects it to the main namespace.
 *
 * @param {number} port
 * @param {string} tag
 * @param {string} [connectFrame]
 */
async function connectedWebSocket(port, tag, connectFrame = '40') {
  const client = rawWebSocket(port, tag);
  await until(() => client.messages.length > 0 || client.closed !== null, 'engine.io open');
  client.ws.send(connectFrame);
  await until(() => client.messages.length > 1 || client.closed !== null, 'socket.io connect');
  return client;
}

/**
 * One HTTP request on loopback.
 *
 * @param {number} port
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {string | Buffer} [body]
 * @returns {Promise<{ status: number, body: string }>}
 */
function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent: false,
      headers: body !== undefined ? { 'content-type': 'text/plain;charset=UTF-8' } : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error('request timed out')));
    req.on('error', (err) => resolve({ status: -1, body: err.message }));
    req.end(body);
  });
}

/**
 * A raw long-polling client, handshaken and connected to `/`.
 *
 * @param {number} port
 * @param {string} tag
 */
async function connectedPolling(port, tag) {
  const open = await request(port, 'GET', `/socket.io/?EIO=4&transport=polling&tag=${tag}`);
  const sid = JSON.parse(open.body.slice(1)).sid;
  const path = `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
  const post = await request(port, 'POST', path, '40');
  const first = await request(port, 'GET', path);
  return {
    sid,
    path,
    connect: [post.status, first.body.split('\x1e')[0].replace(/"sid":"[^"]*"/g, '"sid":"?"')],
    /** @param {string | Buffer} body */
    post: (body) => request(port, 'POST', path, body),
    get: () => request(port, 'GET', path),
  };
}

/**
 * Well-behaved witnesses: a socket.io-client on websocket, one on
 * long-polling, one that upgrades from polling to websocket, and a raw
 * websocket client; each records the `seq`
 * broadcasts it receives.
 *
 * @param {any} server from startServer()
 */
async function startWitnesses(server) {
  const make = (transports, tag) => {
    const c = ioc(server.url, { forceNew: true, reconnection: false, transports, query: { tag } });
    c.seqs = [];
    c.on('seq', (n) => c.seqs.push(n));
    return c;
  };
  const wsClient = make(['websocket'], 'witness-ws');
  const pollClient = make(['polling'], 'witness-polling');
  // Starts on polling and upgrades to websocket while broadcasts run.
  const upgradeClient = make(['polling', 'websocket'], 'witness-upgrade');
  await until(() => wsClient.connected && pollClient.connected && upgradeClient.connected, 'witnesses connected');
  const raw = await connectedWebSocket(server.port, 'witness-raw');
  return {
    all: [
      ['socket.io-client websocket', wsClient],
      ['socket.io-client polling', pollClient],
      ['socket.io-client polling upgraded to websocket', upgradeClient],
      ['raw websocket', raw],
    ],
    /** @returns {boolean} whether the upgrading witness is on websocket */
    upgraded: () => upgradeClient.io.engine.transport.name === 'websocket',
    close() {
      wsClient.disconnect();
      pollClient.disconnect();
      upgradeClient.disconnect();
      raw.ws.terminate();
    },
  };
}

module.exports = {
  WAIT_MS,
  delay,
  until,
  startServer,
  rawWebSocket,
  connectedWebSocket,
  connectedPolling,
  request,
  startWitnesses,
};
