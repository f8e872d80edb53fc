'use strict';

/**
 * Starts and stops a private redis-server for a test: a random loopback
 * port, no persistence, readiness checked with PING. Only the binary is
 * needed on the machine.
 */

const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

/** @returns {string | null} the redis-server binary, or null when there is none */
function findRedisServer() {
  const res = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return res.status === 0 ? 'redis-server' : null;
}

/** @returns {Promise<number>} a port free on 127.0.0.1 right now */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One PING; resolves true on +PONG.
 *
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function ping(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (buf) => done(buf.toString().startsWith('+PONG')));
  });
}

/**
 * A redis-server child process on a fixed port, restartable.
 */
class RedisProcess {
  /**
   * @param {number} port
   */
  constructor(port) {
    this.port = port;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
  }

  /** @returns {string} */
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server and waits until it answers PING (at most about 5 s). */
  async start() {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    ], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not answer PING on port ${this.port}`);
  }

  /** Kills the server and waits for it to exit. */
  async stop() {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }
}

/**
 * @returns {Promise<RedisProcess>} a started server on a random port
 */
async function startRedis() {
  const server = new RedisProcess(await freePort());
  await server.start();
  return server;
}

module.exports = { findRedisServer, startRedis, RedisProcess };
