'use strict';

/**
 * The socket.io server of the slow-reader benchmark (bench/slow-reader.bench.js),
 * run as a child process so that its memory and event-loop delay are its own.
 *
 *   node --expose-gc bench/slow-reader-server.js --variant stock|native [--allow-fallback]
 *
 * Commands (stdin, one per line):
 *   baseline <messages> <size>
 *                             prepare the messages' pads, collect garbage,
 *                             reset the peak RSS (VmHWM, via
 *                             /proc/self/clear_refs) and start watching the
 *                             event loop; replies with the RSS now
 *   run <perTurn>             io.emit('m', seq, pad) for seq 0 .. messages-1
 *                             (bench/support/slow-payload.js), <perTurn> per
 *                             event-loop turn (setImmediate between turns)
 *   stats                     peak RSS since "baseline" (VmHWM, and the
 *                             highest of 10 ms samples), the longest
 *                             event-loop block, the fan-out's counters
 *   quit
 * Replies are JSON lines on stdout: listening, baseline, sent, stats.
 */

const fs = require('node:fs');
const http = require('node:http');
const readline = require('node:readline');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { Server } = require('socket.io');
const { pad } = require('./support/slow-payload');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const variant = option('variant', 'stock');
const maxMs = Number(option('max-ms', '600000'));

function reply(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const serverOptions = { serveClient: false, maxHttpBufferSize: 1e6 };
if (variant === 'native') {
  const native = require('..');
  // The benchmark must not measure the fallback by mistake; the tests run
  // this package in both modes (--allow-fallback).
  if (native.native !== true && !process.argv.includes('--allow-fallback')) {
    throw new Error('the native addon did not load');
  }
  serverOptions.adapter = native.createAdapter();
  serverOptions.parser = native.parser;
} else if (variant !== 'stock') {
  throw new Error(`unknown variant ${variant}: use stock or native`);
}

const httpServer = http.createServer();
const io = new Server(httpServer, serverOptions);

/** Peak RSS in kB since the last reset (VmHWM), or null where unavailable. */
function highWaterKb() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

let phase = null;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });

/** The pads of the messages to send, made before the measured phase. */
let pads = [];

function baseline(messages, size) {
  pads = [];
  for (let seq = 0; seq < messages; seq++) pads.push(pad(seq, size));
  if (typeof global.gc === 'function') global.gc();
  let hwmReset = false;
  try {
    // "5" resets the peak RSS to the current RSS (Linux 4.0+).
    fs.writeFileSync('/proc/self/clear_refs', '5');
    hwmReset = true;
  } catch {
    // Only the sampled peak then.
  }
  const rss = process.memoryUsage.rss();
  phase = { rss, peak: rss, hwmReset, sampler: null };
  phase.sampler = setInterval(() => {
    const now = process.memoryUsage.rss();
    if (now > phase.peak) phase.peak = now;
  }, 10);
  loopDelay.reset();
  loopDelay.enable();
  reply({ event: 'baseline', rss, hwmReset });
}

function run(perTurn) {
  const start = process.hrtime.bigint();
  const messages = pads.length;
  let seq = 0;
  const turn = () => {
    for (let k = 0; k < perTurn && seq < messages; k++, seq++) io.emit('m', seq, pads[seq]);
    if (seq < messages) setImmediate(turn);
    else reply({ event: 'sent', emitMs: Number(process.hrtime.bigint() - start) / 1e6 });
  };
  turn();
}

function stats() {
  if (phase === null) return reply({ event: 'error', message: 'stats before baseline' });
  clearInterval(phase.sampler);
  loopDelay.disable();
  const now = process.memoryUsage.rss();
  const hwmKb = phase.hwmReset ? highWaterKb() : null;
  const peak = Math.max(phase.peak, now, hwmKb === null ? 0 : hwmKb * 1024);
  const adapter = io.of('/').adapter;
  const fanout = typeof adapter.stats === 'function' ? adapter.stats() : null;
  reply({
    event: 'stats',
    rssBase: phase.rss,
    rssPeak: peak,
    rssNow: now,
    peakFrom: hwmKb !== null && hwmKb * 1024 >= phase.peak ? 'VmHWM' : 'samples',
    loopDelayMaxMs: loopDelay.max / 1e6,
    fanout: fanout && fanout.fanout === true ? {
      framesWritten: fanout.framesWritten,
      bytesWritten: fanout.bytesWritten,
      handedPartial: fanout.handedPartial,
      bytesHanded: fanout.bytesHanded,
      handedBusy: fanout.handedBusy,
      registered: fanout.registered,
      refused: fanout.refused,
    } : null,
  });
}

const commands = readline.createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'baseline') baseline(Number(a), Number(b));
  else if (cmd === 'run') run(Math.max(1, Number(a) || 1));
  else if (cmd === 'stats') stats();
  else if (cmd === 'quit') process.exit(0);
  else if (cmd) reply({ event: 'error', message: `unknown command ${cmd}` });
});
commands.on('close', () => process.exit(0));
setTimeout(() => {
  process.stderr.write('slow-reader-server: lifetime limit reached\n');
  process.exit(3);
}, maxMs).unref();

httpServer.listen(0, '127.0.0.1', () => {
  reply({ event: 'listening', port: httpServer.address().port, variant });
});
