'use strict';

/**
 * Slow-reader benchmark: what clients that stop reading for a while cost the
 * server, for stock socket.io and for this package, in the same run.
 *
 * Every case starts a fresh server (bench/slow-reader-server.js, its own
 * process, so its memory and event loop are its own) and fresh clients
 * (bench/support/slow-client.js: raw websocket clients on loopback, in child
 * processes of at most 250 clients each). A share of the clients stops
 * reading its socket when the broadcasts begin and resumes after --pause-ms;
 * the server then emits the case's messages, --per-turn of them per
 * event-loop turn. Reported per case and variant:
 *   RSS growth      the server's peak RSS (VmHWM, reset at the start of the
 *                   case; or the highest 10 ms sample) minus its RSS then
 *   loop block      the longest event-loop delay in the server (perf_hooks'
 *                   monitorEventLoopDelay, 1 ms resolution)
 *   readers done    time until every client that never paused has every message
 *   all done        time until every client has every message
 *   complete        clients that received every message byte for byte and in
 *                   order, of all clients; frames missing or wrong are reported,
 *                   never hidden
 *
 *   node bench/slow-reader.bench.js [--cases large,wide,burst] [--variants stock,native]
 *     [--scale 1] [--messages burst=10000,...] [--pause-ms 3000] [--timeout-ms 180000]
 *     [--json out.json] [--quick] [--verbose]
 *
 * --quick runs every case tiny (a smoke run: the numbers mean nothing);
 * --scale divides the clients and the messages of every case (rounded up);
 * --messages sets the number of messages of the cases named.
 * SIO_BENCH_SERVER_FLAGS adds Node flags to the servers (e.g. --cpu-prof).
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LineChild, killChildrenOnExit } = require('./support/line-child');

const root = path.join(__dirname, '..');

/**
 * @typedef {object} SlowCase
 * @property {string} name
 * @property {number} clients
 * @property {number} pausedShare share of the clients that pause (0..1)
 * @property {number} messages
 * @property {number} size characters of pad per message
 * @property {number} perTurn messages emitted per event-loop turn
 * @property {number} [pauseAt] messages a pausing client receives before it pauses (0: at the start)
 */

/** @type {SlowCase[]} */
const CASES = [
  { name: 'large', clients: 100, pausedShare: 1,
    messages: 1, size: 10 * 1024 * 1024, perTurn: 1 },
  { name: 'wide', clients: 200, pausedShare: 1,
    messages: 100, size: 100 * 1024, perTurn: 100 },
  // 2,000 messages by default: at 10,000 (--messages burst=10000) stock
  // socket.io did not finish emitting within 180 s here (bench/RESULTS.md).
  { name: 'burst', clients: 1000,
    pausedShare: 0.2, messages: 2000, size: 100, perTurn: 100 },
];

/** The clients that pause: an evenly spread `share` of them. */
function pausedIndices(clients, share) {
  const out = new Set();
  const n = Math.round(clients * share);
  for (let k = 0; k < n; k++) out.add(Math.floor((k * clients) / n));
  return out;
}

/**
 * Runs one case against one variant and returns its measurements.
 *
 * @param {SlowCase} c
 * @param {'stock' | 'native'} variant
 * @param {{ pauseMs?: number, timeoutMs?: number, verbose?: boolean, allowFallback?: boolean }} [opts]
 *   allowFallback: "native" may run socket.io's own adapter when the addon is not loaded (tests)
 */
async function runCase(c, variant, opts = {}) {
  const pauseMs = opts.pauseMs ?? 3000;
  const timeoutMs = opts.timeoutMs ?? 180000;
  const verbose = Boolean(opts.verbose);
  killChildrenOnExit();
  const server = new LineChild(`server-${variant}`, process.execPath,
    ['--expose-gc', ...serverNodeFlags(), path.join(__dirname, 'slow-reader-server.js'), '--variant', variant,
      '--max-ms', String(timeoutMs + 120000), ...(opts.allowFallback ? ['--allow-fallback'] : [])], { cwd: root, verbose });
  const children = [];
  const result = { case: c.name, variant, clients: c.clients, messages: c.messages, size: c.size, perTurn: c.perTurn };
  try {
    const { port } = await server.next('listening', 30000);
    const paused = pausedIndices(c.clients, c.pausedShare);
    result.paused = paused.size;
    const pauseAt = [];
    for (let i = 0; i < c.clients; i++) pauseAt.push(paused.has(i) ? (c.pauseAt ?? 0) : -1);
    const perChild = 250;
    for (let first = 0; first < c.clients; first += perChild) {
      const child = new LineChild(`clients-${variant}-${first}`, process.execPath,
        [path.join(__dirname, 'support', 'slow-client.js')], { cwd: root, verbose });
      children.push(child);
      const slice = pauseAt.slice(first, first + perChild);
      child.send(JSON.stringify({ cmd: 'connect', port, count: slice.length, messages: c.messages, size: c.size,
        pauseAt: slice, pauseMs }));
    }
    await Promise.all(children.map((ch) => ch.next('joined', 60000)));
    server.send(`baseline ${c.messages} ${c.size}`);
    const base = await server.next('baseline', 60000);
    result.hwmReset = base.hwmReset;
    for (const ch of children) ch.send(JSON.stringify({ cmd: 'start' }));
    await Promise.all(children.map((ch) => ch.next('started', 10000)));
    const t0 = performance.now();
    server.send(`run ${c.perTurn}`);
    const deadline = t0 + timeoutMs;
    const within = () => Math.max(1, deadline - performance.now());
    try {
      const sent = await server.next('sent', within());
      result.emitMs = round(sent.emitMs);
      await Promise.all(children.map((ch) => ch.next('ready', within())));
      result.readersMs = paused.size < c.clients ? round(performance.now() - t0) : null;
      await Promise.all(children.map((ch) => ch.next('done', within())));
      result.allMs = round(performance.now() - t0);
    } catch (err) {
      result.timedOut = String(err.message);
    }
    server.send('stats');
    const stats = await server.next('stats', 30000);
    result.rssGrowthMB = round((stats.rssPeak - stats.rssBase) / 1048576);
    result.rssEndMB = round((stats.rssNow - stats.rssBase) / 1048576);
    result.peakFrom = stats.peakFrom;
    result.loopBlockMs = round(stats.loopDelayMaxMs);
    result.fanout = stats.fanout;
    const reports = [];
    for (const ch of children) {
      ch.send(JSON.stringify({ cmd: 'report' }));
      reports.push(await ch.next('report', 30000));
    }
    result.complete = reports.reduce((s, r) => s + r.complete, 0);
    result.framesReceived = reports.reduce((s, r) => s + r.frames, 0);
    result.missing = reports.reduce((s, r) => s + r.missing, 0);
    result.bad = reports.reduce((s, r) => s + r.bad, 0);
    result.closed = reports.reduce((s, r) => s + r.closed, 0);
    result.errors = reports.flatMap((r) => r.errors).slice(0, 5);
    result.ok = result.complete === c.clients && result.bad === 0 && result.timedOut === undefined;
  } catch (err) {
    result.error = String(err && err.message);
    result.ok = false;
  } finally {
    await Promise.all([server, ...children].map((ch) => ch.stop(5000)));
  }
  return result;
}

/**
 * Extra Node flags for the server processes, from SIO_BENCH_SERVER_FLAGS
 * (e.g. "--cpu-prof --cpu-prof-dir=/some/dir" to see where its time went).
 */
function serverNodeFlags() {
  return (process.env.SIO_BENCH_SERVER_FLAGS || '').split(/\s+/).filter(Boolean);
}

function round(x) {
  return Math.round(x * 10) / 10;
}

function formatBytes(n) {
  if (n >= 1048576) return `${n / 1048576} MB`;
  if (n >= 1024) return `${n / 1024} KB`;
  return `${n} B`;
}

/** @param {SlowCase} c */
function describe(c) {
  return `${c.messages} x ${formatBytes(c.size)}, ${c.perTurn} per event-loop turn, ${c.clients} clients, ` +
    `${Math.round(c.pausedShare * 100)}% paused`;
}

/** One markdown table of the results. */
function table(results) {
  const lines = [
    '| case | variant | clients (paused) | messages x size | RSS growth, peak (MB) | RSS growth, end (MB) | longest loop block (ms) | emit (ms) | readers done (ms) | all done (ms) | complete |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    if (r.error !== undefined) {
      lines.push(`| ${r.case} | ${r.variant} | ${r.clients} | ${r.messages} x ${formatBytes(r.size)} | error: ${r.error} | | | | | | |`);
      continue;
    }
    const complete = `${r.complete}/${r.clients}` + (r.bad ? `, ${r.bad} wrong frames` : '') +
      (r.missing ? `, ${r.missing} missing` : '') + (r.timedOut ? ' (timed out)' : '');
    lines.push(`| ${r.case} | ${r.variant} | ${r.clients} (${r.paused}) | ${r.messages} x ${formatBytes(r.size)} | ` +
      `${r.rssGrowthMB} | ${r.rssEndMB} | ${r.loopBlockMs} | ${r.emitMs ?? 'n/a'} | ${r.readersMs ?? 'n/a'} | ` +
      `${r.allMs ?? 'n/a'} | ${complete} |`);
  }
  return lines.join('\n');
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (['quick', 'verbose'].includes(name)) args[name] = true;
    else if (i + 1 < argv.length) args[name] = argv[++i];
    else throw new Error(`${a} needs a value`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const names = String(args.cases ?? CASES.map((c) => c.name).join(',')).split(',');
  const variants = String(args.variants ?? 'stock,native').split(',');
  for (const v of variants) if (!['stock', 'native'].includes(v)) throw new Error(`unknown variant ${v}`);
  const scale = Number(args.scale ?? 1);
  if (!(scale >= 1)) throw new Error('--scale must be >= 1');
  const messages = new Map(String(args.messages ?? '').split(',').filter(Boolean).map((kv) => {
    const [name, value] = kv.split('=');
    if (!CASES.some((x) => x.name === name) || !(Number(value) >= 1)) throw new Error(`bad --messages ${kv}`);
    return [name, Number(value)];
  }));
  const cases = names.map((n) => {
    const found = CASES.find((x) => x.name === n);
    if (!found) throw new Error(`unknown case ${n} (${CASES.map((x) => x.name).join(', ')})`);
    const c = messages.has(n) ? { ...found, messages: messages.get(n) } : found;
    if (args.quick) return { ...c, clients: Math.min(c.clients, 20), messages: Math.min(c.messages, 50),
      size: Math.min(c.size, 64 * 1024), perTurn: Math.min(c.perTurn, 25) };
    return { ...c, clients: Math.ceil(c.clients / scale), messages: Math.ceil(c.messages / scale) };
  });
  const opts = {
    pauseMs: Number(args['pause-ms'] ?? (args.quick ? 300 : 3000)),
    timeoutMs: Number(args['timeout-ms'] ?? 180000),
    verbose: Boolean(args.verbose),
  };
  process.stderr.write(`slow-reader benchmark: ${os.cpus().length} CPUs, Node ${process.version}, ` +
    `pause ${opts.pauseMs} ms\n`);
  const results = [];
  for (const c of cases) {
    // Variants alternate case by case, so drift in the machine hits both.
    const order = results.length % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      process.stderr.write(`${c.name} (${describe(c)}), ${v} ...\n`);
      const r = await runCase(c, v, opts);
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
      results.push(r);
    }
  }
  const order = (r) => cases.findIndex((c) => c.name === r.case) * 10 + variants.indexOf(r.variant);
  results.sort((a, b) => order(a) - order(b));
  const md = table(results);
  process.stdout.write(`${md}\n`);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ node: process.version, cpus: os.cpus().length,
      pauseMs: opts.pauseMs, cases, results }, null, 2) + '\n');
  }
  if (!results.every((r) => r.ok)) {
    process.stderr.write('incomplete: a run failed or timed out, or clients did not get every message whole and in order\n');
    process.exitCode = 1;
  }
}

module.exports = { CASES, runCase, pausedIndices, table };

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err && err.stack}\n`);
    process.exitCode = 2;
  });
}
