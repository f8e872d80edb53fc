'use strict';

/**
 * The primary of a node:cluster for the @socket.io/cluster-adapter tests,
 * forked by node-cluster.js. It calls the adapter's setupPrimary() (which
 * relays the adapter's messages between workers), forks one worker per
 * config in argv[2] running cluster-node.js, and relays everything else
 * between the test and the workers: { worker, msg } both ways.
 */

const cluster = require('node:cluster');
const path = require('node:path');

if (typeof process.send !== 'function' || process.argv[2] === undefined) {
  // Loaded by `node --test test/` as a plain file: it is a helper, not a test.
  return;
}

const configs = JSON.parse(process.argv[2]);
require('@socket.io/cluster-adapter').setupPrimary();

const workers = configs.map((config, i) => {
  cluster.setupPrimary({ exec: path.join(__dirname, 'cluster-node.js'), args: [JSON.stringify(config)] });
  const worker = cluster.fork();
  worker.on('message', (msg) => {
    // The adapter's messages stay between the workers (setupPrimary relays them).
    if (msg && msg.source === '_sio_adapter') return;
    process.send({ worker: i, msg });
  });
  worker.on('exit', () => process.send({ worker: i, msg: { exited: true } }));
  return worker;
});

process.on('message', ({ worker, msg }) => workers[worker].send(msg));
// The test's end of the channel closing means the test is over: the workers
// exit when their own channel closes.
process.on('disconnect', () => process.exit(0));
