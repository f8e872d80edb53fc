'use strict';

/**
 * Chat server: Express serves the React client and a login endpoint that
 * hands out signed tokens; socket.io (with socket.io-native's adapter and
 * parser) runs the `/chat` namespace: token check on connect, rooms, messages
 * confirmed by acks, typing indicators and the member list of each room.
 * Connection state recovery is on: a client whose connection dropped for less
 * than two minutes comes back in its room and gets the messages it missed.
 * The protocol a client speaks is in README.md.
 *
 * Run it with `npm run example` at the repository root (PORT and HOST pick
 * the address, 127.0.0.1:3000 by default; CHAT_SECRET the signing key).
 */

const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const express = require('express');
const esbuild = require('esbuild');
const { Server } = require('socket.io');
const { createAdapter, parser, native } = require('socket.io-native');
const debug = require('debug')('socket.io-native:example-chat');
const { signToken, verifyToken } = require('./token');

const NAME = /^[\p{L}\p{N}_.-]{1,24}$/u;
const ROOM = /^[\p{L}\p{N}_.-]{1,32}$/u;
const MAX_TEXT = 1000;

/**
 * Bundles client/main.jsx (React) with esbuild, in memory.
 *
 * @returns {Promise<string>}
 */
async function buildClient() {
  const result = await esbuild.build({
    entryPoints: [path.join(__dirname, 'client', 'main.jsx')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: 'es2020',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/**
 * Wires the `/chat` namespace.
 *
 * @param {import('socket.io').Server} io
 * @param {string | Buffer} secret
 */
function chatNamespace(io, secret) {
  const chat = io.of('/chat');

  chat.use((socket, next) => {
    try {
      const claims = verifyToken(socket.handshake.auth && socket.handshake.auth.token, secret);
      if (typeof claims.sub !== 'string' || !NAME.test(claims.sub)) throw new Error('invalid token');
      socket.data.name = claims.sub;
      next();
    } catch (err) {
      debug('rejected a connection: %s', err.message);
      const rejection = new Error(err.message);
      rejection.data = { code: err.code || 'ERR_INVALID_TOKEN' };
      next(rejection);
    }
  });

  /** The names of the users in `room`, sorted. */
  async function membersOf(room) {
    const sockets = await chat.in(room).fetchSockets();
    return [...new Set(sockets.map((s) => s.data.name))].sort();
  }

  /** Sends the member names of `room` to everyone in it. */
  async function sendMembers(room) {
    chat.to(room).emit('members', { room, members: await membersOf(room) });
  }

  chat.on('connection', (socket) => {
    debug('%s connected (%s%s)', socket.data.name, socket.id, socket.recovered ? ', recovered' : '');
    if (socket.recovered && socket.data.room) {
      // Connection state recovery gave the socket back its rooms and its
      // `data` (name, room) and replayed what it missed; the others saw it
      // leave, so they get the member list again.
      sendMembers(socket.data.room).catch((err) => debug('members of %s: %s', socket.data.room, err.message));
    }

    socket.on('join', async (request, ack) => {
      if (typeof ack !== 'function') return;
      const room = request && request.room;
      if (typeof room !== 'string' || !ROOM.test(room)) {
        ack({ ok: false, error: 'room names are 1 to 32 letters, digits, "_", "." or "-"' });
        return;
      }
      const previous = socket.data.room;
      if (previous && previous !== room) {
        socket.leave(previous);
        socket.to(previous).emit('typing', { name: socket.data.name, typing: false });
        await sendMembers(previous);
      }
      socket.data.room = room;
      socket.join(room);
      const members = await membersOf(room);
      ack({ ok: true, room, name: socket.data.name, members });
      socket.to(room).emit('members', { room, members });
    });

    socket.on('message', (request, ack) => {
      if (typeof ack !== 'function') return;
      const room = socket.data.room;
      const text = request && request.text;
      if (!room) return ack({ ok: false, error: 'join a room first' });
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT) {
        return ack({ ok: false, error: `messages are 1 to ${MAX_TEXT} characters` });
      }
      const message = { id: crypto.randomUUID(), room, from: socket.data.name, text, at: Date.now() };
      socket.to(room).emit('message', message);
      socket.to(room).emit('typing', { name: socket.data.name, typing: false });
      ack({ ok: true, id: message.id, at: message.at });
    });

    socket.on('typing', (typing) => {
      if (socket.data.room) {
        socket.to(socket.data.room).emit('typing', { name: socket.data.name, typing: typing === true });
      }
    });

    socket.on('disconnect', (reason) => {
      debug('%s disconnected: %s', socket.data.name, reason);
      const room = socket.data.room;
      if (room) {
        socket.to(room).emit('typing', { name: socket.data.name, typing: false });
        sendMembers(room).catch((err) => debug('members of %s: %s', room, err.message));
      }
    });
  });
  return chat;
}

/**
 * Starts the chat server.
 *
 * @param {{ port?: number, host?: string, secret?: string | Buffer, stock?: boolean }} [options]
 *   `stock`: socket.io's own adapter and parser instead of this package's
 *   (the tests run the same scenario on both)
 * @returns {Promise<{ url: string, io: import('socket.io').Server, close: () => Promise<void> }>}
 */
async function start(options = {}) {
  const secret = options.secret || crypto.randomBytes(32);
  const bundle = await buildClient();
  const app = express();

  app.get('/app.js', (req, res) => {
    res.type('text/javascript').send(bundle);
  });
  app.get('/favicon.ico', (req, res) => {
    res.status(204).end();
  });
  app.use(express.static(path.join(__dirname, 'public')));
  app.post('/api/login', express.json({ limit: '1kb' }), (req, res) => {
    const name = req.body && req.body.name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      res.status(400).json({ error: 'names are 1 to 24 letters, digits, "_", "." or "-"' });
      return;
    }
    res.json({ token: signToken({ sub: name }, secret, { ttlSeconds: 3600 }) });
  });

  const httpServer = http.createServer(app);
  const io = new Server(httpServer, {
    ...(options.stock ? {} : { adapter: createAdapter(), parser }),
    // A client that lost its connection for less than this gets its session
    // back: same socket id, rooms and `data`, and the broadcasts it missed.
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
  });
  chatNamespace(io, secret);

  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 3000, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = httpServer.address();
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    io,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

module.exports = { start };

if (require.main === module) {
  start({
    port: process.env.PORT === undefined ? 3000 : Number(process.env.PORT),
    host: process.env.HOST || '127.0.0.1',
    secret: process.env.CHAT_SECRET,
  }).then(
    ({ url, close }) => {
      console.log(`chat listening on ${url} (native addon: ${native ? 'loaded' : 'not loaded'})`);
      const stop = () => close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(`chat: could not start: ${err.message}`);
      process.exit(1);
    }
  );
}
