'use strict';

const { parseOptions, numberArg, commandLine } = require('./support/cli');

/**
 * Parser benchmark: socket.io-parser's own four cases, run on socket.io-parser
 * and on ours alternately in one process.
 *
 * Each iteration is what socket.io-parser's bench does: a new Encoder, encode,
 * a new Decoder, and add() of every encoded part until "decoded" fires.
 *
 * Difference from socket.io-parser's bench/index.js: there the binary cases
 * pass type BINARY_EVENT to encode() and every payload is an array whose first
 * element is an object; socket.io-parser 4.x's own decoder rejects both
 * ("5undefined-..." headers, "invalid payload"), so those iterations never
 * decode anything. Here every case is an EVENT whose data is ["bench", ...],
 * so both parsers do the full round trip.
 *
 * Time is the process's CPU time (user + system), not wall time, so that
 * other work on a busy machine matters less. Each round runs both parsers
 * back to back on each case (in alternating order), the ratio is the median
 * of the per-round ratios, ops/s are medians over rounds.
 *
 * Usage: node bench/parser.bench.js [rounds=9] [msPerRun=150]
 */

const stock = require('socket.io-parser');
const ours = require('../lib/parser/parser-js');

const dataObject = [{
  a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
  b: 'xxxyyyzzzalsdfalskdjfalksdjfalksdjfalksdjfjjfjfjfjjfjfjfj',
  data: { is: 'cool', or: { is: { it: true } } },
}];
const bigArray = [];
for (let i = 0; i < 250; i++) bigArray.push(dataObject);

const cases = [
  ['small json', () => ({ type: 2, nsp: '/bench', data: ['bench', dataObject] })],
  ['big json (x250)', () => ({ type: 2, nsp: '/bench', data: ['bench', bigArray] })],
  ['json + 1 kB buffer', () => ({
    type: 2, nsp: '/bench',
    data: ['bench', { a: [1, 2, 3], b: 'xxxyyyzzz', data: Buffer.allocUnsafe(1000) }],
  })],
  ['3 x 10 kB buffers + x250', () => ({
    type: 2, nsp: '/bench',
    data: ['bench', {
      bin1: Buffer.allocUnsafe(10000), arr: bigArray,
      bin2: Buffer.allocUnsafe(10000), bin3: Buffer.allocUnsafe(10000),
    }],
  })],
];

let sink = 0;
function onDecoded(packet) { sink += packet.data.length; }

// The timed loop around one iteration's `body`: CPU time over at least `ms`
// milliseconds, in batches of 20; returns iterations per CPU second.
function timedLoop(body) {
  return `
  return function run(makePacket, ms) {
    const deadline = process.hrtime.bigint() + BigInt(ms * 1e6);
    const cpu = process.cpuUsage();
    let n = 0;
    do {
      for (let i = 0; i < 20; i++) {${body}
      }
      n += 20;
    } while (process.hrtime.bigint() < deadline);
    const usage = process.cpuUsage(cpu);
    return n / ((usage.user + usage.system) / 1e6);
  };`;
}

// Each parser gets its own copy of the benchmark loop (compiled separately),
// so that no call site sees both parsers' objects: a server has one parser,
// and shared call sites would turn polymorphic and slow both down unevenly.
const LOOP_SOURCE = timedLoop(`
        const encoder = new parser.Encoder();
        const parts = encoder.encode(makePacket());
        const decoder = new parser.Decoder();
        decoder.on('decoded', onDecoded);
        for (let j = 0; j < parts.length; j++) decoder.add(parts[j]);`);

// The part of an iteration that neither parser can avoid: making the packet,
// JSON.stringify of the payload as sent and JSON.parse of it as received.
// Its rate bounds what any parser built on V8's JSON can reach.
const FLOOR_SOURCE = timedLoop(`
        makePacket();
        sink.length += JSON.stringify(json.data).length;
        sink.length += JSON.parse(json.text).length;`);

function makeFloorRunner(make) {
  // What JSON.stringify serializes: the payload with placeholders.
  const packet = make();
  const text = new stock.Encoder().encode(packet)[0];
  const json = { data: JSON.parse(text.slice(text.indexOf('['))), text: text.slice(text.indexOf('[')) };
  // eslint-disable-next-line no-new-func
  return new Function('json', 'sink', 'process', FLOOR_SOURCE)(json, { length: 0 }, process);
}

/**
 * Returns run(makePacket, ms): runs iterations for about `ms` of wall time
 * and returns iterations per second of CPU time used by this process (user +
 * system, GC threads included), which other work on a busy machine disturbs
 * less than wall-clock time.
 */
function makeRunner(parser) {
  // eslint-disable-next-line no-new-func
  return new Function('parser', 'onDecoded', 'process', LOOP_SOURCE)(parser, onDecoded, process);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const USAGE = `
Parser benchmark: socket.io-parser's four cases on socket.io-parser and on
this package's parser, alternately in one process (CPU time, medians).

  node bench/parser.bench.js [rounds=9] [msPerRun=150]
`;

function main() {
  const [rounds, ms] = commandLine(USAGE, (argv) => {
    const { positional } = parseOptions(argv, { positional: 2 });
    return [
      numberArg('rounds', positional[0] || 9, { integer: true, min: 1 }),
      numberArg('msPerRun', positional[1] || 150, { min: 1 }),
    ];
  });
  // Both parsers must produce the same bytes for every case before timing.
  for (const [name, make] of cases) {
    const a = new stock.Encoder().encode(make());
    const b = new ours.Encoder().encode(make());
    if (a.length !== b.length || a[0] !== b[0]) throw new Error(`encodings differ: ${name}`);
  }
  const results = cases.map(() => ({ stock: [], ours: [], ratio: [], bound: [] }));
  const runners = cases.map(([, make]) => ({
    stock: makeRunner(stock), ours: makeRunner(ours), floor: makeFloorRunner(make),
  }));
  for (let r = 0; r < rounds + 1; r++) {
    cases.forEach(([, make], c) => {
      const order = r % 2 === 0 ? ['stock', 'ours'] : ['ours', 'stock'];
      const ops = {};
      for (const who of order) ops[who] = runners[c][who](make, ms);
      ops.floor = runners[c].floor(make, ms / 2);
      if (r > 0) { // round 0 warms up
        results[c].stock.push(ops.stock);
        results[c].ours.push(ops.ours);
        results[c].ratio.push(ops.ours / ops.stock);
        results[c].bound.push(ops.floor / ops.stock);
      }
    });
  }
  console.log(`node ${process.version}, ${rounds} rounds x ${ms} ms per parser and case; median ops per CPU second, median ratio`);
  console.log('EVENT packets with data ["bench", ...] (see the file header)');
  console.log('"JSON only" = make the packet + JSON.stringify + JSON.parse of its payload, nothing else;');
  console.log('its ratio to socket.io-parser bounds what a parser that leaves JSON to V8 can reach.');
  console.log('| case | socket.io-parser | socket.io-native | ratio | JSON only (bound) |');
  console.log('|---|---:|---:|---:|---:|');
  cases.forEach(([name], c) => {
    const s = median(results[c].stock);
    const o = median(results[c].ours);
    const ratio = median(results[c].ratio);
    const bound = median(results[c].bound);
    console.log(`| ${name} | ${Math.round(s)} | ${Math.round(o)} | ${ratio.toFixed(2)}x | ${bound.toFixed(2)}x |`);
  });
  if (sink === 0) console.log('');
}

main();
