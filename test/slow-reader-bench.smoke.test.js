'use strict';

// Runs the slow-reader benchmark (bench/slow-reader.bench.js) in quick mode:
// every case, tiny, against stock socket.io and (with the addon) this
// package. Checks only what must hold on any machine: every client received
// every message byte for byte and in order, and every measurement was
// reported. Timing is not asserted.

const { test } = require('node:test');
const assert = require('node:assert');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const binding = require('../lib/binding');

const root = path.join(__dirname, '..');

test('slow-reader benchmark (quick): every client gets every message, paused or not', { timeout: 180000 }, async () => {
  const json = path.join(os.tmpdir(), `sio-slow-reader-smoke-${process.pid}.json`);
  // In fallback mode there is no native variant to measure.
  const variants = binding.native ? ['stock', 'native'] : ['stock'];
  const { error, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bench', 'slow-reader.bench.js'), '--quick',
      '--variants', variants.join(','), '--json', json],
    { cwd: root, timeout: 170000, maxBuffer: 16 * 1024 * 1024 },
    (err, out, errOut) => resolve({ error: err, stdout: out, stderr: errOut }));
  });
  try {
    assert.ok(fs.existsSync(json), `no results written\n${stdout}\n${stderr}\n${error ?? ''}`);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.deepEqual(report.cases.map((c) => c.name), ['large', 'wide', 'burst']);
    for (const c of report.cases) {
      for (const variant of variants) {
        const r = report.results.find((x) => x.case === c.name && x.variant === variant);
        assert.ok(r, `no result for ${c.name}/${variant}\n${stderr}`);
        assert.equal(r.error, undefined, `${c.name}/${variant}: ${r.error}`);
        assert.equal(r.timedOut, undefined, `${c.name}/${variant}: ${r.timedOut}`);
        assert.ok(r.paused > 0, `${c.name}/${variant}: some clients paused`);
        assert.equal(r.complete, c.clients, `${c.name}/${variant}: clients with every message (${r.errors})`);
        assert.equal(r.framesReceived, c.clients * c.messages, `${c.name}/${variant}: messages received`);
        assert.equal(r.bad, 0, `${c.name}/${variant}: wrong frames`);
        assert.equal(r.missing, 0, `${c.name}/${variant}: missing frames`);
        for (const k of ['rssGrowthMB', 'loopBlockMs', 'emitMs', 'allMs']) {
          assert.equal(typeof r[k], 'number', `${c.name}/${variant}: ${k} reported`);
        }
        if (variant === 'native') assert.ok(r.fanout.framesWritten > 0, `${c.name}: the native fan-out wrote`);
      }
    }
    assert.match(stdout, /\| case \| variant \|/);
    assert.equal(error, null, `benchmark exited with an error\n${stderr}`);
  } finally {
    fs.rmSync(json, { force: true });
  }
});
