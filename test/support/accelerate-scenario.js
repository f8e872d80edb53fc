'use strict';

/**
 * The scenario the accelerate() cluster tests run on a mixed cluster (official
 * and accelerated nodes) and on the same cluster with no acceleration:
 * broadcasts with rooms and except from every node, broadcast acks with a
 * timeout, fetchSockets, socketsJoin / socketsLeave, serverSideEmit with and
 * without acks, disconnectSockets. Three nodes A, B, C (ClusterNode-like:
 * `call()`, `url`, `name`; cluster-node.js's operations) and the clients of
 * LAYOUT.
 */

const assert = require('node:assert');
const { startNodes, connectClient, until, got, settle } = require('./cluster');
const binding = require('../../lib/binding');

/** Whether accelerate() accelerates here (the addon and its registry loaded). */
const NATIVE = binding.native && binding.addon.registry != null;

/** Client name -> index of its node (A, B, C). */
const LAYOUT = { a1: 0, a2: 0, b1: 1, b2: 1, c1: 2 };
/** Rooms each client joins before the scenario. */
const ROOMS = { a1: ['r1'], b1: ['r1'], b2: ['r2'], c1: ['r2', 'r3'] };

/**
 * Connects the clients of LAYOUT to `nodes` (started by the caller), waits
 * until the cluster delivers between every pair of nodes, and joins ROOMS.
 * On failure, `stop()` runs before the error propagates.
 *
 * @param {any[]} nodes three nodes with ClusterNode's `call()`, `url`, `name`
 * @param {() => Promise<void>} stop stops the nodes and what they need
 */
async function connectCluster(nodes, stop) {
  const clients = [];
  const ctx = { nodes, clients, byName: {}, stop };
  try {
    for (const [name, i] of Object.entries(LAYOUT)) {
      const c = await connectClient(nodes[i], name);
      // c1 never answers "maybe-ack": the broadcast ack times out with the others' answers.
      c.on('maybe-ack', (...args) => {
        const cb = args.pop();
        if (name !== 'c1') cb(`${name}:${args[0]}`);
      });
      clients.push(c);
    }
    await settle(nodes, clients);
    for (const c of clients) for (const room of ROOMS[c.name] || []) await c.emitWithAck('join', room);
  } catch (err) {
    await teardown(ctx);
    throw err;
  }
  ctx.byName = Object.fromEntries(clients.map((c) => [c.name, c]));
  return ctx;
}

/**
 * Starts the nodes of `configs` (cluster-node.js) on a backend the caller
 * started (a redis-server, a PostgreSQL), and connects the scenario's
 * clients. The context's `stop()` kills the nodes, then stops the backend;
 * it also runs when starting fails.
 *
 * @param {{ stop: () => Promise<void> }} backend
 * @param {any[]} configs one per node
 */
async function startScenarioNodes(backend, configs) {
  let nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await backend.stop();
  };
  try {
    nodes = await startNodes(configs);
  } catch (err) {
    await stop();
    throw err;
  }
  return connectCluster(nodes, stop);
}

/**
 * Node A runs the official adapter, B (and C) the same one through
 * accelerate(): B is accelerated with the addon, A is not, and B's adapter
 * is still of the official class.
 *
 * @param {any} ctx
 * @param {string} className the official adapter's class name
 */
async function checkAccelerated(ctx, className) {
  const [a, b] = await Promise.all([ctx.nodes[0].call('packageStats'), ctx.nodes[1].call('packageStats')]);
  assert.strictEqual(a.accelerated, undefined);
  assert.strictEqual(b.accelerated, NATIVE ? true : undefined);
  const kind = await ctx.nodes[1].call('adapterKind');
  assert.strictEqual(kind.name, className);
  assert.strictEqual(kind.native, NATIVE);
}

/**
 * A broadcast to everyone from A and one to r1 from C, each followed by a
 * barrier; B must count them in its native fan-out counters (it has b1 in
 * r1 and b2). Returns B's counters before and after, for more checks.
 *
 * @param {any} ctx
 */
async function checkCrossNodeFanout(ctx) {
  const before = await ctx.nodes[1].call('packageStats');
  await ctx.nodes[0].call('broadcast', { event: 'from-a', data: ['x'] });
  await barrier(ctx, ctx.nodes[0]);
  await ctx.nodes[2].call('broadcast', { event: 'from-c', data: ['y'], rooms: ['r1'] });
  await barrier(ctx, ctx.nodes[2]);
  const after = await ctx.nodes[1].call('packageStats');
  // B's clients: b1 and b2 for from-a and each marker, b1 for from-c; all
  // four broadcasts arrived from A or C.
  assert.strictEqual(after.broadcasts - before.broadcasts, 4);
  assert.strictEqual(after.recipients - before.recipients, 2 + 2 + 1 + 2);
  assert.strictEqual(after.framesWritten - before.framesWritten + after.framesHanded - before.framesHanded, 7);
  assert.ok(after.framesWritten - before.framesWritten > 0);
  return { before, after };
}

async function teardown(ctx) {
  if (!ctx) return;
  for (const c of ctx.clients) c.disconnect();
  await ctx.stop();
}

let markerSeq = 0;

/**
 * Broadcasts a marker from `node` and waits until every connected client has
 * it: what the node published before has been delivered by then (Redis
 * delivers one publisher's messages in order).
 */
async function barrier(ctx, node) {
  const tag = `marker-${++markerSeq}`;
  await node.call('broadcast', { event: 'marker', data: [tag] });
  await until(() => ctx.clients.every((c) => !c.connected || got(c, 'marker').some((a) => a[0] === tag)),
    `marker ${tag} from ${node.name}`);
}

/** Names of the sockets fetchSockets() returns from `node` for `args`, with their rooms. */
async function fetched(node, args) {
  const sockets = await node.call('fetchSockets', { timeout: 5000, ...args });
  return sockets.map((s) => `${s.data.name}:${s.rooms.filter((r) => r !== s.id).join('+')}`).sort();
}

/**
 * The scenario both clusters run. Returns what each client received (in
 * order, markers and probes left out) and what the operations answered.
 */
async function scenario(ctx) {
  const [A, B, C] = ctx.nodes;
  const out = {};
  // Only what arrives from here on counts (earlier tests may have used the cluster).
  const start = new Map(ctx.clients.map((c) => [c, c.events.length]));
  // Broadcasts with rooms and except, from an official node and from accelerated ones.
  const sends = [
    [A, { event: 's', data: [1], rooms: ['r1'], except: ['r2'] }],
    [B, { event: 's', data: [2], rooms: ['r1', 'r2'] }],
    [B, { event: 's', data: [3], except: ['r1'] }],
    [C, { event: 's', data: [4, { deep: ['x', null, 1.5] }], rooms: ['r2'], except: ['r3'] }],
    [A, { event: 's', data: [5] }],
    [C, { event: 's', data: [6], rooms: ['nobody'] }],
    [B, { event: 's', data: ['7'], rooms: ['r3'] }],
  ];
  for (const [node, args] of sends) {
    await node.call('broadcast', args);
    await barrier(ctx, node);
  }
  // Broadcast acks across nodes, answered by everyone, and timing out on c1.
  const acks = await B.call('broadcastAck', { event: 'ack-me', data: [], timeout: 5000 });
  out.acksFromB = { err: acks.err, responses: [...acks.responses].sort() };
  const fromA = await A.call('broadcastAck', { event: 'ack-me', data: [], rooms: ['r2'], timeout: 5000 });
  out.acksFromA = { err: fromA.err, responses: [...fromA.responses].sort() };
  const partial = await C.call('broadcastAck', { event: 'maybe-ack', data: ['p'], timeout: 500 });
  out.partial = { err: partial.err, responses: [...(partial.responses || [])].sort() };
  // fetchSockets from every node.
  out.fetchAll = await fetched(A, {});
  out.fetchR2 = await fetched(B, { rooms: ['r2'] });
  out.fetchExcept = await fetched(C, { except: ['r1'] });
  // socketsJoin / socketsLeave requested from one node, acting on all.
  await B.call('socketsJoin', { rooms: ['r2'], join: 'j' });
  await A.call('socketsJoin', { rooms: ['r1'], except: ['r2'], join: ['j', 'k'] });
  await until(async () => (await fetched(C, { rooms: ['j'] })).length === 4, 'four sockets in j');
  out.afterJoin = await fetched(C, { rooms: ['j'] });
  await C.call('broadcast', { event: 's', data: ['to-j'], rooms: ['j'], except: ['k'] });
  await barrier(ctx, C);
  await A.call('socketsLeave', { rooms: ['r2'], leave: 'j' });
  await until(async () => (await fetched(B, { rooms: ['j'] })).length === 2, 'two sockets left in j');
  out.afterLeave = await fetched(B, { rooms: ['j'] });
  await A.call('broadcast', { event: 's', data: ['to-j-again'], rooms: ['j'] });
  await barrier(ctx, A);
  // serverSideEmit with and without acks.
  const sse = await B.call('serverSideEmit', { event: 'ping-servers', data: ['from-B'], ack: true });
  out.serverSideEmit = { err: sse.err, responses: [...(sse.responses || [])].sort() };
  await C.call('serverSideEmit', { event: 'note', data: ['from-C'] });
  await until(async () => (await A.call('received')).some((e) => e[0] === 'note'), 'A got the note');
  out.received = [];
  for (const node of ctx.nodes) out.received.push(await node.call('received'));
  // disconnectSockets from an official node, reaching the accelerated ones.
  await A.call('disconnectSockets', { rooms: ['r2'] });
  await until(() => !ctx.byName.b2.connected && !ctx.byName.c1.connected, 'b2 and c1 disconnected');
  out.afterDisconnect = await fetched(C, {});
  await B.call('broadcast', { event: 's', data: ['last'] });
  await barrier(ctx, B);
  out.events = Object.fromEntries(ctx.clients.map((c) => [c.name,
    c.events.slice(start.get(c)).filter((e) => e[0] !== 'marker' && e[0] !== 'probe').map((e) => e.map((v) => (typeof v === 'function' ? '<ack>' : v)))]));
  return out;
}

/** What every cluster must agree on, whatever its adapters. */
/**
 * Runs the scenario on `ctx` (a mixed cluster) and on a fresh all-official
 * cluster from `startOfficial()`, checks both outcomes and requires them to
 * be the same: the same clients got the same events in the same order.
 */
async function sameAsOfficial(ctx, startOfficial) {
  const mixed = await scenario(ctx);
  checkOutcome(mixed);
  const officialCtx = await startOfficial();
  let official;
  try {
    official = await scenario(officialCtx);
  } finally {
    await teardown(officialCtx);
  }
  checkOutcome(official);
  assert.deepStrictEqual(mixed, official);
}

function checkOutcome(out) {
  assert.deepStrictEqual(out.events.a1.filter((e) => e[0] === 's').map((e) => e[1]), [1, 2, 5, 'to-j-again', 'last']);
  assert.deepStrictEqual(out.events.c1.filter((e) => e[0] === 's').map((e) => e[1]), [2, 3, 5, '7', 'to-j']);
  assert.deepStrictEqual(out.acksFromB.responses, ['a1', 'a2', 'b1', 'b2', 'c1']);
  assert.deepStrictEqual(out.acksFromA.responses, ['b2', 'c1']);
  assert.deepStrictEqual(out.partial, { err: 'operation has timed out', responses: ['a1:p', 'a2:p', 'b1:p', 'b2:p'] });
  assert.deepStrictEqual(out.fetchR2, ['b2:r2', 'c1:r2+r3']);
  // (cluster-node.js sorts each socket's rooms.)
  assert.deepStrictEqual(out.afterJoin, ['a1:j+k+r1', 'b1:j+k+r1', 'b2:j+r2', 'c1:j+r2+r3']);
  assert.deepStrictEqual(out.afterLeave, ['a1:j+k+r1', 'b1:j+k+r1']);
  assert.deepStrictEqual(out.serverSideEmit.responses, ['A', 'C']);
  assert.deepStrictEqual(out.afterDisconnect, ['a1:j+k+r1', 'a2:', 'b1:j+k+r1']);
}

module.exports = {
  NATIVE, LAYOUT, ROOMS, connectCluster, startScenarioNodes, teardown, barrier, scenario, checkOutcome,
  checkAccelerated, checkCrossNodeFanout, sameAsOfficial,
};
