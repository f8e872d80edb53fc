'use strict';

/**
 * The socket.io server of the end-to-end broadcast benchmark, run as a child
 * process of bench/broadcast.bench.js. Every client joins the room "bench";
 * on command the server broadcasts `io.to("bench").emit("m", { seq, pad })`
 * and reports the CPU time it used.
 *
 *   node bench/broadcast-server.js --variant stock|native [--pad 68] [--max-ms 1800000]
 *
 * Commands (stdin, one per line):
 *   run <count> <burst>  emit <count> messages, <burst> per event-loop turn
 *                        (setImmediate between turns); starts the measured phase
 *   stats                report CPU used since "run": process.cpuUsage() delta
 *                        and the process's own rusage
 *   quit                 exit (so does closing stdin)
 * Replies are JSON lines on stdout: listening, sent, stats.
 */

const http = require('http');
const readline = require('readline');
const { Server } = require('socket.io');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const variant = option('variant', 'stock');
const padLength = Number(option('pad', '68'));
const maxMs = Number(option('max-ms', '1800000'));

function reply(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const serverOptions = { serveClient: false };
if (variant === 'native') {
  // This package's adapter and parser, plugged into an unmodified Server.
  const native = require('..');
  serverOptions.adapter = native.createAdapter();
  serverOptions.parser = native.parser;
} else if (variant !== 'stock') {
  throw new Error(`unknown variant ${variant}: use stock or native`);
}

const httpServer = http.createServer();
const io = new Server(httpServer, serverOptions);
io.on('connection', (socket) => {
  socket.join('bench');
});

const pad = 'x'.repeat(padLength);
let seq = 0; // Continues across phases: clients check 0, 1, 2, ... in order.
let phase = null;

function run(count, burst) {
  phase = {
    cpu: process.cpuUsage(),
    rusage: process.resourceUsage(),
    start: process.hrtime.bigint(),
    messages: 0,
  };
  let remaining = count;
  const turn = () => {
    for (let b = 0; b < burst && remaining > 0; b++, remaining--) {
      io.to('bench').emit('m', { seq: seq++, pad });
      phase.messages++;
    }
    if (remaining > 0) setImmediate(turn);
    else reply({ event: 'sent', messages: phase.messages });
  };
  setImmediate(turn);
}

function stats() {
  if (!phase) return reply({ event: 'error', message: 'stats before run' });
  const cpu = process.cpuUsage(phase.cpu);
  const ru = process.resourceUsage();
  reply({
    event: 'stats',
    cpuUserUs: cpu.user,
    cpuSysUs: cpu.system,
    wallUs: Number((process.hrtime.bigint() - phase.start) / 1000n),
    messages: phase.messages,
    clients: io.of('/').sockets.size,
    rusageUserUs: ru.userCPUTime - phase.rusage.userCPUTime,
    rusageSysUs: ru.systemCPUTime - phase.rusage.systemCPUTime,
    voluntarySwitches: ru.voluntaryContextSwitches - phase.rusage.voluntaryContextSwitches,
    involuntarySwitches: ru.involuntaryContextSwitches - phase.rusage.involuntaryContextSwitches,
    maxRssKb: ru.maxRSS,
  });
}

const commands = readline.createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'run') run(Number(a), Math.max(1, Number(b) || 1));
  else if (cmd === 'stats') stats();
  else if (cmd === 'quit') process.exit(0);
  else if (cmd) reply({ event: 'error', message: `unknown command ${cmd}` });
});
// A driver that goes away must not leave the server running.
commands.on('close', () => process.exit(0));
setTimeout(() => {
  process.stderr.write('broadcast-server: lifetime limit reached\n');
  process.exit(3);
}, maxMs).unref();

httpServer.listen(0, '127.0.0.1', () => {
  reply({ event: 'listening', port: httpServer.address().port, variant });
});
