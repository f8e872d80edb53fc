'use strict';

/**
 * Multi-node over Redis: three socket.io servers (separate processes), each
 * with N websocket clients held by bench/loadgen (sio_loadgen, one process
 * per node), and M broadcasts `io.emit("m", { seq, pad })` to everyone
 * published from the first node, --burst per event-loop turn (default 1).
 * Every client checks that it got seq 0, 1, 2, ... once each and in order.
 *
 * For each N and round the cluster runs once with createRedisAdapter() (and
 * this package's parser, as the README sets it up; --our-parser stock leaves
 * socket.io's) and once with @socket.io/redis-streams-adapter (socket.io's
 * parser), each on a fresh cluster, alternating which goes first, on the same
 * Redis. With --against accelerated the other side is
 * accelerate(@socket.io/redis-streams-adapter) with this package's parser
 * instead: the official protocol with the same native registry and fan-out
 * (the design docs/redis.md weighs createRedisAdapter against). Printed: delivered frames/s (all nodes) and server CPU time (user +
 * system, process.cpuUsage() over the measured window) per frame that node's
 * clients received, medians of the rounds, and the ratios. A round whose
 * clients did not all get every frame is reported as incomplete and left out
 * of the medians.
 *
 *   npm run bench:redis
 *   node bench/redis.bench.js [--clients 1000,3000] [--messages M] [--rounds R] [--pad 68]
 *     [--burst 1] [--warm W] [--our-parser native|stock] [--against official|accelerated] [--stall-ms 20000]
 *     [--no-build] [--verbose]
 */

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { findRedisServer, startRedis } = require('../test/support/redis-process');
const { startNodes, connectClient, settle } = require('../test/support/cluster');
const { LineChild, killChildrenOnExit, hardFileLimit, fileLimitProblem, serverDescriptors } = require('./support/line-child');
const { UsageError, parseOptions, numberArg, commandLine } = require('./support/cli');
const binding = require('../lib/binding');

const root = path.join(__dirname, '..');

const USAGE = `
Multi-node over Redis: three socket.io nodes with N websocket clients each,
broadcasts from the first node, createRedisAdapter() against
@socket.io/redis-streams-adapter. Needs redis-server on the PATH.

  npm run bench:redis
  node bench/redis.bench.js [--clients 1000,3000] [--messages M] [--rounds R] [--pad 68]
    [--burst 1] [--warm W] [--our-parser native|stock] [--against official|accelerated] [--stall-ms 20000]
    [--no-build] [--verbose]
`;

const config = commandLine(USAGE, (argv) => {
  const { options } = parseOptions(argv, {
    flags: ['no-build', 'verbose'],
    values: ['clients', 'messages', 'rounds', 'pad', 'burst', 'warm', 'our-parser', 'against', 'stall-ms'],
  });
  const arg = (name, def) => options[name] ?? def;
  const count = (name, def, min = 1) => numberArg(`--${name}`, arg(name, def), { integer: true, min });
  const config = {
    ns: String(arg('clients', '1000')).split(',').map((n) => numberArg('--clients', n, { integer: true, min: 1 })),
    messages: count('messages', 1000),
    rounds: count('rounds', 3),
    pad: count('pad', 68, 0),
    burst: count('burst', 1),
    warm: count('warm', 0, 0),
    ourParser: String(arg('our-parser', 'native')),
    against: String(arg('against', 'official')),
    stallMs: count('stall-ms', 20000),
    connectTimeoutMs: 120000,
    childMaxMs: 30 * 60 * 1000,
    build: !options['no-build'],
    verbose: Boolean(options.verbose),
    binDir: path.join(root, 'build-cmake', 'release'),
  };
  if (!['native', 'stock'].includes(config.ourParser)) throw new UsageError('--our-parser is native or stock');
  if (!['official', 'accelerated'].includes(config.against)) throw new UsageError('--against is official or accelerated');
  if (!(config.messages >= config.burst)) throw new UsageError('--messages must be at least --burst');
  return config;
});
const NODES = ['A', 'B', 'C'];

killChildrenOnExit();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function cpuMicros(u) {
  return u.user + u.system;
}

function loadavg() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

function redisVersion() {
  try {
    return execFileSync(findRedisServer(), ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)[1];
  } catch {
    return 'unknown';
  }
}

function version(pkg) {
  try {
    return require(`${pkg}/package.json`).version;
  } catch {
    return 'unknown';
  }
}

function buildLoadgen() {
  const bin = path.join(config.binDir, 'sio_loadgen');
  if (!config.build) {
    if (!fs.existsSync(bin)) throw new Error('sio_loadgen is not built: npm run bench:build');
    return;
  }
  execFileSync(process.execPath, [path.join(root, 'scripts', 'cmake.js'), 'build', 'sio_loadgen'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
}

/**
 * Starts the three nodes and waits until every node counts three servers
 * and a broadcast from each reaches a client of every other (so all stream
 * readers are in place before the first numbered message).
 */
async function startCluster(kind, redis, n) {
  const accelerated = kind === 'official' && config.against === 'accelerated';
  const nodes = await startNodes(NODES.map((name) => ({
    name, adapter: kind, client: 'redis', redisUrl: redis.url, greet: false, accelerate: accelerated,
    parser: (kind === 'ours' || accelerated) && config.ourParser === 'native' ? 'native' : undefined,
  })));
  // Node sets its soft descriptor limit to the hard one; below
  // serverDescriptors(n) the hard one is raised for these processes alone
  // (fileLimitProblem() checked that it can be).
  const wanted = serverDescriptors(n);
  if (hardFileLimit() < wanted) {
    for (const node of nodes) execFileSync('prlimit', ['--pid', String(node.child.pid), `--nofile=${wanted}:${wanted}`]);
  }
  const probes = await Promise.all(nodes.map((node, i) => connectClient(node, `probe-${i}`)));
  try {
    await settle(nodes, probes);
  } finally {
    for (const s of probes) s.close();
  }
  return nodes;
}

/** One phase: `count` messages from node A, all clients of all nodes wait for seq target - 1. */
async function phase(nodes, loadgens, target, count) {
  for (const lg of loadgens) lg.send(`wait ${target}`);
  await Promise.all(loadgens.map((lg) => lg.next('waiting', 10000)));
  const stats0 = await Promise.all(nodes.map((n) => n.call('adapterStats')));
  const cpu0 = await Promise.all(nodes.map((n) => n.call('cpu')));
  const t0 = process.hrtime.bigint();
  await nodes[0].call('emitSeq', { count, burst: config.burst, pad: config.pad });
  const results = await Promise.all(loadgens.map((lg) => lg.next('phase', config.stallMs + 120000 + count * 200)));
  const cpu1 = await Promise.all(nodes.map((n) => n.call('cpu')));
  const stats1 = await Promise.all(nodes.map((n) => n.call('adapterStats')));
  const lastNs = Math.max(...results.map((r) => r.lastFrameNs));
  return {
    results,
    cpuUs: cpu1.map((c, i) => cpuMicros(c) - cpuMicros(cpu0[i])),
    seconds: (lastNs - Number(t0)) / 1e9,
    // Frames this package's native fan-out wrote on each node (null: not ours).
    native: stats1.map((st, i) => (st && st.fanout ? st.framesWritten - stats0[i].framesWritten : null)),
    nativeWrites: stats1.map((st, i) => (st && st.fanout ? st.writes - stats0[i].writes : null)),
  };
}

/** What the clients saw in a phase, summed over the nodes. */
function checks(results, n, count) {
  const sum = (k) => results.reduce((a, r) => a + r[k], 0);
  const frames = sum('frames');
  const expected = NODES.length * n * count;
  return {
    frames, expected,
    lost: Math.max(0, expected - frames + sum('duplicates')),
    duplicates: sum('duplicates'),
    gaps: sum('missing'),
    foreign: sum('foreign'),
    closed: sum('closed'),
    stalled: results.some((r) => r.stalled),
    ordered: results.every((r) => r.ordered),
    ok: results.every((r) => r.ok && !r.stalled) && frames === expected,
  };
}

function describe(c) {
  return `${c.frames} of ${c.expected} frames, ${c.lost} lost, ${c.duplicates} duplicated, ${c.gaps} skipped seqs, ` +
    `${c.foreign} other frames, ${c.closed} clients closed${c.stalled ? ', stalled' : ''}`;
}

/**
 * One run of one adapter kind with N clients per node on a fresh cluster.
 *
 * @param {'ours' | 'official'} kind
 */
async function run(kind, redis, n) {
  const nodes = await startCluster(kind, redis, n);
  const loadgens = [];
  try {
    for (const node of nodes) {
      loadgens.push(new LineChild(`loadgen(${kind} ${node.name})`, path.join(config.binDir, 'sio_loadgen'), [
        '--port', String(node.port), '--connections', String(n),
        '--connect-timeout-ms', String(config.connectTimeoutMs), '--stall-ms', String(config.stallMs),
        '--max-ms', String(config.childMaxMs),
      ], { cwd: root, verbose: config.verbose }));
    }
    const connected = await Promise.all(loadgens.map((lg) => lg.next('connected', config.connectTimeoutMs + 10000)));
    const short = connected.find((c) => c.connected !== n);
    if (short) {
      return { incomplete: `only ${short.connected} of ${n} clients connected ${JSON.stringify(short.errors)}` };
    }
    // Warm-up (not measured): V8 optimizes the hot paths, Redis readers run.
    const warm = config.warm || Math.max(50, Math.ceil(config.messages / 10));
    const w = await phase(nodes, loadgens, warm, warm);
    const wc = checks(w.results, n, warm);
    if (!wc.ok) return { incomplete: `warm-up: ${describe(wc)}`, checks: wc };
    const m = await phase(nodes, loadgens, warm + config.messages, config.messages);
    const mc = checks(m.results, n, config.messages);
    if (!mc.ok) return { incomplete: describe(mc), checks: mc };
    const loadgenUs = m.results.reduce((a, r) => a + r.cpuUserUs + r.cpuSysUs, 0);
    return {
      fps: mc.frames / m.seconds,
      // ns of server CPU per frame this node's clients received
      cpu: m.cpuUs.map((us, i) => (us * 1000) / m.results[i].frames),
      loadgenNs: (loadgenUs * 1000) / mc.frames,
      nativeShare: m.native.map((f, i) => (f === null ? null : f / m.results[i].frames)),
      framesPerWrite: m.native.map((f, i) => (f === null ? null : f / Math.max(1, m.nativeWrites[i]))),
      // Frames per read() on the client side: how much the server's writes batched.
      framesPerRead: m.results.map((r) => r.frames / Math.max(1, r.reads)),
      checks: mc,
    };
  } catch (err) {
    return { incomplete: err.message };
  } finally {
    await Promise.all(loadgens.map((lg) => lg.stop()));
    await Promise.all(nodes.map((node) => node.kill()));
  }
}

const fmtInt = (x) => Math.round(x).toLocaleString('en-US');

async function main() {
  if (findRedisServer() === null) {
    console.error('redis-server not found: apt-get install redis-server');
    process.exit(1);
  }
  buildLoadgen();
  const native = binding.native && binding.addon.registry != null;
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} CPUs (${cpus[0] ? cpus[0].model : 'unknown'}), ${os.type()} ${os.release()}, ` +
    `node ${process.version}, redis-server ${redisVersion()}, redis (node-redis) ${version('redis')}, ` +
    `socket.io ${version('socket.io')}, @socket.io/redis-streams-adapter ${version('@socket.io/redis-streams-adapter')}`);
  console.log(`load average at start: ${loadavg()}`);
  console.log(`Multi-node (Redis Streams): 3 nodes x N = ${config.ns.join(', ')} websocket clients (sio_loadgen), ` +
    `${config.messages} io.emit() of ~${config.pad + 30}-byte frames from node A, ${config.burst} per event-loop turn, ` +
    `${config.rounds} rounds; ours${config.against === 'accelerated' ? ' and accelerate(official)' : ''} with ` +
    `${config.ourParser === 'native' ? "this package's" : "socket.io's"} parser; ` +
    `native local layer: ${native}`);
  const redis = await startRedis();
  /** @type {Map<number, { ours: any[], official: any[], incomplete: { ours: number, official: number } }>} */
  const byN = new Map();
  try {
    for (const n of config.ns) {
      const rec = { ours: [], official: [], incomplete: { ours: 0, official: 0 } };
      byN.set(n, rec);
      const problem = fileLimitProblem(n);
      if (problem) {
        console.log(`N=${n}: skipped, ${problem}`);
        continue;
      }
      for (let r = 0; r < config.rounds; r++) {
        for (const kind of r % 2 === 0 ? ['ours', 'official'] : ['official', 'ours']) {
          const t = Date.now();
          const res = await run(kind, redis, n);
          const secs = `(${((Date.now() - t) / 1000).toFixed(0)} s)`;
          if (res.incomplete) {
            console.log(`N=${n} round ${r + 1} ${kind.padEnd(8)} INCOMPLETE: ${res.incomplete} ${secs}`);
            rec.incomplete[kind]++;
            continue;
          }
          rec[kind].push(res);
          console.log(`N=${n} round ${r + 1} ${kind.padEnd(8)} ${fmtInt(res.fps)} frames/s, CPU ns/frame ` +
            `A ${res.cpu[0].toFixed(0)} B ${res.cpu[1].toFixed(0)} C ${res.cpu[2].toFixed(0)}, ` +
            `loadgen ${res.loadgenNs.toFixed(0)}; ${res.checks.frames} frames checked; frames per client read ` +
            res.framesPerRead.map((x) => x.toFixed(2)).join(' ') +
            (res.nativeShare[0] === null ? '' : `; written by the native fan-out: ` +
              res.nativeShare.map((x, i) => `${NODES[i]} ${(100 * x).toFixed(0)}%`).join(' ') +
              `, frames per write ${res.framesPerWrite.map((x) => x.toFixed(2)).join(' ')}`) + ` ${secs}`);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  console.log(`load average at end: ${loadavg()}`);
  let failed = false;
  for (const [n, rec] of byN) {
    console.log('');
    console.log(`N = ${n} clients per node (${3 * n} in all), medians of ${config.rounds} rounds`);
    if (rec.ours.length === 0 || rec.official.length === 0) {
      console.log('no complete round for one of the adapters: no table');
      failed = true;
      continue;
    }
    const row = (kind) => {
      const rs = rec[kind];
      return {
        fps: median(rs.map((x) => x.fps)),
        cpu: [0, 1, 2].map((i) => median(rs.map((x) => x.cpu[i]))),
        frames: rs.reduce((a, x) => a + x.checks.frames, 0),
        lost: rs.reduce((a, x) => a + x.checks.lost, 0),
        dup: rs.reduce((a, x) => a + x.checks.duplicates, 0),
        ordered: rs.every((x) => x.checks.ordered),
        rounds: `${rs.length}/${rs.length + rec.incomplete[kind]}`,
      };
    };
    const ours = row('ours');
    const off = row('official');
    console.log('');
    console.log('| adapter | complete rounds | delivered frames/s | server CPU ns/frame node A (publisher) | node B | node C | frames checked (lost/dup/order) |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    const offName = config.against === 'accelerated' ? 'accelerate(@socket.io/redis-streams-adapter)' : '@socket.io/redis-streams-adapter';
    for (const [name, x] of [[offName, off], ['socket.io-native createRedisAdapter', ours]]) {
      console.log(`| ${name} | ${x.rounds} | ${fmtInt(x.fps)} | ${x.cpu.map((c) => fmtInt(c)).join(' | ')} | ` +
        `${x.frames.toLocaleString('en-US')} (${x.lost}/${x.dup}/${x.ordered ? 'ok' : 'FAIL'}) |`);
    }
    // Both ratios one way: above 1x, ours does better (more frames/s, less CPU per frame).
    console.log(`| ours vs official (above 1x: ours better) | | ${(ours.fps / off.fps).toFixed(2)}x (ours / official) | ` +
      `${[0, 1, 2].map((i) => (off.cpu[i] / ours.cpu[i]).toFixed(2) + 'x').join(' | ')} (official / ours) | |`);
  }
  console.log('\nserver CPU ns/frame: process.cpuUsage() (user + system) of that node over the measured window / frames ' +
    "its clients received; frames/s: all clients' frames / (last frame received - first emit); " +
    'loadgen: CPU of the three client processes per frame; ratios: frames/s ours / official, CPU official / ours, ' +
    'so above 1x ours does better in both.');
  if (failed || [...byN.values()].some((r) => r.incomplete.ours + r.incomplete.official > 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
