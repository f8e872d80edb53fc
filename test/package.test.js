'use strict';

// What a user gets from the registry: `npm pack` makes a tarball with the
// prebuilt linux-x64 binary inside; it installs into a fresh project on a PATH
// with no compiler (no g++, cc, make, python) and a socket.io server using
// createAdapter() and the parser answers a client, with `native === true`.
// Then the same tarball without its prebuilds: the install still succeeds
// (node-gyp-build cannot build, the package says so), and at run time the
// package says why in one line and the server runs on socket.io's own adapter
// and parser.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const pkg = require('../package.json');

const skip =
  process.env.SOCKET_IO_NATIVE_DISABLE === '1'
    ? 'packaging does not depend on SOCKET_IO_NATIVE_DISABLE; it runs once, in npm run test:js'
    : process.platform !== 'linux' || process.arch !== 'x64'
      ? `the package ships prebuilt binaries for linux-x64 only, not ${process.platform}-${process.arch}`
      : false;

/** npm's own CLI script, run with this node so that PATH needs no npm. */
function npmCli() {
  const beside = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (fs.existsSync(beside)) return beside;
  if (process.env.npm_execpath && fs.existsSync(process.env.npm_execpath)) return process.env.npm_execpath;
  return null;
}

/**
 * Environment of the scratch projects: PATH holds only `node` and `sh`; npm
 * keeps the cache, registry and proxy settings it was given (so a run with a
 * fresh cache uses that cache) and never talks about funding or audits.
 */
function bareEnv(binDir) {
  const env = {
    PATH: binDir,
    HOME: process.env.HOME || os.homedir(),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_loglevel: 'warn',
  };
  for (const name of ['TMPDIR', 'npm_config_cache', 'npm_config_registry', 'npm_config_userconfig',
    'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    if (process.env[name]) env[name] = process.env[name];
  }
  return env;
}

/** Runs a command to completion (bounded), returns its outcome. */
function run(cmd, args, opts) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000, killSignal: 'SIGKILL', ...opts });
  assert.strictEqual(result.error, undefined, `${cmd} ${args.join(' ')}: ${result.error}`);
  return result;
}

/** Like run(), and the command must succeed. */
function runOk(cmd, args, opts) {
  const result = run(cmd, args, opts);
  assert.strictEqual(result.status, 0, `${path.basename(cmd)} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * Installs `tarball` into a new project: from npm's cache where it holds a
 * package, from the registry for the rest (--prefer-offline), so the outcome
 * does not depend on what the machine's cache happens to hold. The
 * project allows the package's install script (npm 11 runs a dependency's
 * install script only when package.json's allowScripts lists it) and shows
 * its output.
 */
function installInto(dir, tarball, env) {
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch-app', private: true, allowScripts: { [`file:${tarball}`]: true } })
  );
  const specs = [tarball, `socket.io@${pkg.devDependencies['socket.io']}`, `socket.io-client@${pkg.devDependencies['socket.io-client']}`];
  const npm = npmCli();
  const args = [npm, 'install', '--foreground-scripts'];
  const result = run(process.execPath, [...args, '--prefer-offline', ...specs], { cwd: dir, env });
  assert.strictEqual(result.status, 0, `npm install failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** A socket.io server with this package and a client round trip; prints one JSON line. */
const SERVER = `'use strict';
const http = require('node:http');
const { Server } = require('socket.io');
const { io: connect } = require('socket.io-client');
const { createAdapter, parser, native } = require('socket.io-native');

const timer = setTimeout(() => { console.error('no reply'); process.exit(2); }, 20000);
const httpServer = http.createServer();
const io = new Server(httpServer, { adapter: createAdapter(), parser });
io.on('connection', (socket) => {
  socket.join('room');
  socket.on('echo', (value, ack) => ack({ value, rooms: [...socket.rooms].length }));
});
httpServer.listen(0, '127.0.0.1', async () => {
  const client = connect('http://127.0.0.1:' + httpServer.address().port, { transports: ['websocket'] });
  const reply = await client.emitWithAck('echo', { text: 'hello', list: [1, 2] });
  console.log(JSON.stringify({ native, reply, adapter: io.of('/').adapter.constructor.name }));
  client.close();
  io.close();
  clearTimeout(timer);
});
`;

const ESM_CHECK = `import { createAdapter, parser, native } from 'socket.io-native';
import { Encoder } from 'socket.io-native/parser';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('socket.io-native');
console.log(JSON.stringify({ native, same: cjs.createAdapter === createAdapter && cjs.parser.Encoder === Encoder && parser === cjs.parser }));
`;

test('the packed tarball installs and runs with no compiler, then falls back without a binary', { skip, timeout: 900000 }, (t) => {
  const npm = npmCli();
  if (!npm) {
    t.skip('npm CLI script not found beside node nor in npm_execpath: cannot pack');
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-pack-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // A PATH with only node and sh: no compiler, no make, no python.
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  const env = bareEnv(bin);
  for (const tool of ['g++', 'cc', 'c++', 'make', 'python3']) {
    const found = run('/bin/sh', ['-c', `command -v ${tool}`], { env });
    assert.notStrictEqual(found.status, 0, `${tool} is on the scratch PATH`);
  }

  // npm pack runs prepack (prebuildify --napi --strip --tag-libc) with the full PATH.
  const packed = runOk(process.execPath, [npm, 'pack', '--json', '--pack-destination', tmp], { cwd: root });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')));
  const files = info.files.map((f) => f.path);
  const prebuilt = files.filter((f) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(f));
  assert.strictEqual(prebuilt.length, 1, `one linux-x64 prebuild in the tarball: ${files.join(', ')}`);
  // Tagged glibc: on musl node-gyp-build must not pick it (it would fail to
  // load there); it builds from source instead.
  assert.match(prebuilt[0], /\.glibc\.node$/, 'the prebuild is tagged with its libc');
  for (const f of ['lib/index.js', 'lib/index.mjs', 'lib/index.d.ts', 'lib/parser/index.mjs', 'binding.gyp', 'scripts/sources.js', 'scripts/install-failed.js']) {
    assert.ok(files.includes(f), `${f} in the tarball`);
  }
  // The README's reading (docs/, the benchmark results and chart) ships; no benchmark code.
  const shippedBench = ['bench/RESULTS.md', 'bench/results/broadcast.svg'];
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('build/') || (f.startsWith('bench/') && !shippedBench.includes(f))),
    'no tests, builds or benchmark code in the tarball');
  const tarball = path.join(tmp, info.filename);

  // 1. The tarball as published: installs without compiling, loads natively.
  const app = path.join(tmp, 'app');
  const first = installInto(app, tarball, env);
  assert.match(first.stdout, /> node-gyp-build/, 'the install script ran');
  assert.doesNotMatch(first.stdout + first.stderr, /gyp (ERR|info)|build from source failed/, 'the install script found the prebuild');
  const installed = path.join(app, 'node_modules', 'socket.io-native');
  assert.ok(!fs.existsSync(path.join(installed, 'build')), 'nothing was compiled at install');
  fs.writeFileSync(path.join(app, 'server.js'), SERVER);
  const native = runOk(process.execPath, ['server.js'], { cwd: app, env, timeout: 30000 });
  assert.deepStrictEqual(JSON.parse(native.stdout), {
    native: true,
    reply: { value: { text: 'hello', list: [1, 2] }, rooms: 2 },
    adapter: 'NativeAdapter',
  });
  assert.strictEqual(native.stderr, '', 'no warning when the addon loads');
  fs.writeFileSync(path.join(app, 'esm-check.mjs'), ESM_CHECK);
  const esm = runOk(process.execPath, ['esm-check.mjs'], { cwd: app, env, timeout: 30000 });
  assert.deepStrictEqual(JSON.parse(esm.stdout), { native: true, same: true });

  // 2. The same package without prebuilds, still with no compiler.
  const unpacked = path.join(tmp, 'unpacked');
  fs.mkdirSync(unpacked);
  runOk('tar', ['-xzf', tarball, '-C', unpacked]);
  fs.rmSync(path.join(unpacked, 'package', 'prebuilds'), { recursive: true });
  const repacked = runOk(process.execPath, [npm, 'pack', '--json', '--ignore-scripts', '--pack-destination', path.join(tmp, 'unpacked')], {
    cwd: path.join(unpacked, 'package'),
    env,
  });
  const [info2] = JSON.parse(repacked.stdout.slice(repacked.stdout.indexOf('[')));
  const bare = path.join(tmp, 'bare');
  const install = installInto(bare, path.join(unpacked, info2.filename), env);
  assert.match(install.stdout + install.stderr, /socket\.io-native: no prebuilt binary for linux-x64 and the build from source failed/);
  fs.writeFileSync(path.join(bare, 'server.js'), SERVER);

  const fallback = runOk(process.execPath, ['server.js'], { cwd: bare, env, timeout: 30000 });
  assert.deepStrictEqual(JSON.parse(fallback.stdout), {
    native: false,
    reply: { value: { text: 'hello', list: [1, 2] }, rooms: 2 },
    adapter: 'Adapter',
  });
  const ours = fallback.stderr.split('\n').filter((line) => line.includes('socket.io-native'));
  assert.strictEqual(ours.length, 1, `one line from the package:\n${fallback.stderr}`);
  assert.match(ours[0], /socket\.io-native: could not load the native addon \(No native build was found for platform=linux arch=x64[^)]*\); using socket\.io's JS adapter and parser; /);
  // It names the fix for the commonest cause on other platforms: npm 11 not running the install script.
  assert.ok(ours[0].includes('npm install-scripts approve socket.io-native && npm rebuild socket.io-native'), ours[0]);

  // The same reason through debug, under socket.io-native:*.
  const debugged = runOk(process.execPath, ['server.js'], { cwd: bare, env: { ...env, DEBUG: 'socket.io-native:*' }, timeout: 30000 });
  assert.match(debugged.stderr, /socket\.io-native:binding native addon not loaded: could not load the native addon/);

  // SOCKET_IO_NATIVE_DISABLE=1 forces the fallback where the addon loads, quietly.
  const disabled = runOk(process.execPath, ['server.js'], { cwd: app, env: { ...env, SOCKET_IO_NATIVE_DISABLE: '1' }, timeout: 30000 });
  assert.strictEqual(JSON.parse(disabled.stdout).native, false);
  assert.strictEqual(JSON.parse(disabled.stdout).adapter, 'Adapter');
  assert.strictEqual(disabled.stderr, '');
});
