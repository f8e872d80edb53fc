'use strict';

/**
 * Parent side of the @socket.io/cluster-adapter tests: forks a node:cluster
 * primary (node-cluster-primary.js) whose workers are socket.io servers
 * (cluster-node.js with adapter 'node-cluster'), and talks to each worker
 * through the primary with the same calls as test/support/cluster.js's
 * ClusterNode, so its helpers (connectClient, settle) work on them.
 */

const path = require('node:path');
const { fork } = require('node:child_process');

const PRIMARY = path.join(__dirname, 'node-cluster-primary.js');
const CALL_TIMEOUT_MS = 15000;

/** One worker, reached through the primary. */
class WorkerNode {
  constructor(primary, index, config) {
    this.primary = primary;
    this.index = index;
    this.config = config;
    this.name = config.name;
    this.port = 0;
    this._seq = 0;
    /** @type {Map<number, { resolve: Function, reject: Function, timer: NodeJS.Timeout }>} */
    this._pending = new Map();
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** @param {any} msg a message from the worker */
  onMessage(msg) {
    if (msg.exited) {
      for (const p of this._pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.name} exited`));
      }
      this._pending.clear();
      return;
    }
    if (msg.id === undefined) return;
    const p = this._pending.get(msg.id);
    if (!p) return;
    this._pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(`${this.name}: ${msg.error}`));
    else p.resolve(msg.result);
  }

  call(op, args) {
    const id = ++this._seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new Error(`${this.name}: ${op} did not answer`));
      }, CALL_TIMEOUT_MS);
      this._pending.set(id, { resolve, reject, timer });
      this.primary.send({ worker: this.index, msg: { id, op, args } });
    });
  }
}

/**
 * Starts a primary with one worker per config and waits until every worker
 * listens.
 *
 * @param {any[]} configs see cluster-node.js
 * @returns {Promise<{ nodes: WorkerNode[], kill: () => Promise<void> }>}
 */
async function startNodeCluster(configs) {
  const primary = fork(PRIMARY, [JSON.stringify(configs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const nodes = configs.map((c, i) => new WorkerNode(primary, i, c));
  const kill = () => new Promise((resolve) => {
    if (primary.exitCode !== null || primary.signalCode !== null) return resolve();
    primary.once('exit', () => resolve());
    // A clean end: the workers exit when their channel to the primary closes.
    primary.disconnect();
  });
  const ready = nodes.map((node) => new Promise((resolve, reject) => {
    node.readyTimer = setTimeout(() => reject(new Error(`${node.name} did not start`)), CALL_TIMEOUT_MS);
    node.resolveReady = resolve;
    node.rejectReady = reject;
  }));
  primary.on('message', ({ worker, msg }) => {
    const node = nodes[worker];
    if (msg.ready) {
      clearTimeout(node.readyTimer);
      node.port = msg.port;
      node.resolveReady();
    } else if (msg.fatal) {
      clearTimeout(node.readyTimer);
      node.rejectReady(new Error(`${node.name}: ${msg.fatal}`));
    } else {
      node.onMessage(msg);
    }
  });
  try {
    await Promise.all(ready);
  } catch (err) {
    await kill();
    throw err;
  }
  return { nodes, kill };
}

module.exports = { startNodeCluster };
