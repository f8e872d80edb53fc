'use strict';

/**
 * Multi-node over Redis: three socket.io servers (separate processes), each
 * with N websocket clients (socket.io-client, in one separate process), and
 * M broadcasts to everyone published from the first node. For each round
 * the cluster runs once with createRedisAdapter() and once with
 * @socket.io/redis-streams-adapter, alternating, on the same Redis. Printed:
 * delivered frames/s (client side, all nodes) and server CPU time (user +
 * system) per delivered frame on each node, median of the rounds, and the
 * ratios.
 *
 *   npm run bench:redis
 *   node bench/redis.bench.js [--clients N] [--messages M] [--rounds R] [--payload BYTES]
 */

const path = require('node:path');
const { fork } = require('node:child_process');
const { findRedisServer, startRedis } = require('../test/support/redis-process');
const { startNodes } = require('../test/support/cluster');
const binding = require('../lib/binding');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('clients', 50);
const M = arg('messages', 2000);
const ROUNDS = arg('rounds', 3);
const PAYLOAD = arg('payload', 100);
const WAIT_MS = 120000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Forks the client swarm; returns { call, kill }. */
function startSwarm(urls) {
  const child = fork(path.join(__dirname, 'support', 'client-swarm.js'), [JSON.stringify({ urls, perNode: N })],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const pending = new Map();
  child.on('message', (msg) => {
    const p = pending.get(msg.id);
    if (p) {
      pending.delete(msg.id);
      p(msg.result);
    }
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('clients did not connect')), 60000);
    child.on('message', (msg) => {
      if (msg.ready) {
        clearTimeout(timer);
        resolve();
      } else if (msg.fatal) {
        clearTimeout(timer);
        reject(new Error(msg.fatal));
      }
    });
  });
  return {
    ready,
    call(op, args) {
      const id = ++seq;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.send({ id, op, ...args });
      });
    },
    kill() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
    },
  };
}

function cpuMicros(u) {
  return u.user + u.system;
}

/**
 * One run of one adapter kind on a fresh three-node cluster.
 *
 * @param {'ours' | 'official'} kind
 * @param {any} redis
 */
async function run(kind, redis) {
  const nodes = await startNodes(['A', 'B', 'C'].map((name) => ({
    name, adapter: kind, client: 'redis', redisUrl: redis.url,
  })));
  const swarm = startSwarm(nodes.map((n) => n.url));
  try {
    await swarm.ready;
    for (let i = 0; i < 200; i++) {
      if ((await nodes[0].call('serverCount')) === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const payload = 'x'.repeat(PAYLOAD);
    // Warm-up until every reader is in place and the JITs are warm.
    for (let i = 0; i < 50; i++) {
      await swarm.call('reset');
      await nodes[0].call('broadcastMany', { event: 'warm', count: 200, payload });
      const got = await swarm.call('wait', { target: 3 * N * 200, ms: 2000 });
      if (got.count >= 3 * N * 200) break;
    }
    await swarm.call('reset');
    const cpu0 = await Promise.all(nodes.map((n) => n.call('cpu')));
    const t0 = process.hrtime.bigint();
    await nodes[0].call('broadcastMany', { event: 'bench', count: M, payload });
    const got = await swarm.call('wait', { target: 3 * N * M, ms: WAIT_MS });
    const t1 = process.hrtime.bigint();
    const cpu1 = await Promise.all(nodes.map((n) => n.call('cpu')));
    if (got.count < 3 * N * M) {
      return { incomplete: `only ${got.count} of ${3 * N * M} frames delivered within ${WAIT_MS / 1000} s ` +
        `(${got.disconnects} client disconnections)` };
    }
    const seconds = Number(t1 - t0) / 1e9;
    const perNodeFrames = N * M;
    return {
      fps: (3 * N * M) / seconds,
      cpu: cpu1.map((c, i) => (cpuMicros(c) - cpuMicros(cpu0[i])) * 1000 / perNodeFrames), // ns per frame
    };
  } finally {
    await swarm.kill();
    await Promise.all(nodes.map((n) => n.kill()));
  }
}

async function main() {
  if (findRedisServer() === null) {
    console.error('redis-server not found: apt-get install redis-server');
    process.exit(1);
  }
  const native = binding.native && binding.addon.registry != null;
  console.log(`Multi-node (Redis Streams): 3 nodes x ${N} websocket clients, ${M} broadcasts of a ${PAYLOAD}-byte ` +
    `string from node A, ${ROUNDS} rounds; native local layer: ${native}`);
  const redis = await startRedis();
  const results = { ours: [], official: [] };
  const incomplete = { ours: 0, official: 0 };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 === 0 ? ['ours', 'official'] : ['official', 'ours']) {
        const res = await run(kind, redis);
        if (res.incomplete) {
          // Reported, left out of the medians.
          console.log(`round ${r + 1} ${kind.padEnd(8)} INCOMPLETE: ${res.incomplete}`);
          incomplete[kind]++;
          continue;
        }
        results[kind].push(res);
        console.log(`round ${r + 1} ${kind.padEnd(8)} ${Math.round(res.fps).toLocaleString('en-US')} frames/s, ` +
          `CPU ns/frame A ${res.cpu[0].toFixed(0)} B ${res.cpu[1].toFixed(0)} C ${res.cpu[2].toFixed(0)}`);
      }
    }
  } finally {
    await redis.stop();
  }
  if (results.ours.length === 0 || results.official.length === 0) {
    console.log('no complete round for one of the adapters: no table');
    process.exit(1);
  }
  const row = (kind) => {
    const rs = results[kind];
    return {
      fps: median(rs.map((x) => x.fps)),
      cpu: [0, 1, 2].map((i) => median(rs.map((x) => x.cpu[i]))),
    };
  };
  const ours = row('ours');
  const off = row('official');
  console.log('');
  console.log('| adapter | delivered frames/s | CPU ns/frame node A (publisher) | node B | node C |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, x] of [['@socket.io/redis-streams-adapter', off], ['socket.io-native createRedisAdapter', ours]]) {
    console.log(`| ${name} | ${Math.round(x.fps).toLocaleString('en-US')} | ${x.cpu.map((c) => c.toFixed(0)).join(' | ')} |`);
  }
  for (const kind of ['official', 'ours']) {
    if (incomplete[kind] > 0) console.log(`(${kind}: ${incomplete[kind]} incomplete round(s) left out)`);
  }
  console.log(`| ratio (official / ours) | ${(off.fps / ours.fps).toFixed(2)}x fps | ` +
    `${[0, 1, 2].map((i) => (off.cpu[i] / ours.cpu[i]).toFixed(2) + 'x').join(' | ')} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
