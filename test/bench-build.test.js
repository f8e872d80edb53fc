'use strict';

// The end-to-end benchmark's build (`npm run bench` / `bench:quick` build
// sio_loadgen and sio_sendloop through scripts/cmake.js) configures with
// CMake told that GoogleTest and Google Benchmark do not exist: it needs
// only a C++ compiler, CMake and OpenSSL's headers. The unit-test
// configuration under the same constraint fails, which shows the constraint
// bites. Configuration only (no compiling).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { cmakeOptions, BENCH_TOOLS } = require('../scripts/cmake');

const root = path.join(__dirname, '..');
const haveCmake = spawnSync('cmake', ['--version']).status === 0;

/** Configures into a fresh directory with the test libraries hidden from find_package. */
function configureWithout(options, t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-cmake-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return spawnSync('cmake', ['-S', root, '-B', dir, ...options,
    '-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON', '-DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON'], {
    encoding: 'utf8',
    timeout: 120000,
  });
}

test('the benchmark programs configure without GoogleTest and Google Benchmark', { skip: !haveCmake && 'cmake not installed' }, (t) => {
  const options = cmakeOptions('build', BENCH_TOOLS, false);
  assert.ok(options.includes('-DSIO_TESTS=OFF') && options.includes('-DSIO_BENCH=OFF'), options.join(' '));
  const result = configureWithout(options, t);
  assert.strictEqual(result.status, 0, `cmake failed:\n${result.stdout}\n${result.stderr}`);
});

test('the unit-test configuration does need GoogleTest (the check above can fail)', { skip: !haveCmake && 'cmake not installed' }, (t) => {
  const result = configureWithout(cmakeOptions('test', [], false), t);
  assert.notStrictEqual(result.status, 0);
  assert.match(result.stdout + result.stderr, /GTest/);
});

test('each mode asks for what it needs', () => {
  const on = (options, name) => options.includes(`-D${name}=ON`);
  const test_ = cmakeOptions('test', [], false);
  assert.ok(on(test_, 'SIO_TESTS') && on(test_, 'SIO_BENCH'));
  const sanitized = cmakeOptions('test', [], true);
  assert.ok(on(sanitized, 'SIO_TESTS') && !on(sanitized, 'SIO_BENCH') && on(sanitized, 'SIO_SANITIZE'));
  const bench = cmakeOptions('bench', [], false);
  assert.ok(!on(bench, 'SIO_TESTS') && on(bench, 'SIO_BENCH'));
  const loadgen = cmakeOptions('build', ['sio_loadgen'], false);
  assert.ok(!on(loadgen, 'SIO_TESTS') && !on(loadgen, 'SIO_BENCH'));
  const everything = cmakeOptions('build', [], false);
  assert.ok(on(everything, 'SIO_TESTS') && on(everything, 'SIO_BENCH'));
});
