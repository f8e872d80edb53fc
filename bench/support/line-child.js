'use strict';

/**
 * Child processes of the end-to-end benchmarks (sio_loadgen, sio_sendloop,
 * bench servers): JSON lines on stdout, commands on stdin, every wait
 * bounded, all of them killed when the benchmark exits.
 */

const { spawn, execFileSync } = require('node:child_process');
const readline = require('node:readline');

/** @type {Set<LineChild>} */
const children = new Set();

class LineChild {
  /**
   * @param {string} name
   * @param {string} cmd
   * @param {string[]} argv
   * @param {{ cwd?: string, verbose?: boolean }} [opts]
   */
  constructor(name, cmd, argv, opts = {}) {
    this.name = name;
    this.verbose = Boolean(opts.verbose);
    this.proc = spawn(cmd, argv, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = [];
    this.waiters = [];
    this.stderr = '';
    this.exited = false;
    children.add(this);
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        msg = { event: 'text', text: line };
      }
      if (this.verbose) process.stderr.write(`[${this.name}] ${line}\n`);
      this.lines.push(msg);
      this.wake();
    });
    this.proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
      if (this.verbose) process.stderr.write(`[${this.name}] ${d}`);
    });
    this.proc.stdin.on('error', () => {}); // The child may exit first.
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      this.exitInfo = { code, signal };
      children.delete(this);
      this.wake();
    });
  }

  send(line) {
    if (!this.exited) this.proc.stdin.write(`${line}\n`);
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  /** The next line with `event` (consumed), or an error after timeoutMs. */
  next(event, timeoutMs) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.lines.findIndex((m) => m.event === event);
        if (i >= 0) {
          done();
          resolve(this.lines.splice(i, 1)[0]);
        } else if (this.exited) {
          done();
          reject(new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) while waiting for ` +
            `"${event}": ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no "${event}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** Asks the child to quit, then kills it if it has not exited in time. */
  async stop(graceMs = 10000) {
    if (this.exited) return;
    this.send('quit');
    this.proc.stdin.end();
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

function killAll() {
  for (const c of children) c.proc.kill('SIGKILL');
}

let installed = false;

/** Kills every child still running when this process exits or is interrupted. */
function killChildrenOnExit() {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** The hard RLIMIT_NOFILE of processes started from here. */
function hardFileLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || Infinity;
  } catch {
    return Infinity;
  }
}

/**
 * The descriptor limit to give a server with `n` websocket clients so that
 * the native fan-out registers every one of them: two descriptors per client
 * (the connection and the fan-out's duplicate), 256 for the rest of the
 * process, and the reserve the fan-out keeps free on top (by default 10% of
 * the limit, at least 64; docs/fanout.md). Below it some clients take
 * socket.io's standard path, which would mix the two in a measurement.
 *
 * @param {number} n
 */
function serverDescriptors(n) {
  const used = 2 * n + 256;
  const wanted = Math.max(used + 64, Math.ceil(used / 0.9));
  // Where the limit cannot be raised that far, what the process needs to
  // run at all; its fan-out then reports the clients it refused.
  return fileLimitProblem(n, wanted) === null ? wanted : n + 256;
}

/**
 * Why a process holding `n` client connections cannot run here (descriptor
 * limits), or null. Node raises its own soft limit to the hard limit at
 * startup, so only a hard limit below `wanted` (by default n + 256) is a
 * problem; prlimit (which needs CAP_SYS_RESOURCE, e.g. root in CI) can
 * raise it.
 *
 * @param {number} n
 * @param {number} [wanted]
 */
function fileLimitProblem(n, wanted = n + 256) {
  const hard = hardFileLimit();
  if (hard >= wanted) return null;
  try {
    execFileSync('prlimit', [`--nofile=${wanted}:${wanted}`, '--', 'true'], { stdio: 'ignore' });
    return null;
  } catch {
    return `needs ${wanted} file descriptors per process; the hard limit is ${hard} and cannot be raised ` +
      '(raising it needs CAP_SYS_RESOURCE; or start the benchmark with a higher ulimit -Hn)';
  }
}

module.exports = { LineChild, killAll, killChildrenOnExit, hardFileLimit, fileLimitProblem, serverDescriptors };
