'use strict';

/**
 * End-to-end broadcast benchmark: one message in, the same frame out to N
 * websocket clients. Measures the server's CPU time per delivered frame for
 *   stock     socket.io with its default adapter and parser
 *   native    socket.io with this package's adapter and parser
 *   sendloop  bench/sendloop: one send() per socket per message, the floor
 *   control   (optional) stock again, as an A/A check of the machine's noise
 * with N clients held by bench/loadgen (sio_loadgen), which checks that every
 * client got every message once and in order.
 *
 *   node bench/broadcast.bench.js --help   (the options)
 *
 * Environment equivalents: SIO_BENCH_N, SIO_BENCH_FRAMES, SIO_BENCH_MESSAGES,
 * SIO_BENCH_ROUNDS, SIO_BENCH_VARIANTS. --frames is the number of delivered
 * frames per variant, scenario and N, split over the rounds; --messages fixes
 * the messages per round instead. Variants alternate within each round so
 * that drift in the machine's speed hits all of them alike.
 *
 * Scenarios: "turn" is one broadcast per event-loop turn (setImmediate
 * between emits); "burst" is --burst broadcasts per turn.
 *
 * --json saves the run; --chart draws it as an SVG chart (bench/chart.js):
 * server CPU per delivered frame against N, per scenario and variant.
 * --from-json prints a saved run again, and with --chart redraws its chart,
 * without measuring. `npm run bench` saves bench/results/broadcast.json and
 * bench/results/broadcast.svg.
 */

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chartSvg } = require('./chart');
const { LineChild, killAll, killChildrenOnExit, hardFileLimit, fileLimitProblem, serverDescriptors } = require('./support/line-child');
const { UsageError, parseOptions, numberArg, commandLine } = require('./support/cli');

const root = path.join(__dirname, '..');

// ---------------------------------------------------------------------------
// Options

const USAGE = `
End-to-end broadcast benchmark: stock socket.io, this package and a plain
send() loop, each sending the same frames to N websocket clients held by the
C++ load generator, which checks every frame. Prints server CPU time per
delivered frame (see the legend under the tables).

  node bench/broadcast.bench.js [options]
  node bench/broadcast.bench.js --from-json saved.json [--markdown] [--chart chart.svg]

  --quick              N = 1,000 and 20,000 frames per variant, one round
  --n 1000,5000        numbers of clients (SIO_BENCH_N; default 1000,5000,10000)
  --frames F           delivered frames per variant, scenario and N (SIO_BENCH_FRAMES; default 300000)
  --messages M         messages per round instead of --frames (SIO_BENCH_MESSAGES)
  --rounds R           rounds, the variants' order reversed every other one (SIO_BENCH_ROUNDS; default 2)
  --variants LIST      of stock, native, sendloop, control (SIO_BENCH_VARIANTS; default stock,native,sendloop)
  --pad P              padding of each message in bytes (default 68)
  --burst B            broadcasts per turn in the burst scenario (default 10)
  --json FILE          save the run
  --chart FILE         draw the run as an SVG chart
  --from-json FILE     print a saved run again (and with --chart, redraw it) without measuring
  --markdown           tables as Markdown
  --no-build           do not build sio_loadgen and sio_sendloop (use --bin-dir)
  --bin-dir DIR        where they are (default build-cmake/release)
  --connect-timeout-ms, --stall-ms, --batch-us, --quiet-wait   see the source
  --verbose            print the child processes' output
  --help               this text

Building the two C++ programs needs a C++20 compiler, CMake and OpenSSL's
headers (Debian: g++ cmake libssl-dev), nothing else.
`;

const FLAGS = ['quick', 'no-build', 'verbose', 'markdown'];
const VALUES = ['n', 'frames', 'messages', 'rounds', 'variants', 'pad', 'burst', 'json', 'chart', 'from-json',
  'bin-dir', 'connect-timeout-ms', 'stall-ms', 'batch-us', 'quiet-wait'];

const { args, config } = commandLine(USAGE, (argv) => {
  const args = parseOptions(argv, { flags: FLAGS, values: VALUES }).options;
  const quick = Boolean(args.quick);
  const pick = (name, env, fallback) => args[name] ?? process.env[env] ?? fallback;
  const count = (what, raw, min = 1) => numberArg(what, raw, { integer: true, min });
  const config = {
    ns: String(pick('n', 'SIO_BENCH_N', quick ? '1000' : '1000,5000,10000')).split(',').map((n) => count('--n', n)),
    frames: count('--frames', pick('frames', 'SIO_BENCH_FRAMES', quick ? 20000 : 300000)),
    messages: count('--messages', pick('messages', 'SIO_BENCH_MESSAGES', 0), 0),
    rounds: count('--rounds', pick('rounds', 'SIO_BENCH_ROUNDS', quick ? 1 : 2)),
    variants: String(pick('variants', 'SIO_BENCH_VARIANTS', 'stock,native,sendloop')).split(','),
    pad: count('--pad', args.pad ?? 68, 0),
    burst: count('--burst', args.burst ?? 10),
    json: args.json || null,
    chart: args.chart || null,
    build: !args['no-build'],
    verbose: Boolean(args.verbose),
    markdown: Boolean(args.markdown),
    binDir: args['bin-dir'] || path.join(root, 'build-cmake', 'release'),
    // Every wait is bounded; a stalled run fails instead of hanging.
    connectTimeoutMs: count('--connect-timeout-ms', args['connect-timeout-ms'] ?? 120000),
    stallMs: count('--stall-ms', args['stall-ms'] ?? 20000),
    childMaxMs: 30 * 60 * 1000,
    batchUs: count('--batch-us', args['batch-us'] ?? 0, 0),
    quietWait: numberArg('--quiet-wait', args['quiet-wait'] ?? 0, { min: 0 }),
  };
  for (const v of config.variants) {
    if (!['stock', 'native', 'sendloop', 'control'].includes(v)) throw new UsageError(`unknown variant ${v}`);
  }
  return { args, config };
});

const scenarios = [
  { name: 'turn', title: 'one broadcast per event-loop turn', burst: 1 },
  { name: 'burst', title: `bursts of ${config.burst} broadcasts per turn`, burst: config.burst },
];

// ---------------------------------------------------------------------------
// Child processes: JSON lines on stdout, commands on stdin, all killed on exit.

killChildrenOnExit();

class Child extends LineChild {
  constructor(name, cmd, argv) {
    super(name, cmd, argv, { cwd: root, verbose: config.verbose });
  }
}

// ---------------------------------------------------------------------------
// Setup

function buildPrograms() {
  const targets = ['sio_loadgen', 'sio_sendloop'];
  const have = targets.every((t) => fs.existsSync(path.join(config.binDir, t)));
  if (!config.build) {
    if (!have) throw new Error(`${config.binDir} lacks ${targets.join('/')}: run node scripts/cmake.js build`);
    return;
  }
  execFileSync(process.execPath, [path.join(root, 'scripts', 'cmake.js'), 'build', ...targets], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
}

/** Why the native variant cannot run, or null if it can. */
function nativeUnavailable() {
  let mod;
  try {
    mod = require('..');
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(path.join(root, 'lib', 'index.js'))) {
      return 'lib/index.js does not exist yet';
    }
    return `require('socket.io-native') failed: ${err.message.split('\n')[0].split(root).join('.')}`;
  }
  if (typeof mod.createAdapter !== 'function' || !mod.parser) {
    return 'lib/index.js does not export createAdapter and parser yet';
  }
  if (mod.native === false) return 'the native addon did not load, so this would measure the fallback';
  return null;
}

// Node raises its own soft RLIMIT_NOFILE to the hard limit at startup, so a
// server child only needs help when the hard limit itself is too low; then
// (as root in CI) prlimit raises it for that child alone.
function serverCommand(argv, n) {
  const wanted = serverDescriptors(n);
  if (hardFileLimit() >= wanted) return [process.execPath, argv];
  return ['prlimit', [`--nofile=${wanted}:${wanted}`, '--', process.execPath, ...argv]];
}

function machine() {
  const cpus = os.cpus();
  return {
    nproc: cpus.length,
    cpu: cpus[0] ? cpus[0].model : 'unknown',
    node: process.version,
    socketio: require('socket.io/package.json').version,
    os: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (/proc/stat). */
function machineTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

// The machine may be shared (CI runners, parallel jobs). Other processes do
// not change the server's CPU time much, but they do change cache behaviour
// and wall time, so each phase records how busy the rest of the machine was,
// and --quiet-wait S waits (at most S seconds per run) for it to calm down.
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux.

async function waitQuiet(maxSeconds) {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const a = machineTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineTicks();
    if (!a || !b) return null;
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < 0.1 || Date.now() > deadline) return busy;
  }
}

/** Warm-up phases at most before a run fails (see runOne). */
const WARM_PHASES = 40;

function messagesFor(n, burst) {
  let m = config.messages || Math.ceil(config.frames / (n * config.rounds));
  m = Math.max(m, burst);
  return Math.ceil(m / burst) * burst;
}

// ---------------------------------------------------------------------------
// One run: a server and a load generator for one variant and N; a warm-up
// phase, then every scenario.

async function startServer(variant, n) {
  if (variant === 'sendloop') {
    return new Child('sendloop', path.join(config.binDir, 'sio_sendloop'), [
      '--pad', String(config.pad), '--max-connections', String(n + 64), '--max-ms', String(config.childMaxMs),
    ]);
  }
  // "control" is stock run a second time under another name: an A/A
  // comparison that shows how much two identical servers differ on this
  // machine, i.e. the noise floor of the other ratios.
  const serverVariant = variant === 'control' ? 'stock' : variant;
  const [cmd, argv] = serverCommand([path.join(__dirname, 'broadcast-server.js'), '--variant', serverVariant,
    '--pad', String(config.pad), '--max-ms', String(config.childMaxMs)], n);
  return new Child(variant, cmd, argv);
}

async function phase(server, loadgen, target, count, burst) {
  loadgen.send(`wait ${target}`);
  await loadgen.next('waiting', 10000);
  const ticksBefore = machineTicks();
  const start = process.hrtime.bigint();
  server.send(`run ${count} ${burst}`);
  const result = await loadgen.next('phase', config.stallMs + 60000 + count * 2000);
  server.send('stats');
  const stats = await server.next('stats', 30000);
  const ticksAfter = machineTicks();
  const wallNs = result.lastFrameNs > 0 ? result.lastFrameNs - Number(start) : 0;
  // Share of the machine's CPU capacity used by everything except the server
  // and the load generator during the phase.
  let otherLoad = NaN;
  if (ticksBefore && ticksAfter) {
    const busyUs = (ticksAfter.busy - ticksBefore.busy) * TICK_US;
    const totalUs = (ticksAfter.total - ticksBefore.total) * TICK_US;
    const ours = stats.cpuUserUs + stats.cpuSysUs + result.cpuUserUs + result.cpuSysUs;
    otherLoad = totalUs > 0 ? Math.max(0, busyUs - ours) / totalUs : NaN;
  }
  return { result, stats, wallNs, otherLoad };
}

async function runOne(variant, n, round) {
  if (config.quietWait > 0) await waitQuiet(config.quietWait);
  const server = await startServer(variant, n);
  let loadgen = null;
  const out = [];
  try {
    const listening = await server.next('listening', 30000);
    loadgen = new Child(`loadgen(${variant})`, path.join(config.binDir, 'sio_loadgen'), [
      '--port', String(listening.port), '--connections', String(n),
      '--connect-timeout-ms', String(config.connectTimeoutMs), '--stall-ms', String(config.stallMs),
      '--max-ms', String(config.childMaxMs), '--batch-us', String(config.batchUs),
    ]);
    const connected = await loadgen.next('connected', config.connectTimeoutMs + 10000);
    if (connected.connected !== n) {
      return scenarios.map((s) => ({ variant, n, round, scenario: s.name,
        error: `only ${connected.connected} of ${n} clients connected ${JSON.stringify(connected.errors)}` }));
    }
    let target = 0;
    // Warm-up (not in the scenarios' figures): lets V8 optimize the server's
    // hot path, and lets this package register its connections with the
    // fan-out, which it does at most SOCKET_IO_NATIVE_REGISTRATION_BUDGET
    // (1,000) per turn, so 10 broadcasts at N = 10,000. The scenarios then
    // measure the steady state: warm-up phases repeat (up to WARM_PHASES)
    // until one deferred no registration. Its cost is recorded in `warmup`.
    const warm = Math.max(5, Math.ceil(messagesFor(n, 1) / 10));
    const warmup = { messages: 0, phases: 0, serverCpuUs: 0, connections: null, refused: null };
    let deferred = 0;
    for (;;) {
      target += warm;
      const { stats } = await phase(server, loadgen, target, warm, 1);
      warmup.messages += warm;
      warmup.phases++;
      warmup.serverCpuUs += stats.cpuUserUs + stats.cpuSysUs;
      const fanout = stats.fanout;
      if (!fanout || typeof fanout.registrationsDeferred !== 'number') break;
      warmup.connections = fanout.connections;
      warmup.refused = fanout.refused;
      const settled = fanout.registrationsDeferred === deferred;
      deferred = fanout.registrationsDeferred;
      if (settled) break;
      if (warmup.phases === WARM_PHASES) throw new Error(`registrations still deferred after ${warmup.messages} warm-up broadcasts`);
    }
    for (const s of scenarios) {
      const m = messagesFor(n, s.burst);
      target += m;
      const { result, stats, wallNs, otherLoad } = await phase(server, loadgen, target, m, s.burst);
      out.push({
        variant, n, round, scenario: s.name, messages: m, expected: m * n,
        delivered: result.frames, ok: result.ok && !result.stalled && result.frames === m * n,
        ordered: result.ordered, complete: result.complete, checks: result,
        serverCpuUs: stats.cpuUserUs + stats.cpuSysUs, serverUserUs: stats.cpuUserUs,
        serverSysUs: stats.cpuSysUs, wallNs,
        clientCpuUs: result.cpuUserUs + result.cpuSysUs, otherLoad, server: stats, warmup,
      });
    }
    return out;
  } catch (err) {
    // Keep the scenarios that finished; the rest report the error.
    const done = new Set(out.map((r) => r.scenario));
    return [...out, ...scenarios.filter((s) => !done.has(s.name))
      .map((s) => ({ variant, n, round, scenario: s.name, error: err.message }))];
  } finally {
    if (loadgen) await loadgen.stop();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------
// Report

function summarize(results, variants) {
  const rows = [];
  for (const s of scenarios) {
    for (const n of config.ns) {
      const row = { scenario: s, n, variants: {} };
      for (const v of variants) {
        const rs = results.filter((r) => r.variant === v && r.n === n && r.scenario === s.name);
        const errors = rs.filter((r) => r.error).map((r) => r.error);
        const good = rs.filter((r) => !r.error);
        const delivered = good.reduce((a, r) => a + r.delivered, 0);
        const expected = good.reduce((a, r) => a + r.expected, 0);
        const cpu = good.reduce((a, r) => a + r.serverCpuUs, 0);
        const client = good.reduce((a, r) => a + r.clientCpuUs, 0);
        const wall = good.reduce((a, r) => a + r.wallNs, 0);
        const perRound = good.map((r) => r.serverCpuUs / Math.max(1, r.delivered));
        const loads = good.map((r) => r.otherLoad).filter(Number.isFinite);
        row.variants[v] = {
          runs: rs.length, errors, delivered, expected,
          ok: errors.length === 0 && good.length > 0 && good.every((r) => r.ok),
          ordered: good.every((r) => r.ordered),
          usPerFrame: delivered ? cpu / delivered : NaN,
          sysShare: cpu ? good.reduce((a, r) => a + r.serverSysUs, 0) / cpu : NaN,
          clientUsPerFrame: delivered ? client / delivered : NaN,
          framesPerSec: wall ? delivered / (wall / 1e9) : NaN,
          spread: perRound.length > 1 ? [Math.min(...perRound), Math.max(...perRound)] : null,
          otherLoad: loads.length ? Math.max(...loads) : NaN,
        };
      }
      rows.push(row);
    }
  }
  return rows;
}

function fmt(x, digits = 1) {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** What the table's columns mean; printed under every table. */
const LEGEND = `
variant           stock: socket.io with its own adapter and parser; native: with this package's;
                  sendloop: bench/sendloop, one send() per socket per message (the floor);
                  control: stock again (an A/A check of the machine's noise)
delivered, check  frames the clients received; ok = every client got every frame once, in order
server us/frame   server process CPU time (user + sys, getrusage) in the measured phase / frames
                  delivered; lower is better; (range) = lowest and highest round
sys %             share of that CPU time spent in the kernel (sys / (user + sys)): writing to
                  sockets is kernel time, so a server that does little else is near 100%
frames/s          frames received / (last frame received - run command), wall time
stock / this      stock's server us/frame divided by this variant's: 2x = half stock's CPU per frame
send() / this     the same against the send() loop: above 1x = cheaper than one send() per frame
loadgen us/frame  CPU time of the load generator (the clients, another process) per frame it
                  received: how hard the clients worked, not part of the server's figure
other load %      highest share of the machine's CPU used by other processes during a measured
                  phase (high = the figures are noisy)`;

function table(rows, unavailable) {
  const lines = [];
  for (const row of rows) {
    lines.push('');
    lines.push(`${row.scenario.title}, N = ${row.n}`);
    const header = ['variant', 'delivered', 'check', 'server us/frame', '(range)', 'sys %',
      'frames/s', 'stock / this', 'send() / this', 'loadgen us/frame', 'other load %'];
    const body = [];
    const stock = row.variants.stock;
    const floor = row.variants.sendloop;
    for (const [v, r] of Object.entries(row.variants)) {
      if (unavailable[v]) {
        body.push([v, `not available: ${unavailable[v]}`]);
        continue;
      }
      if (r.errors.length && !r.delivered) {
        body.push([v, `error: ${r.errors[0]}`]);
        continue;
      }
      const check = r.ok ? 'ok' : `FAIL${r.ordered ? '' : ' (order)'} ${r.delivered}/${r.expected}`;
      body.push([
        v, String(r.delivered), check, fmt(r.usPerFrame, 2),
        r.spread ? `${fmt(r.spread[0], 2)}-${fmt(r.spread[1], 2)}` : '',
        fmt(100 * r.sysShare, 0), fmt(r.framesPerSec, 0),
        // One direction everywhere (as in the README): the reference's CPU
        // per frame over this variant's, so above 1x this variant is cheaper.
        stock && stock.delivered ? `${fmt(stock.usPerFrame / r.usPerFrame, 2)}x` : '-',
        floor && floor.delivered ? `${fmt(floor.usPerFrame / r.usPerFrame, 2)}x` : '-',
        fmt(r.clientUsPerFrame, 2), fmt(100 * r.otherLoad, 0),
      ]);
    }
    if (config.markdown) {
      // For pasting into bench/RESULTS.md.
      lines.push('');
      lines.push(`| ${header.join(' | ')} |`);
      lines.push(`|${header.map(() => '---').join('|')}|`);
      for (const b of body) {
        const cells = b.length > 2 ? b : [b[0], b[1], ...header.slice(2).map(() => '')];
        lines.push(`| ${cells.join(' | ')} |`);
      }
      continue;
    }
    const widths = header.map((h, i) => Math.max(h.length, ...body.filter((b) => b.length > 2).map((b) => b[i].length)));
    lines.push(header.map((h, i) => h.padEnd(widths[i])).join('  '));
    for (const b of body) {
      lines.push(b.length > 2 ? b.map((c, i) => c.padEnd(widths[i])).join('  ') : b.join('  '));
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

/** Writes `text` to `file`, creating its directory. */
function writeOutput(file, text) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

/** The summary rows as --json saves them and the chart reads them. */
function savedRows(rows) {
  return rows.map((r) => ({ scenario: r.scenario.name, n: r.n, variants: r.variants }));
}

async function writeChart(file, saved) {
  writeOutput(file, await chartSvg(saved));
  console.log(`chart: ${file}`);
}

async function main() {
  if (args['from-json']) {
    // Re-render a saved run (e.g. as Markdown, or its chart) without measuring again.
    const saved = JSON.parse(fs.readFileSync(args['from-json'], 'utf8'));
    config.ns = saved.config.ns;
    const rows = summarize(saved.results, saved.config.variants);
    console.log(table(rows, saved.unavailable));
    console.log(LEGEND);
    if (config.chart) {
      await writeChart(config.chart, { ...saved, rows: savedRows(rows) });
    }
    return;
  }
  buildPrograms();
  const unavailable = {};
  if (config.variants.includes('native')) {
    const why = nativeUnavailable();
    if (why) {
      unavailable.native = why;
      console.log(`variant native (this package's adapter + parser) is not available yet: ${why}; skipping it`);
    }
  }
  const variants = config.variants.filter((v) => !unavailable[v]);
  const info = machine();
  console.log(`machine: ${info.nproc} CPUs (${info.cpu}), node ${info.node}, ${info.os}, load average ${info.loadavg}`);
  console.log(`N = ${config.ns.join(', ')}; rounds = ${config.rounds}; variants = ${variants.join(', ')}; ` +
    `frames of ~${config.pad + 30} bytes (pad ${config.pad}); ` +
    (config.messages ? `${config.messages} messages per round` : `~${config.frames} frames per variant, scenario and N`));

  const results = [];
  for (const n of config.ns) {
    const problem = fileLimitProblem(n);
    if (problem) {
      console.log(`  N=${n}: skipped, ${problem}`);
      for (let round = 0; round < config.rounds; round++) {
        for (const v of variants) {
          results.push(...scenarios.map((s) => ({ variant: v, n, round, scenario: s.name, error: problem })));
        }
      }
      continue;
    }
    for (let round = 0; round < config.rounds; round++) {
      // A, B, C then C, B, A: a steady drift in the machine's speed then
      // affects every variant alike instead of favouring the one that goes first.
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const t0 = Date.now();
        const out = await runOne(v, n, round);
        results.push(...out);
        const msg = out.map((r) => (r.error ? `${r.scenario}: error ${r.error}`
          : `${r.scenario}: ${fmt(r.serverCpuUs / Math.max(1, r.delivered), 2)} us/frame${r.ok ? '' : ' CHECK FAILED'}`));
        const warmup = out.find((r) => r.warmup)?.warmup;
        if (warmup) msg.push(`warm-up: ${warmup.messages} broadcasts, ${fmt(warmup.serverCpuUs / 1000, 0)} ms CPU`);
        console.log(`  N=${n} round ${round + 1}/${config.rounds} ${v}: ${msg.join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  }
  const rows = summarize(results, config.variants);
  console.log(table(rows, unavailable));
  console.log(LEGEND);
  // The saved run names the programs' directory relative to the project, so
  // it says nothing about the machine's own layout.
  const savedConfig = { ...config, binDir: path.relative(root, config.binDir) || '.' };
  const saved = { machine: info, config: savedConfig, unavailable, results, rows: savedRows(rows) };
  if (config.json) writeOutput(config.json, JSON.stringify(saved, null, 2));
  if (config.chart) await writeChart(config.chart, saved);
  // The send loop counts send() calls that would have blocked: the clients
  // fell behind and socket buffers filled, which changes what the server
  // does per frame. Say so rather than let it pass as a normal result.
  const behind = results.filter((r) => !r.error && r.server && r.server.blocked > 0);
  for (const r of behind) {
    console.log(`note: N=${r.n} ${r.variant} ${r.scenario} round ${r.round + 1}: ${r.server.blocked} sends would ` +
      'have blocked (clients fell behind); its CPU per frame includes queueing');
  }
  const failed = results.some((r) => r.error || !r.ok);
  if (failed) {
    console.log('\nsome runs failed their completeness/order check or did not finish');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err.stack || err.message);
  killAll();
  process.exit(1);
});
