'use strict';

// Server CPU per broadcast: the native fan-out against ws's own write path,
// alternating in one process. The clients live in a child process (so their
// reading does not count) and say when every one of them has received a run.
//
// "ws frame per recipient" is what socket.io ends up doing for a websocket
// client: socket.io-adapter builds the frame once (wsPreEncodedFrame) and
// engine.io writes it with ws's Sender#sendFrame per recipient, one
// net.Socket write each. socket.io and engine.io add their own per-recipient
// work on top, so this is the floor of the stock cost, not the stock cost.
//
//   node bench/fanout.bench.js [clients=500] [burst=10] [turns=100] [rounds=5]

const { fork } = require('child_process');
const { parseOptions, numberArg, commandLine } = require('./support/cli');
const { WebSocketServer, WebSocket, Sender } = require('ws');

if (process.argv[2] === 'clients') {
  const [port, n] = process.argv.slice(3).map(Number);
  let expected = Infinity;
  let complete = 0;
  const counts = new Array(n).fill(0);
  const sockets = [];
  let open = 0;
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('open', () => { if (++open === n) process.send({ open: true }); });
    ws.on('message', () => {
      if (++counts[i] === expected && ++complete === n) process.send({ done: true });
    });
  }
  process.on('message', (m) => {
    if (m.expect) {
      counts.fill(0);
      complete = 0;
      expected = m.expect;
      process.send({ ready: true });
    } else if (m.exit) {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
  return;
}

const USAGE = `
Server CPU per broadcast: the native fan-out against ws's own write path,
alternately in one process, the clients in a child process.

  node bench/fanout.bench.js [clients=500] [burst=10] [turns=100] [rounds=5]
`;
const [clients, burst, turns, rounds] = commandLine(USAGE, (argv) => {
  const { positional } = parseOptions(argv, { positional: 4 });
  return ['clients', 'burst', 'turns', 'rounds'].map((name, i) =>
    numberArg(name, positional[i] ?? [500, 10, 100, 5][i], { integer: true, min: 1 }));
});

const { addon } = require('../lib/binding');
if (!addon) {
  console.log('native addon not loaded: nothing to compare');
  process.exit(0);
}
const { fanout } = addon;

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  const conns = [];
  wss.on('connection', (ws) => {
    ws._socket.setNoDelay(true);
    conns.push({ ws, id: fanout.register(ws._socket._handle.fd) });
  });
  fanout.onRemainder((ids, buffers) => {
    throw new Error(`unexpected remainder for ${ids.length} connections`);
  });

  const child = fork(__filename, ['clients', String(wss.address().port), String(clients)]);
  const next = (key) => new Promise((resolve) => {
    const on = (m) => { if (m[key]) { child.off('message', on); resolve(); } };
    child.on('message', on);
  });
  await next('open');
  for (let i = 0; i < 100 && conns.length < clients; i++) await turn();

  const ids = Uint32Array.from(conns.map((c) => c.id));
  const out = new Uint32Array(ids.length);
  const packet = (t, b) => `2["tick",{"turn":${t},"i":${b},"price":1234.5,"sym":"ABCD"}]`;

  const paths = {
    'ws frame per recipient': (t, b) => {
      const frame = Sender.frame(Buffer.from('4' + packet(t, b)), {
        fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false,
      });
      for (const c of conns) c.ws._sender.sendFrame(frame);
    },
    'native fan-out': (t, b) => {
      if (fanout.broadcast(packet(t, b), ids, ids.length, out) !== 0) throw new Error('handed back');
    },
  };

  const results = {};
  for (const name of Object.keys(paths)) results[name] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [name, send] of Object.entries(paths)) {
      child.send({ expect: turns * burst });
      await next('ready');
      const done = next('done');
      const statsBefore = fanout.stats();
      const cpu = process.cpuUsage();
      for (let t = 0; t < turns; t++) {
        for (let b = 0; b < burst; b++) send(t, b);
        await turn();
      }
      await done;
      const used = process.cpuUsage(cpu);
      const statsAfter = fanout.stats();
      results[name].push({
        us: (used.user + used.system) / (turns * burst),
        writes: statsAfter.writes - statsBefore.writes,
      });
    }
  }
  child.send({ exit: true });

  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${clients} clients, bursts of ${burst} broadcasts per turn, ${turns} turns, ${rounds} rounds, Node ${process.version}`);
  const base = median(results['ws frame per recipient'].map((x) => x.us));
  for (const [name, runs] of Object.entries(results)) {
    const us = median(runs.map((x) => x.us));
    const writes = runs[0].writes;
    console.log(`${name.padEnd(24)} ${us.toFixed(1).padStart(8)} us CPU per broadcast` +
      `  (${(base / us).toFixed(2)}x)${writes ? `  ${writes} native writes per run` : ''}`);
  }
  for (const c of conns) fanout.unregister(c.id);
  wss.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
