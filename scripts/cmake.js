'use strict';
// Configures, builds and runs the C++ core's GoogleTest suite (`test`) or its
// Google Benchmark programs (`bench`); `build [targets...]` only configures and
// builds (all targets, or the ones named, e.g. sio_loadgen sio_sendloop). The build directory is build-cmake/,
// outside build/, which `node-gyp rebuild` wipes.
//
// Each mode configures only what it needs: `test` needs GoogleTest (and
// Google Benchmark, whose programs it compiles too, except under the
// sanitizers), `bench` only Google Benchmark, and building just the
// end-to-end benchmark programs (what `npm run bench` does) neither: a C++
// compiler, CMake and OpenSSL's headers.
const { execFileSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');

/** The end-to-end benchmark programs: plain epoll programs, no core, no test libraries. */
const BENCH_TOOLS = ['sio_loadgen', 'sio_sendloop'];

/**
 * CMake cache options for a mode.
 *
 * @param {string} mode test, bench or build
 * @param {string[]} targets for build: the targets named (none: all)
 * @param {boolean} sanitize
 * @returns {string[]}
 */
function cmakeOptions(mode, targets, sanitize) {
  const toolsOnly = mode === 'build' && targets.length > 0 && targets.every((t) => BENCH_TOOLS.includes(t));
  const tests = mode === 'test' || (mode === 'build' && !toolsOnly);
  const bench = !sanitize && (mode === 'bench' || tests);
  return ['-DCMAKE_BUILD_TYPE=Release', `-DSIO_SANITIZE=${sanitize ? 'ON' : 'OFF'}`,
    `-DSIO_TESTS=${tests ? 'ON' : 'OFF'}`, `-DSIO_BENCH=${bench ? 'ON' : 'OFF'}`];
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

function main() {
  const mode = process.argv[2] || 'test';
  const extra = process.argv.slice(3);
  const sanitize = process.env.SIO_SANITIZE === '1';
  const dir = path.join(root, sanitize ? 'build-cmake/sanitize' : 'build-cmake/release');
  const jobs = String(process.env.SIO_JOBS || 2);
  if (!['test', 'bench', 'build'].includes(mode)) throw new Error(`unknown mode ${mode}: use test, bench or build`);
  const targets = mode === 'build' ? extra : [];
  run('cmake', ['-S', '.', '-B', dir, ...cmakeOptions(mode, targets, sanitize)]);
  run('cmake', ['--build', dir, '-j', jobs, ...(targets.length ? ['--target', ...targets] : [])]);
  if (mode === 'test') {
    run('ctest', ['--test-dir', dir, '--output-on-failure', '-j', jobs, ...extra]);
  } else if (mode === 'bench') {
    run(path.join(dir, 'sio_bench'), extra);
  }
}

if (require.main === module) main();

module.exports = { cmakeOptions, BENCH_TOOLS };
