'use strict';

// A server with this package's adapter and parser, and one client that
// connects with an auth token and emits a secret that the server broadcasts
// back to the client's room. Whatever the debug package prints goes to
// stderr; stdout gets one JSON line with what the client received.

const http = require('node:http');
const { Server } = require('socket.io');
const { io: connect } = require('socket.io-client');
const { createAdapter, parser, native } = require('../../lib/index');

const [token, secret] = process.argv.slice(2);
const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: 'no reply' }) + '\n');
  process.exit(2);
}, 15000);

const httpServer = http.createServer();
const io = new Server(httpServer, { adapter: createAdapter(), parser });
io.use((socket, next) => next(socket.handshake.auth.token === token ? undefined : new Error('bad token')));
io.on('connection', (socket) => {
  socket.join('room');
  socket.on('say', (text, ack) => {
    io.to('room').emit('said', text);
    ack({ echoed: text });
  });
});
httpServer.listen(0, '127.0.0.1', () => {
  const client = connect(`http://127.0.0.1:${httpServer.address().port}`, {
    transports: ['websocket'],
    auth: { token },
  });
  const received = [];
  client.on('said', (text) => {
    received.push(text);
  });
  client.on('connect', async () => {
    const reply = await client.emitWithAck('say', secret);
    // Wait for the broadcast too (bounded), whichever way it was written.
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    process.stdout.write(JSON.stringify({ native, received, reply }) + '\n');
    clearTimeout(timer);
    client.close();
    io.close();
  });
});
