'use strict';

// What a newcomer gets wrong, and what the package says then. Each mistake
// fails at once with an error that has a `code` and names the fix, or, for
// environment variables, works with the usual spellings and warns once when
// a value cannot be read; with the addon and without it (npm run
// test:js:fallback).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const http = require('node:http');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Server } = require('socket.io');
const { createAdapter, createRedisAdapter, parser } = require('../lib/index');
const { envFlag, envCount } = require('../lib/env');

const root = path.join(__dirname, '..');

test('adapter: createAdapter (not called) throws at new Server(), saying to call it', () => {
  const httpServer = http.createServer();
  assert.throws(() => new Server(httpServer, { adapter: createAdapter, parser }), (err) => {
    assert.strictEqual(err.code, 'ERR_SOCKET_IO_NATIVE_ADAPTER_NOT_CALLED');
    assert.match(err.message, /adapter: createAdapter\(\)/);
    assert.doesNotMatch(err.message, /init is not a function/);
    return true;
  });
  // Called, it works (and a namespace created later gets an adapter too).
  const io = new Server(httpServer, { adapter: createAdapter(), parser });
  assert.strictEqual(typeof io.of('/later').adapter.init, 'function');
  io.close();
});

test('adapter: createRedisAdapter (not called) throws at new Server(), saying to call it', () => {
  const httpServer = http.createServer();
  assert.throws(() => new Server(httpServer, { adapter: createRedisAdapter }), (err) => {
    assert.strictEqual(err.code, 'ERR_SOCKET_IO_NATIVE_ADAPTER_NOT_CALLED');
    assert.match(err.message, /adapter: createRedisAdapter\(redisClient\)/);
    return true;
  });
});

test('createAdapter() rejects options it does not have, at run time as in the types', () => {
  for (const options of [{ foo: 1 }, { flushBudget: 10 }, { foo: 1, bar: 2 }]) {
    assert.throws(() => createAdapter(/** @type {any} */ (options)), (err) => {
      assert.strictEqual(err.code, 'ERR_SOCKET_IO_NATIVE_UNKNOWN_OPTION');
      assert.ok(err instanceof TypeError);
      for (const key of Object.keys(options)) assert.ok(err.message.includes(`"${key}"`), err.message);
      assert.match(err.message, /takes no options/);
      return true;
    });
  }
  for (const options of [1, 'x', null]) {
    assert.throws(() => createAdapter(/** @type {any} */ (options)), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  assert.strictEqual(typeof createAdapter(), 'function');
  assert.strictEqual(typeof createAdapter({}), 'function');
});

/** Collects what envFlag/envCount warn, for one call. */
function warningsOf(fn) {
  const seen = [];
  const onWarning = (w) => seen.push(w);
  process.on('warning', onWarning);
  try {
    return { value: fn(), seen };
  } finally {
    // Warnings are emitted on the next tick.
    process.nextTick(() => process.off('warning', onWarning));
  }
}

test('flags take the usual spellings; a value that is none of them warns once and keeps the default', async () => {
  const spellings = {
    1: true, true: true, TRUE: true, ' yes ': true, On: true,
    0: false, false: false, False: false, no: false, OFF: false,
  };
  for (const [raw, expected] of Object.entries(spellings)) {
    assert.strictEqual(envFlag('SIO_TEST_FLAG', !expected, { SIO_TEST_FLAG: raw }).value, expected, raw);
  }
  assert.strictEqual(envFlag('SIO_TEST_FLAG', true, {}).value, true, 'unset: default');
  assert.strictEqual(envFlag('SIO_TEST_FLAG', true, { SIO_TEST_FLAG: '' }).value, true, 'empty: default');
  const { value, seen } = warningsOf(() => [
    envFlag('SIO_TEST_BAD_FLAG', true, { SIO_TEST_BAD_FLAG: 'maybe' }).value,
    envFlag('SIO_TEST_BAD_FLAG', true, { SIO_TEST_BAD_FLAG: 'maybe' }).value,
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepStrictEqual(value, [true, true]);
  assert.strictEqual(seen.length, 1, 'once per variable');
  assert.strictEqual(seen[0].code, 'SOCKET_IO_NATIVE_INVALID_ENV');
  assert.match(seen[0].message, /SIO_TEST_BAD_FLAG="maybe" is not one of 1, true, yes, on, 0, false, no, off; using the default \(true\)/);
});

test('counts are integers >= 0; anything else warns once and keeps the default', async () => {
  for (const [raw, expected] of [['0', 0], ['5', 5], [' 2000 ', 2000], ['4294967295', 4294967295]]) {
    assert.strictEqual(envCount('SIO_TEST_COUNT', 1000, { SIO_TEST_COUNT: raw }), expected, raw);
  }
  assert.strictEqual(envCount('SIO_TEST_COUNT', 1000, {}), 1000);
  const bad = ['abc', '-1', '2.5', '1e3', '0x10', '4294967296', 'Infinity'];
  const { value, seen } = warningsOf(() => bad.map((raw, i) => envCount(`SIO_TEST_BAD_COUNT_${i}`, 1000, { [`SIO_TEST_BAD_COUNT_${i}`]: raw })));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepStrictEqual(value, bad.map(() => 1000));
  assert.strictEqual(seen.length, bad.length);
  for (const w of seen) assert.strictEqual(w.code, 'SOCKET_IO_NATIVE_INVALID_ENV');
});

/**
 * What a fresh process makes of an environment: whether the addon is used,
 * whether broadcasts take the native fan-out, the flush budget the fan-out
 * was given, and the package's lines on stderr.
 */
function probe(env, dir = root) {
  const script = `
    const { native } = require('./lib/index');
    const { fanoutAvailable, connectionRegistry } = require('./lib/fanout/native-fanout');
    const registry = connectionRegistry();
    const budget = registry === null ? null : registry.fanout.flushBudget();
    console.log(JSON.stringify({ native, fanout: fanoutAvailable(), budget }));
  `;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const result = spawnSync(process.execPath, ['-e', script], { cwd: dir, env: childEnv, encoding: 'utf8', timeout: 30000 });
  assert.strictEqual(result.status, 0, result.stderr);
  return {
    ...JSON.parse(result.stdout),
    lines: result.stderr.split('\n').filter((line) => line.includes('socket.io-native')),
  };
}

// Whether this build loads the addon at all (the fallback run sets
// SOCKET_IO_NATIVE_DISABLE=1, which the probes below override).
const addonLoads = probe({ SOCKET_IO_NATIVE_DISABLE: undefined }).native;

test('SOCKET_IO_NATIVE_DISABLE accepts true/yes/on, not only 1, quietly', () => {
  for (const raw of ['1', 'true', 'TRUE', 'yes', 'on']) {
    const got = probe({ SOCKET_IO_NATIVE_DISABLE: raw });
    assert.strictEqual(got.native, false, raw);
    assert.strictEqual(got.fanout, false, raw);
    assert.deepStrictEqual(got.lines, [], raw);
  }
  for (const raw of ['0', 'false', 'no', '']) {
    const got = probe({ SOCKET_IO_NATIVE_DISABLE: raw });
    assert.strictEqual(got.native, addonLoads, raw);
    assert.deepStrictEqual(got.lines, [], raw);
  }
});

test('unreadable SOCKET_IO_NATIVE_* values warn once each and keep their defaults', () => {
  const got = probe({
    SOCKET_IO_NATIVE_DISABLE: 'ture',
    SOCKET_IO_NATIVE_FANOUT: 'nope',
    SOCKET_IO_NATIVE_FLUSH_BUDGET: 'abc',
  });
  assert.strictEqual(got.native, addonLoads, 'DISABLE: default (not disabled)');
  assert.strictEqual(got.fanout, addonLoads, 'FANOUT: default (on)');
  if (addonLoads) assert.strictEqual(got.budget, 1000, 'FLUSH_BUDGET: default');
  assert.strictEqual(got.lines.length, 3, got.lines.join('\n'));
  for (const [i, name] of ['SOCKET_IO_NATIVE_DISABLE="ture"', 'SOCKET_IO_NATIVE_FANOUT="nope"', 'SOCKET_IO_NATIVE_FLUSH_BUDGET="abc"'].entries()) {
    assert.ok(got.lines[i].includes('[SOCKET_IO_NATIVE_INVALID_ENV]') && got.lines[i].includes(name), got.lines[i]);
  }
});

test('SOCKET_IO_NATIVE_FANOUT=false/off and SOCKET_IO_NATIVE_FLUSH_BUDGET=<n> take effect', { skip: !addonLoads && 'the addon does not load here' }, () => {
  for (const raw of ['0', 'false', 'off', 'No']) {
    const got = probe({ SOCKET_IO_NATIVE_DISABLE: undefined, SOCKET_IO_NATIVE_FANOUT: raw });
    assert.deepStrictEqual([got.native, got.fanout], [true, false], raw);
  }
  for (const raw of ['1', 'true', 'on']) {
    assert.strictEqual(probe({ SOCKET_IO_NATIVE_DISABLE: undefined, SOCKET_IO_NATIVE_FANOUT: raw }).fanout, true, raw);
  }
  for (const [raw, budget] of [['7', 7], ['0', 0], [' 25 ', 25]]) {
    const got = probe({ SOCKET_IO_NATIVE_DISABLE: undefined, SOCKET_IO_NATIVE_FLUSH_BUDGET: raw });
    assert.strictEqual(got.budget, budget, raw);
    assert.deepStrictEqual(got.lines, []);
  }
});

test('without a binary, the fallback warning names the npm 11 fix', (t) => {
  // The package's own files without build/ or prebuilds/: what a project
  // gets when npm did not run the install script on a platform without a
  // prebuilt binary.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-nobuild-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const got = probe({ SOCKET_IO_NATIVE_DISABLE: undefined }, dir);
  assert.strictEqual(got.native, false);
  assert.strictEqual(got.lines.length, 1, got.lines.join('\n'));
  assert.ok(got.lines[0].includes('[SOCKET_IO_NATIVE_FALLBACK]'), got.lines[0]);
  assert.match(got.lines[0], /No native build was found/);
  assert.ok(got.lines[0].includes('npm install-scripts approve socket.io-native && npm rebuild socket.io-native'), got.lines[0]);
});
