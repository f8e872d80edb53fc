'use strict';

/**
 * Child process of bench/redis.bench.js: connects `perNode` socket.io-client
 * websocket clients to each URL in argv[2] (JSON { urls, perNode }), counts
 * the "bench" events they receive, and answers the parent over IPC:
 *   { op: 'reset' }               -> zero the count
 *   { op: 'wait', target, ms }    -> answers { count, disconnects } once the count reaches
 *                                    target (or ms passed)
 */

const ioc = require('socket.io-client');

if (typeof process.send !== 'function' || process.argv[2] === undefined) return;

const { urls, perNode } = JSON.parse(process.argv[2]);
let count = 0;
let disconnects = 0;
/** @type {{ target: number, resolve: () => void } | null} */
let waiter = null;

function onEvent() {
  count++;
  if (waiter !== null && count >= waiter.target) {
    const w = waiter;
    waiter = null;
    w.resolve();
  }
}

async function main() {
  const sockets = [];
  for (const url of urls) {
    for (let i = 0; i < perNode; i++) {
      const s = ioc(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      s.on('bench', onEvent);
      s.on('warm', onEvent);
      s.on('disconnect', () => disconnects++);
      sockets.push(new Promise((resolve, reject) => {
        s.once('connect', resolve);
        s.once('connect_error', reject);
      }));
    }
  }
  await Promise.all(sockets);
  process.on('message', (msg) => {
    if (msg.op === 'reset') {
      count = 0;
      process.send({ id: msg.id, result: true });
    } else if (msg.op === 'wait') {
      const timer = setTimeout(() => {
        waiter = null;
        process.send({ id: msg.id, result: { count, disconnects } });
      }, msg.ms);
      const done = () => {
        clearTimeout(timer);
        process.send({ id: msg.id, result: { count, disconnects } });
      };
      if (count >= msg.target) done();
      else waiter = { target: msg.target, resolve: done };
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

main().catch((err) => {
  process.send({ fatal: String(err && err.stack) });
  process.exit(1);
});
