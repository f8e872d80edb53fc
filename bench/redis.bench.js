'use strict';

/**
 * Multi-node over Redis: three socket.io servers (separate processes), each
 * with N websocket clients held by bench/loadgen (sio_loadgen, one process
 * per node), and M broadcasts `io.emit("m", { seq, pad })` to everyone
 * published from the first node, --burst per event-loop turn (default 1).
 * Every client checks that it got seq 0, 1, 2, ... once each and in order.
 *
 * Three comparisons (--adapter classic|streams|streams-accelerated|all,
 * default all = classic and streams), each a pair
 * of variants run on fresh clusters, alternating which goes first, on the
 * same Redis:
 *   classic: @socket.io/redis-adapter's pub/sub adapter (node-redis, a
 *     publishing and a subscribing client, as its README sets it up),
 *     official (socket.io's parser) against accelerate() of the same factory
 *     with this package's parser, as this package's README sets it up;
 *   streams: @socket.io/redis-streams-adapter (socket.io's parser) against
 *     createRedisAdapter() with this package's parser;
 *   streams-accelerated: accelerate(@socket.io/redis-streams-adapter)
 *     against createRedisAdapter(), this package's parser on both sides (the
 *     design docs/redis.md weighs createRedisAdapter against).
 * --our-parser stock leaves socket.io's parser on the accelerated side too.
 * Printed: delivered frames/s (all nodes) and server CPU time (user +
 * system, process.cpuUsage() over the measured window) per frame that node's
 * clients received, medians of the rounds, and the ratios. A round whose
 * clients did not all get every frame is reported as incomplete and left out
 * of the medians. --profile DIR writes a V8 CPU profile of each node over
 * each measured window to DIR (node A publishes, B and C only receive
 * from Redis).
 *
 *   npm run bench:redis
 *   node bench/redis.bench.js [--adapter classic|streams|streams-accelerated|all] [--clients 1000,3000] [--messages M]
 *     [--rounds R] [--pad 68] [--burst 1,10] [--warm W] [--our-parser native|stock]
 *     [--stall-ms 20000] [--profile DIR] [--no-build] [--verbose]
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
broadcasts from the first node. --adapter classic: @socket.io/redis-adapter
(pub/sub) official against accelerate() of it; --adapter streams:
@socket.io/redis-streams-adapter against createRedisAdapter(); all (the
default): both. --burst takes a list (broadcasts per event-loop turn).
Needs redis-server on the PATH.

  npm run bench:redis
  node bench/redis.bench.js [--adapter classic|streams|streams-accelerated|all] [--clients 1000,3000] [--messages M]
    [--rounds R] [--pad 68] [--burst 1,10] [--warm W] [--our-parser native|stock]
    [--stall-ms 20000] [--profile DIR] [--no-build] [--verbose]
`;

const config = commandLine(USAGE, (argv) => {
  const { options } = parseOptions(argv, {
    flags: ['no-build', 'verbose'],
    values: ['adapter', 'clients', 'messages', 'rounds', 'pad', 'burst', 'warm', 'our-parser', 'stall-ms', 'profile'],
  });
  const arg = (name, def) => options[name] ?? def;
  const count = (name, def, min = 1) => numberArg(`--${name}`, arg(name, def), { integer: true, min });
  const list = (name, def) => String(arg(name, def)).split(',').map((n) => numberArg(`--${name}`, n, { integer: true, min: 1 }));
  const adapter = String(arg('adapter', 'all'));
  if (!['classic', 'streams', 'streams-accelerated', 'all'].includes(adapter)) {
    throw new UsageError('--adapter is classic, streams, streams-accelerated or all');
  }
  const config = {
    pairs: adapter === 'all' ? ['classic', 'streams'] : [adapter],
    ns: list('clients', '1000'),
    messages: count('messages', 1000),
    rounds: count('rounds', 3),
    pad: count('pad', 68, 0),
    bursts: list('burst', '1'),
    warm: count('warm', 0, 0),
    ourParser: String(arg('our-parser', 'native')),
    profile: options.profile === undefined ? null : path.resolve(String(options.profile)),
    stallMs: count('stall-ms', 20000),
    connectTimeoutMs: 120000,
    childMaxMs: 30 * 60 * 1000,
    build: !options['no-build'],
    verbose: Boolean(options.verbose),
    binDir: path.join(root, 'build-cmake', 'release'),
  };
  if (!['native', 'stock'].includes(config.ourParser)) throw new UsageError('--our-parser is native or stock');
  if (!(config.messages >= Math.max(...config.bursts))) throw new UsageError('--messages must be at least every --burst');
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
 * The comparisons --adapter picks: for each, the official adapter and this
 * package's variant, as cluster-node.js configures them (see makeAdapter
 * there: 'classic' is @socket.io/redis-adapter's createAdapter with a
 * publishing client and its duplicate() subscribing, as in its README).
 */
const PAIRS = {
  classic: {
    title: '@socket.io/redis-adapter (classic pub/sub, node-redis)',
    official: { label: 'official @socket.io/redis-adapter', node: { adapter: 'classic' } },
    ours: { label: 'accelerate(@socket.io/redis-adapter)', node: { adapter: 'classic', accelerate: true } },
  },
  streams: {
    title: 'Redis Streams',
    official: { label: '@socket.io/redis-streams-adapter', node: { adapter: 'official' } },
    ours: { label: 'socket.io-native createRedisAdapter', node: { adapter: 'ours' } },
  },
  // The design docs/redis.md weighs createRedisAdapter against: the official
  // Streams protocol with the same native registry and fan-out under it (and
  // this package's parser on both sides).
  'streams-accelerated': {
    title: 'Redis Streams, createRedisAdapter against accelerate(@socket.io/redis-streams-adapter)',
    official: { label: 'accelerate(@socket.io/redis-streams-adapter)', node: { adapter: 'official', accelerate: true }, ourParser: true },
    ours: { label: 'socket.io-native createRedisAdapter', node: { adapter: 'ours' } },
  },
};

/**
 * Starts the three nodes and waits until every node counts three servers
 * and a broadcast from each reaches a client of every other (so all stream
 * readers and subscriptions are in place before the first numbered message).
 *
 * @param {string} pair a key of PAIRS
 * @param {'ours' | 'official'} kind
 */
async function startCluster(pair, kind, redis, n) {
  const nodes = await startNodes(NODES.map((name) => ({
    name, client: 'redis', redisUrl: redis.url, greet: false, ...PAIRS[pair][kind].node,
    parser: (kind === 'ours' || PAIRS[pair][kind].ourParser) && config.ourParser === 'native' ? 'native' : undefined,
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

/**
 * The native fan-out's counters of a node (null when its adapter has none):
 * createRedisAdapter's adapter.stats(), or adapterStats() of an accelerated one.
 */
async function fanoutStats(node) {
  const own = await node.call('adapterStats');
  if (own && own.fanout) return own;
  const pkg = await node.call('packageStats');
  return pkg && pkg.fanout ? pkg : null;
}

/**
 * One phase: `count` messages from node A, `burst` per event-loop turn; all
 * clients of all nodes wait for seq target - 1. With `profile` (a path
 * prefix), each node's CPU profile over the phase is written there.
 */
async function phase(nodes, loadgens, target, count, burst, profile) {
  for (const lg of loadgens) lg.send(`wait ${target}`);
  await Promise.all(loadgens.map((lg) => lg.next('waiting', 10000)));
  const stats0 = await Promise.all(nodes.map(fanoutStats));
  if (profile) await Promise.all(nodes.map((n) => n.call('profileStart')));
  const cpu0 = await Promise.all(nodes.map((n) => n.call('cpu')));
  const t0 = process.hrtime.bigint();
  await nodes[0].call('emitSeq', { count, burst, pad: config.pad });
  const results = await Promise.all(loadgens.map((lg) => lg.next('phase', config.stallMs + 120000 + count * 200)));
  const cpu1 = await Promise.all(nodes.map((n) => n.call('cpu')));
  if (profile) await Promise.all(nodes.map((n) => n.call('profileStop', { file: `${profile}-node${n.name}.cpuprofile` })));
  const stats1 = await Promise.all(nodes.map(fanoutStats));
  const lastNs = Math.max(...results.map((r) => r.lastFrameNs));
  return {
    results,
    cpuUs: cpu1.map((c, i) => cpuMicros(c) - cpuMicros(cpu0[i])),
    seconds: (lastNs - Number(t0)) / 1e9,
    // Frames this package's native fan-out wrote on each node (null: not ours).
    native: stats1.map((st, i) => (st ? st.framesWritten - stats0[i].framesWritten : null)),
    nativeWrites: stats1.map((st, i) => (st ? st.writes - stats0[i].writes : null)),
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
 * One run of one variant with N clients per node on a fresh cluster.
 *
 * @param {string} pair a key of PAIRS
 * @param {'ours' | 'official'} kind
 * @param {number} burst broadcasts per event-loop turn
 * @param {string | null} profile path prefix of the nodes' CPU profiles of the measured phase
 */
async function run(pair, kind, redis, n, burst, profile) {
  const nodes = await startCluster(pair, kind, redis, n);
  const loadgens = [];
  try {
    // A node whose addon did not load (a rebuild of build/ in the middle of
    // the run, say) runs the official code path: its figures are not ours.
    if (kind === 'ours' && binding.native) {
      for (const node of nodes) {
        if ((await fanoutStats(node)) === null) throw new Error(`node ${node.name} runs without the native fan-out`);
      }
    }
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
    const w = await phase(nodes, loadgens, warm, warm, burst, null);
    const wc = checks(w.results, n, warm);
    if (!wc.ok) return { incomplete: `warm-up: ${describe(wc)}`, checks: wc };
    const m = await phase(nodes, loadgens, warm + config.messages, config.messages, burst, profile);
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

/** Medians (and sums of the checks) over the complete rounds of one variant. */
function summary(rs, incomplete) {
  return {
    fps: median(rs.map((x) => x.fps)),
    cpu: [0, 1, 2].map((i) => median(rs.map((x) => x.cpu[i]))),
    frames: rs.reduce((a, x) => a + x.checks.frames, 0),
    lost: rs.reduce((a, x) => a + x.checks.lost, 0),
    dup: rs.reduce((a, x) => a + x.checks.duplicates, 0),
    ordered: rs.every((x) => x.checks.ordered),
    rounds: `${rs.length}/${rs.length + incomplete}`,
  };
}

async function main() {
  if (findRedisServer() === null) {
    console.error('redis-server not found: apt-get install redis-server');
    process.exit(1);
  }
  buildLoadgen();
  if (config.profile) fs.mkdirSync(config.profile, { recursive: true });
  const native = binding.native && binding.addon.registry != null;
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} CPUs (${cpus[0] ? cpus[0].model : 'unknown'}), ${os.type()} ${os.release()}, ` +
    `node ${process.version}, redis-server ${redisVersion()}, redis (node-redis) ${version('redis')}, ` +
    `socket.io ${version('socket.io')}, @socket.io/redis-adapter ${version('@socket.io/redis-adapter')}, ` +
    `@socket.io/redis-streams-adapter ${version('@socket.io/redis-streams-adapter')}`);
  console.log(`load average at start: ${loadavg()}`);
  console.log(`Multi-node (Redis, ${config.pairs.join(' and ')}): 3 nodes x N = ${config.ns.join(', ')} websocket clients ` +
    `(sio_loadgen), ${config.messages} io.emit() of ~${config.pad + 30}-byte frames from node A, ` +
    `${config.bursts.join(' / ')} per event-loop turn, ${config.rounds} rounds; ours with ` +
    `${config.ourParser === 'native' ? "this package's" : "socket.io's"} parser; native local layer: ${native}`);
  const redis = await startRedis();
  /** @type {{ pair: string, n: number, burst: number, ours: any[], official: any[], incomplete: { ours: number, official: number }, skipped?: string }[]} */
  const cells = [];
  try {
    for (const n of config.ns) {
      const problem = fileLimitProblem(n);
      for (const burst of config.bursts) {
        for (const pair of config.pairs) {
          const rec = { pair, n, burst, ours: [], official: [], incomplete: { ours: 0, official: 0 } };
          cells.push(rec);
          if (problem) {
            rec.skipped = problem;
            console.log(`N=${n}: skipped, ${problem}`);
            continue;
          }
          for (let r = 0; r < config.rounds; r++) {
            for (const kind of r % 2 === 0 ? ['ours', 'official'] : ['official', 'ours']) {
              const t = Date.now();
              const profile = config.profile &&
                path.join(config.profile, `${pair}-${kind}-n${n}-burst${burst}-round${r + 1}`);
              const res = await run(pair, kind, redis, n, burst, profile);
              const secs = `(${((Date.now() - t) / 1000).toFixed(0)} s)`;
              const label = `${pair} N=${n} burst ${burst} round ${r + 1} ${kind.padEnd(8)}`;
              if (res.incomplete) {
                console.log(`${label} INCOMPLETE: ${res.incomplete} ${secs}`);
                rec.incomplete[kind]++;
                continue;
              }
              rec[kind].push(res);
              console.log(`${label} ${fmtInt(res.fps)} frames/s, CPU ns/frame ` +
                `A ${res.cpu[0].toFixed(0)} B ${res.cpu[1].toFixed(0)} C ${res.cpu[2].toFixed(0)}, ` +
                `loadgen ${res.loadgenNs.toFixed(0)}; ${res.checks.frames} frames checked; frames per client read ` +
                res.framesPerRead.map((x) => x.toFixed(2)).join(' ') +
                (res.nativeShare[0] === null ? '' : `; written by the native fan-out: ` +
                  res.nativeShare.map((x, i) => `${NODES[i]} ${(100 * x).toFixed(0)}%`).join(' ') +
                  `, frames per write ${res.framesPerWrite.map((x) => x.toFixed(2)).join(' ')}`) + ` ${secs}`);
            }
          }
        }
      }
    }
  } finally {
    await redis.stop();
  }
  console.log(`load average at end: ${loadavg()}`);
  let failed = false;
  for (const pair of config.pairs) {
    const { title, official, ours } = PAIRS[pair];
    console.log('');
    console.log(`${title}: medians of ${config.rounds} rounds; ratios above 1x: ours does better`);
    console.log('');
    console.log('| N per node | burst | adapter | complete rounds | delivered frames/s | server CPU ns/frame node A (publisher) | node B | node C | frames checked (lost/dup/order) |');
    console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const rec of cells.filter((c) => c.pair === pair)) {
      const head = `| ${rec.n.toLocaleString('en-US')} | ${rec.burst}`;
      if (rec.ours.length === 0 || rec.official.length === 0) {
        console.log(`${head} | ${rec.skipped ? `skipped: ${rec.skipped}` : 'no complete round for one of the variants'} | | | | | | |`);
        failed = true;
        continue;
      }
      const o = summary(rec.official, rec.incomplete.official);
      const x = summary(rec.ours, rec.incomplete.ours);
      for (const [name, v] of [[official.label, o], [ours.label, x]]) {
        console.log(`${head} | ${name} | ${v.rounds} | ${fmtInt(v.fps)} | ${v.cpu.map((c) => fmtInt(c)).join(' | ')} | ` +
          `${v.frames.toLocaleString('en-US')} (${v.lost}/${v.dup}/${v.ordered ? 'ok' : 'FAIL'}) |`);
      }
      // Both ratios one way: above 1x, ours does better (more frames/s, less CPU per frame).
      console.log(`${head} | ratio | | ${(x.fps / o.fps).toFixed(2)}x (ours / official) | ` +
        `${[0, 1, 2].map((i) => (o.cpu[i] / x.cpu[i]).toFixed(2) + 'x').join(' | ')} (official / ours) | |`);
    }
  }
  console.log('\nserver CPU ns/frame: process.cpuUsage() (user + system) of that node over the measured window / frames ' +
    "its clients received; frames/s: all clients' frames / (last frame received - first emit); " +
    'loadgen: CPU of the three client processes per frame; ratios: frames/s ours / official, CPU official / ours, ' +
    'so above 1x ours does better in both.');
  if (failed || cells.some((r) => r.incomplete.ours + r.incomplete.official > 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
