'use strict';

// Loaded (node -r) before a README code block runs. Whatever port the block
// asks for, its HTTP server listens on a free loopback port; once it does, a
// socket.io client connects to it (over websocket), and when the server has
// accepted the connection the process prints one line and exits 0. A block
// that never connects a client fails by timeout (exit 3); a block that
// starts no server just runs to its end.

const http = require('node:http');

const listen = http.Server.prototype.listen;
const timer = setTimeout(() => {
  process.stdout.write('SNIPPET_TIMEOUT\n');
  process.exit(3);
}, 20000);
timer.unref();

http.Server.prototype.listen = function (...args) {
  const callback = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
  timer.ref();
  return listen.call(this, 0, '127.0.0.1', () => {
    if (callback) callback();
    const { io } = require('socket.io-client');
    const client = io(`http://127.0.0.1:${this.address().port}`, { transports: ['websocket'], reconnection: false });
    client.on('connect', () => {
      process.stdout.write('SNIPPET_CONNECTED\n');
      process.exit(0);
    });
    client.on('connect_error', (err) => {
      process.stdout.write(`SNIPPET_CONNECT_ERROR ${err.message}\n`);
      process.exit(4);
    });
  });
};
