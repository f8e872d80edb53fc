'use strict';
// Configures, builds and runs the C++ core's GoogleTest suite (`test`) or its
// Google Benchmark programs (`bench`); `build [targets...]` only configures and
// builds (all targets, or the ones named, e.g. sio_loadgen sio_sendloop). The build directory is build-cmake/,
// outside build/, which `node-gyp rebuild` wipes.
const { execFileSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const mode = process.argv[2] || 'test';
const extra = process.argv.slice(3);
const sanitize = process.env.SIO_SANITIZE === '1';
const dir = path.join(root, sanitize ? 'build-cmake/sanitize' : 'build-cmake/release');
const jobs = String(process.env.SIO_JOBS || 2);

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

run('cmake', ['-S', '.', '-B', dir, '-DCMAKE_BUILD_TYPE=Release',
  `-DSIO_SANITIZE=${sanitize ? 'ON' : 'OFF'}`, `-DSIO_BENCH=${sanitize ? 'OFF' : 'ON'}`]);
const targets = mode === 'build' && extra.length ? ['--target', ...extra] : [];
run('cmake', ['--build', dir, '-j', jobs, ...targets]);
if (mode === 'build') {
  // Nothing to run.
} else if (mode === 'test') {
  run('ctest', ['--test-dir', dir, '--output-on-failure', '-j', jobs, ...extra]);
} else if (mode === 'bench') {
  run(path.join(dir, 'sio_bench'), extra);
} else {
  throw new Error(`unknown mode ${mode}: use test, bench or build`);
}
