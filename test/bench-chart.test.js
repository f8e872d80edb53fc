'use strict';

// The benchmark chart (bench/chart.js) drawn from saved runs in the shape
// that bench/broadcast.bench.js --json writes: every series and N on it,
// absent or failed variants left out and named, and --from-json --chart
// redrawing a saved run without measuring.

const { test } = require('node:test');
const assert = require('node:assert');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chartSpec, chartSvg } = require('../bench/chart');

const root = path.join(__dirname, '..');

const machine = {
  nproc: 2, cpu: 'Test CPU', node: 'v20.0.0', socketio: '4.8.4', os: 'Linux 6.0', loadavg: '0.10 0.10 0.10',
};

// Server CPU µs per frame by scenario, N and variant; each run delivers N * 20 frames.
const US = {
  turn: { 1000: { stock: 13, native: 5.8, sendloop: 5.3 }, 5000: { stock: 14.3, native: 1.9, sendloop: 6.3 } },
  burst: { 1000: { stock: 8.5, native: 0.7, sendloop: 5.3 }, 5000: { stock: 12.1, native: 0.43, sendloop: 5.3 } },
};

/** One raw result entry as runOne() records it. */
function result(variant, n, round, scenario, usPerFrame) {
  const messages = 20;
  const delivered = messages * n;
  const serverCpuUs = Math.round(usPerFrame * delivered);
  return {
    variant, n, round, scenario, messages, expected: delivered, delivered, ok: true, ordered: true, complete: n,
    checks: { event: 'phase', connections: n, frames: delivered, complete: n, duplicates: 0, missing: 0, foreign: 0,
      ok: true, ordered: true, stalled: false },
    serverCpuUs, serverUserUs: Math.round(serverCpuUs / 2), serverSysUs: serverCpuUs - Math.round(serverCpuUs / 2),
    wallNs: delivered * 1000, clientCpuUs: delivered, otherLoad: 0.1, server: { event: 'stats', blocked: 0 },
  };
}

/** A saved run (--json) of `variants`, one round, N = 1000 and 5000. */
function savedRun(variants, patch = () => {}) {
  const ns = [1000, 5000];
  const results = [];
  const rows = [];
  for (const scenario of ['turn', 'burst']) {
    for (const n of ns) {
      const row = { scenario, n, variants: {} };
      for (const v of variants) {
        const r = result(v, n, 0, scenario, US[scenario][n][v]);
        patch(r);
        results.push(r);
        const good = !r.error;
        row.variants[v] = {
          runs: 1, errors: r.error ? [r.error] : [], delivered: good ? r.delivered : 0,
          expected: good ? r.expected : 0, ok: good && r.ok, ordered: good ? r.ordered : true,
          usPerFrame: good ? r.serverCpuUs / r.delivered : null, sysShare: 0.5, clientUsPerFrame: 1,
          framesPerSec: 1e6, spread: null, otherLoad: 0.1,
        };
      }
      rows.push(row);
    }
  }
  return {
    machine,
    config: { ns, frames: 20000, messages: 0, rounds: 1, variants, pad: 68, burst: 10, json: 'results.json' },
    unavailable: {},
    results,
    rows,
  };
}

/** Fails unless every opened SVG element is closed in order. */
function assertBalanced(svg) {
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\s*$/);
  const stack = [];
  for (const [, close, name, selfClosing] of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!close) stack.push(name);
    else assert.strictEqual(stack.pop(), name, `</${name}> closes the wrong element`);
  }
  assert.deepStrictEqual(stack, [], 'unclosed elements');
}

/** How many line marks (one path per series in each panel) the SVG draws. */
function lines(svg) {
  return (svg.match(/<path aria-label="[^"]*" role="graphics-symbol" aria-roledescription="line mark"/g) || []).length;
}

/** The lines of the SVG's <text> elements (a multi-line text has a <tspan> per line). */
function texts(svg) {
  return [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)]
    .flatMap((m) => (m[1].includes('<tspan') ? [...m[1].matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]) : [m[1]]));
}

test('the chart of a three-variant run shows each series, N and scenario, on a log scale', async () => {
  const run = savedRun(['stock', 'native', 'sendloop']);
  const spec = chartSpec(run);
  assert.strictEqual(spec.data.values.length, 2 * 2 * 3);
  assert.deepStrictEqual(
    spec.data.values.find((p) => p.scenario === '10 broadcasts per turn' && p.n === 5000 && p.series === 'socket.io-native'),
    { scenario: '10 broadcasts per turn', n: 5000, series: 'socket.io-native', us: 0.43, lo: 0.43, hi: 0.43 },
  );
  assert.strictEqual(spec.spec.layer[1].encoding.y.scale.type, 'log');

  const svg = await chartSvg(run);
  assertBalanced(svg);
  const t = texts(svg);
  for (const label of ['stock socket.io', 'socket.io-native', 'send() loop', '1000', '5000',
    '1 broadcast per event-loop turn', '10 broadcasts per turn']) {
    assert.ok(t.includes(label), `no text "${label}" in ${JSON.stringify(t)}`);
  }
  assert.ok(t.some((x) => x.includes('log scale')), 'the y axis says it is a log scale');
  assert.match(t.join(' '), /Measured on 2 CPUs \(Test CPU\), Node v20\.0\.0, socket\.io 4\.8\.4/);
  assert.ok(!t.some((x) => x.startsWith('Not shown')));
  assert.strictEqual(lines(svg), 2 * 3, 'a line per panel and series');
});

test('a run without the send() loop (--variants stock,native) charts the other two', async () => {
  const run = savedRun(['stock', 'native']);
  assert.deepStrictEqual(new Set(chartSpec(run).data.values.map((p) => p.series)),
    new Set(['stock socket.io', 'socket.io-native']));
  const svg = await chartSvg(run);
  assertBalanced(svg);
  const t = texts(svg);
  assert.ok(t.includes('stock socket.io') && t.includes('socket.io-native'));
  assert.ok(!t.includes('send() loop'), 'no legend entry for a variant that did not run');
  assert.strictEqual(lines(svg), 2 * 2, 'a line per panel and series');
});

test('failed or unavailable cells are left out of the chart and named under the title', async () => {
  const run = savedRun(['stock', 'native', 'sendloop'], (r) => {
    if (r.variant === 'sendloop' && r.n === 5000 && r.scenario === 'burst') r.ok = false;
  });
  run.rows.find((r) => r.scenario === 'burst' && r.n === 5000).variants.sendloop.ok = false;
  const spec = chartSpec(run);
  assert.strictEqual(spec.data.values.length, 11);
  assert.ok(spec.title.subtitle.join(' ').includes('send() loop at N = 5000 (10 broadcasts per turn): check failed'));

  const unavailable = savedRun(['stock', 'sendloop']);
  unavailable.config.variants = ['stock', 'native', 'sendloop'];
  unavailable.unavailable = { native: 'the native addon did not load' };
  for (const row of unavailable.rows) {
    row.variants.native = { runs: 0, errors: [], delivered: 0, expected: 0, ok: false, usPerFrame: null, spread: null };
  }
  const svg = await chartSvg(unavailable);
  assertBalanced(svg);
  const t = texts(svg);
  assert.ok(!t.includes('socket.io-native'), 'no legend entry for an unavailable variant');
  assert.match(t.join(' '), /Not shown: socket\.io-native, not available: the native addon did not load\./);
});

test('broadcast.bench.js --from-json --chart redraws a saved run without measuring', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-bench-chart-'));
  try {
    const saved = path.join(dir, 'run.json');
    const out = path.join(dir, 'charts', 'run.svg');
    fs.writeFileSync(saved, JSON.stringify(savedRun(['stock', 'native', 'sendloop'])));
    const { error, stdout, stderr } = await new Promise((resolve) => {
      execFile(process.execPath, [path.join(root, 'bench', 'broadcast.bench.js'), '--from-json', saved, '--chart', out],
        { cwd: root, timeout: 120000 }, (err, so, se) => resolve({ error: err, stdout: so, stderr: se }));
    });
    assert.strictEqual(error, null, `${stdout}\n${stderr}`);
    assert.match(stdout, /N = 5000/);
    const svg = fs.readFileSync(out, 'utf8');
    assertBalanced(svg);
    const t = texts(svg);
    for (const label of ['stock socket.io', 'socket.io-native', 'send() loop', '1000', '5000']) {
      assert.ok(t.includes(label), `no text "${label}"`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the printed table gives every ratio one way (reference / this variant) and a legend under it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-bench-table-'));
  try {
    const saved = path.join(dir, 'run.json');
    fs.writeFileSync(saved, JSON.stringify(savedRun(['stock', 'native', 'sendloop'])));
    const { error, stdout, stderr } = await new Promise((resolve) => {
      execFile(process.execPath, [path.join(root, 'bench', 'broadcast.bench.js'), '--from-json', saved, '--markdown'],
        { cwd: root, timeout: 120000 }, (err, so, se) => resolve({ error: err, stdout: so, stderr: se }));
    });
    assert.strictEqual(error, null, `${stdout}\n${stderr}`);
    const lines = stdout.split('\n');
    const header = lines.find((l) => l.startsWith('| variant'));
    const columns = header.split('|').map((c) => c.trim()).filter(Boolean);
    const stockCol = columns.indexOf('stock / this');
    const floorCol = columns.indexOf('send() / this');
    assert.ok(stockCol > 0 && floorCol > 0, header);
    // The burst table at N = 5000: stock 12.1, native 0.43, send() loop 5.3 us/frame.
    const start = lines.findIndex((l) => /bursts of 10 broadcasts per turn, N = 5000/.test(l));
    const cells = (variant) => lines.slice(start).find((l) => l.startsWith(`| ${variant} `)).split('|').map((c) => c.trim()).slice(1);
    const ratio = (variant, col) => Number(cells(variant)[col].replace(/x$/, ''));
    assert.strictEqual(ratio('stock', stockCol), 1);
    assert.strictEqual(ratio('native', stockCol), Number((12.1 / 0.43).toFixed(2)), 'stock / native, as the README table');
    assert.strictEqual(ratio('native', floorCol), Number((5.3 / 0.43).toFixed(2)));
    assert.strictEqual(ratio('stock', floorCol), Number((5.3 / 12.1).toFixed(2)));
    // Every column is explained under the tables.
    const legend = stdout.slice(stdout.lastIndexOf('|'));
    for (const column of columns.filter((c) => c !== '(range)')) {
      assert.ok(legend.includes(column), `"${column}" is not explained:\n${legend}`);
    }
    assert.match(legend, /^sys %\s+share of that CPU time spent in the kernel/m);
    assert.match(legend, /^loadgen us\/frame\s+CPU time of the load generator/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
