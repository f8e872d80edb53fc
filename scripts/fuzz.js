'use strict';
// Builds the fuzz targets with clang and libFuzzer (SIO_FUZZ=ON, ASan+UBSan)
// in build-cmake/fuzz and runs each one for a bounded time. Each run works on
// a copy of the target's seed corpus, so the committed corpus never grows by
// itself: an input worth keeping is added by hand, with a reason. Any crash,
// leak, timeout, out-of-memory or sanitizer report fails the run; the input
// that caused it is left in build-cmake/fuzz/runs/<target>/artifacts/.
//
// Environment: FUZZ_SECONDS per target (default 60), FUZZ_TARGETS (comma
// separated names, default all), FUZZ_TIMEOUT seconds per input (default 10),
// FUZZ_RSS_MB (default 2048), FUZZ_MAX_LEN bytes (default 4096), SIO_JOBS,
// FUZZ_VERBOSE=1 (stream libFuzzer's output).
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dir = path.join(root, 'build-cmake/fuzz');
const fuzzDir = path.join(root, 'test/fuzz');
const jobs = String(process.env.SIO_JOBS || 2);

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const seconds = intFromEnv('FUZZ_SECONDS', 60);
const verbose = process.env.FUZZ_VERBOSE === '1';
const timeout = intFromEnv('FUZZ_TIMEOUT', 10);
const rssMb = intFromEnv('FUZZ_RSS_MB', 2048);
const maxLen = intFromEnv('FUZZ_MAX_LEN', 4096);

const allTargets = fs.readdirSync(fuzzDir)
  .filter((f) => f.endsWith('Fuzz.cc'))
  .map((f) => f.slice(0, -'.cc'.length))
  .sort();
const targets = process.env.FUZZ_TARGETS
  ? process.env.FUZZ_TARGETS.split(',').map((t) => t.trim()).filter(Boolean)
  : allTargets;
for (const t of targets) {
  if (!allTargets.includes(t)) throw new Error(`unknown fuzz target ${t}; have ${allTargets.join(', ')}`);
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

// Copies the regular files of one directory into another (flat: corpora are flat).
function copyFlat(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    const src = path.join(from, name);
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(to, name));
  }
}

// Runs one target, mirroring its output to our stderr and a log file, and
// resolves with the exit code and the whole output for the verdict.
function fuzzOne(target) {
  const work = path.join(dir, 'runs', target);
  fs.rmSync(work, { recursive: true, force: true });
  const corpus = path.join(work, 'corpus');
  const artifacts = path.join(work, 'artifacts');
  copyFlat(path.join(fuzzDir, 'corpus', target), corpus);
  fs.mkdirSync(artifacts, { recursive: true });

  const args = [
    `-max_total_time=${seconds}`,
    `-timeout=${timeout}`,
    `-rss_limit_mb=${rssMb}`,
    `-malloc_limit_mb=${rssMb}`,
    `-max_len=${maxLen}`,
    '-error_exitcode=77',
    '-timeout_exitcode=78',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}${path.sep}`,
  ];
  const dict = path.join(fuzzDir, `${target}.dict`);
  if (fs.existsSync(dict)) args.push(`-dict=${dict}`);
  args.push(corpus);

  const env = {
    ...process.env,
    // Leaks are failures; UBSan stops at the first report with a stack.
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:symbolize=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  };
  const log = fs.createWriteStream(path.join(work, 'fuzz.log'));
  process.stderr.write(`\n== ${target}: ${seconds} s, ${path.join(dir, target)} ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(path.join(dir, target), args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk) => {
      output += chunk;
      log.write(chunk);
      // libFuzzer reports every new unit; the full stream goes to fuzz.log
      // and to the terminal only with FUZZ_VERBOSE=1 (a failure prints its tail).
      if (verbose) process.stderr.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code, signal) => {
      log.end();
      const found = fs.readdirSync(artifacts);
      resolve({ target, code, signal, output, artifacts: found.map((f) => path.join(artifacts, f)), work });
    });
  });
}

function stat(output, name) {
  const m = output.match(new RegExp(`stat::${name}:\\s+(\\d+)`));
  return m ? Number(m[1]) : null;
}

function verdict(r) {
  const problems = [];
  if (r.signal) problems.push(`killed by ${r.signal}`);
  else if (r.code !== 0) problems.push(`exit code ${r.code}`);
  if (/ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)/.test(r.output) ||
      /runtime error:/.test(r.output)) {
    problems.push('sanitizer or libFuzzer report');
  }
  if (r.artifacts.length > 0) problems.push(`artifacts: ${r.artifacts.join(', ')}`);
  // A run that never reached its final stats did not finish its time.
  if (stat(r.output, 'number_of_executed_units') === null) problems.push('no final stats');
  return problems;
}

async function main() {
  run('cmake', ['-S', '.', '-B', dir, '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_CXX_COMPILER=clang++',
    '-DSIO_FUZZ=ON', '-DSIO_SANITIZE=OFF', '-DSIO_BENCH=OFF']);
  run('cmake', ['--build', dir, '-j', jobs, '--target', 'sio_fuzz']);

  const results = [];
  for (const target of targets) {
    const r = await fuzzOne(target);
    const cov = [...r.output.matchAll(/cov: (\d+) ft: (\d+)/g)].pop();
    results.push({
      target,
      seconds,
      executions: stat(r.output, 'number_of_executed_units'),
      execPerSec: stat(r.output, 'average_exec_per_sec'),
      newUnits: stat(r.output, 'new_units_added'),
      peakRssMb: stat(r.output, 'peak_rss_mb'),
      coverage: cov ? Number(cov[1]) : null,
      features: cov ? Number(cov[2]) : null,
      problems: verdict(r),
      log: path.join(r.work, 'fuzz.log'),
      // The end of the output holds the report, the stack and libFuzzer's
      // Base64 of the input, enough to reproduce a finding from a CI log.
      tail: r.output.split('\n').slice(-60).join('\n'),
      seed: (r.output.match(/INFO: Seed: (\d+)/) || [null, null])[1],
      artifacts: r.artifacts,
    });
  }
  fs.writeFileSync(path.join(dir, 'runs', 'summary.json'), JSON.stringify(results, null, 2) + '\n');

  console.log('\n| target | budget (s) | executions | exec/s | new units | cov | ft | peak RSS MB | result |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    console.log(`| ${r.target} | ${r.seconds} | ${r.executions} | ${r.execPerSec} | ${r.newUnits} | ` +
      `${r.coverage} | ${r.features} | ${r.peakRssMb} | ${r.problems.length ? 'FAIL: ' + r.problems.join('; ') : 'ok'} |`);
  }
  const failed = results.filter((r) => r.problems.length > 0);
  if (failed.length > 0) {
    for (const r of failed) {
      console.error(`\n== ${r.target} (last lines of its output, all of it in ${r.log})\n${r.tail}`);
      // The seed and the input itself, so that a finding on another machine
      // can be replayed here: save the Base64 to a file, decode it, and run
      // the target on it (build-cmake/fuzz/<target> <file>).
      if (r.seed !== null) console.error(`${r.target}: libFuzzer seed ${r.seed}`);
      for (const file of r.artifacts) {
        console.error(`${r.target}: ${path.basename(file)} (Base64): ${fs.readFileSync(file).toString('base64')}`);
      }
    }
    console.log(`fuzz: ${results.length - failed.length} passed, ${failed.length} failed`);
    console.error(`\nfuzz: ${failed.length} of ${results.length} targets failed; logs and inputs under ${path.join(dir, 'runs')}`);
    process.exit(1);
  }
  console.log(`\nfuzz: ${results.length} targets ran ${seconds} s each with no findings`);
  console.log(`fuzz: ${results.length} passed, 0 failed`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
