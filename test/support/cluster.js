'use strict';

/**
 * Parent side of the Redis cluster tests: forks socket.io servers
 * (cluster-node.js), talks to them over IPC with bounded waits, and
 * connects socket.io-client clients to them.
 */

const path = require('node:path');
const { fork } = require('node:child_process');
const ioc = require('socket.io-client');

const NODE_SCRIPT = path.join(__dirname, 'cluster-node.js');
const CALL_TIMEOUT_MS = 15000;

/**
 * One forked socket.io server.
 */
class ClusterNode {
  /**
   * @param {any} config see cluster-node.js
   */
  constructor(config) {
    this.config = config;
    this.name = config.name;
    this.port = 0;
    /** @private */
    this._seq = 0;
    /** @private @type {Map<number, { resolve: Function, reject: Function, timer: NodeJS.Timeout }>} */
    this._pending = new Map();
    this.child = null;
  }

  /** Forks the server and waits until it listens. */
  start() {
    // config.env adds environment variables (DEBUG, say); with
    // config.captureStderr the node's stderr is kept in `stderr` instead of
    // printed.
    this.stderr = '';
    this.child = fork(NODE_SCRIPT, [JSON.stringify(this.config)], {
      stdio: ['ignore', 'inherit', this.config.captureStderr ? 'pipe' : 'inherit', 'ipc'],
      env: { ...process.env, ...(this.config.env || {}) },
    });
    if (this.config.captureStderr) {
      this.child.stderr.setEncoding('utf8');
      this.child.stderr.on('data', (text) => {
        this.stderr += text;
      });
    }
    this.child.on('message', (msg) => {
      if (msg.id === undefined) return;
      const p = this._pending.get(msg.id);
      if (!p) return;
      this._pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new Error(`${this.name}: ${msg.error}`));
      else p.resolve(msg.result);
    });
    // A send racing the node's exit reports the closed channel here; the
    // call it belongs to fails with the exit below.
    this.child.on('error', () => {});
    this.child.on('exit', () => {
      for (const p of this._pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.name} exited (${this.exitReason()})`));
      }
      this._pending.clear();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start`)), CALL_TIMEOUT_MS);
      const onMessage = (msg) => {
        if (msg.ready) {
          clearTimeout(timer);
          this.child.off('message', onMessage);
          this.port = msg.port;
          resolve(this);
        } else if (msg.fatal) {
          clearTimeout(timer);
          reject(new Error(`${this.name}: ${msg.fatal}`));
        }
      };
      this.child.on('message', onMessage);
    });
  }

  /** @returns {boolean} whether the process is still running */
  get alive() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** @returns {string} how the process ended: its exit code or signal */
  exitReason() {
    const child = this.child;
    if (child === null) return 'not started';
    return child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
  }

  /** @returns {string} */
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Runs an operation in the server process.
   *
   * @param {string} op
   * @param {any} [args]
   * @returns {Promise<any>}
   */
  call(op, args) {
    const id = ++this._seq;
    if (!this.alive || !this.child.connected) {
      return Promise.reject(new Error(`${this.name}: ${op}: the node exited (${this.exitReason()})`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new Error(`${this.name}: ${op} did not answer`));
      }, CALL_TIMEOUT_MS);
      this._pending.set(id, { resolve, reject, timer });
      this.child.send({ id, op, args });
    });
  }

  /** Kills the process (a crash, not a shutdown) and waits for it to exit. */
  kill() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }
}

/**
 * Starts `configs.length` nodes.
 *
 * @param {any[]} configs
 * @returns {Promise<ClusterNode[]>}
 */
async function startNodes(configs) {
  const nodes = configs.map((c) => new ClusterNode(c));
  const started = await Promise.allSettled(nodes.map((n) => n.start()));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    // The nodes that did start (or start late) would keep the test's
    // process alive through their IPC channels: none may outlive the failure.
    await Promise.all(nodes.map((n) => n.kill()));
    throw /** @type {PromiseRejectedResult} */ (failed).reason;
  }
  return nodes;
}

/**
 * A socket.io-client client that records every event it receives.
 *
 * @param {ClusterNode} node
 * @param {string} name
 * @param {any} [opts]
 */
async function connectClient(node, name, opts) {
  const nsp = (opts && opts.nsp) || '';
  const socket = ioc(node.url + nsp, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { name },
    ...opts,
  });
  /** @type {any[][]} */
  socket.events = [];
  socket.name = name;
  socket.onAny((...args) => {
    // Acks are answered by the listeners the test adds; record the rest.
    socket.events.push(args);
  });
  socket.on('ack-me', (...args) => {
    const cb = args.pop();
    cb(name);
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not connect`)), CALL_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return socket;
}

/**
 * Polls until `predicate` holds, a bounded number of times.
 *
 * @param {() => boolean | Promise<boolean>} predicate
 * @param {string} what
 * @param {number} [tries]
 */
async function until(predicate, what, tries = 300) {
  for (let i = 0; i < tries; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * Events named `event` a client received, as argument lists.
 *
 * @param {any} socket
 * @param {string} event
 */
function got(socket, event) {
  return socket.events.filter((e) => e[0] === event).map((e) => e.slice(1));
}

/**
 * Waits until every node answers serverCount() === nodes.length and a
 * broadcast from each node reaches a client of every other node, so stream
 * readers and subscriptions are in place on all of them.
 *
 * @param {ClusterNode[]} nodes
 * @param {any[]} clients
 */
async function settle(nodes, clients) {
  for (const node of nodes) {
    await until(async () => (await node.call('serverCount')) === nodes.length, `${node.name} counts ${nodes.length} nodes`);
  }
  let round = 0;
  for (const node of nodes) {
    await until(async () => {
      round++;
      const tag = `${node.name}:${round}`;
      await node.call('broadcast', { event: 'probe', data: [tag] });
      await new Promise((r) => setTimeout(r, 20));
      return clients.every((c) => got(c, 'probe').some((args) => args[0].startsWith(`${node.name}:`)));
    }, `a broadcast from ${node.name} reaches every client`, 100);
  }
}

module.exports = { ClusterNode, startNodes, connectClient, until, got, settle };
