'use strict';

/**
 * Starts and stops a private PostgreSQL server for a test: initdb in a
 * temporary folder, pg_ctl start on a random loopback port (trust
 * authentication, no fsync), pg_ctl stop and the folder removed at the end.
 * Only the server binaries are needed on the machine (Debian: the
 * postgresql package). PostgreSQL refuses to run as root: when the test runs
 * as root, the server runs as the "postgres" user the package creates.
 */

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

/** Where Debian and Ubuntu install the server binaries, one folder per major version. */
const DEBIAN_ROOT = path.join(path.sep, 'usr', 'lib', 'postgresql');

/** @returns {string | null} the folder holding initdb and pg_ctl, or null when there is none */
function findPostgresBin() {
  const onPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (onPath.status === 0 && fs.existsSync(path.join(onPath.stdout.trim(), 'initdb'))) return onPath.stdout.trim();
  let versions = [];
  try {
    versions = fs.readdirSync(DEBIAN_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return null;
  }
  for (const v of versions) {
    const bin = path.join(DEBIAN_ROOT, v, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

/**
 * The user to run the server as when this process is root, or null.
 *
 * @returns {{ uid: number, gid: number } | null}
 */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root and there is no "postgres" user to run PostgreSQL as');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
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
 * Runs a server binary, as the server user when there is one; throws with
 * its output when it fails.
 *
 * @param {string} bin
 * @param {string[]} args
 * @param {{ uid: number, gid: number } | null} user
 */
function run(bin, args, user) {
  const res = spawnSync(bin, args, {
    encoding: 'utf8',
    timeout: 60000,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    // The server's environment must not point at the caller's home as root.
    env: { ...process.env, HOME: os.tmpdir(), LC_ALL: 'C' },
  });
  if (res.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${res.error || ''}${res.stdout}${res.stderr}`);
}

/**
 * A started PostgreSQL server: `url` to connect to (user postgres, database
 * postgres, no password), `stop()` to end it and remove its files.
 *
 * @returns {Promise<{ url: string, port: number, stop: () => Promise<void> }>}
 */
async function startPostgres() {
  const bin = findPostgresBin();
  if (bin === null) throw new Error('PostgreSQL server binaries not found');
  const user = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-pg-'));
  const data = path.join(dir, 'data');
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const port = await freePort();
  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'immediate', '-w'], user);
      } catch {
        // Already gone: nothing to stop.
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], user);
    started = true;
    run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start', '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`], user);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}

module.exports = { findPostgresBin, startPostgres };
