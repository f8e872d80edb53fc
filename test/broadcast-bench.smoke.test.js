'use strict';

// Runs the end-to-end broadcast benchmark in quick mode against stock
// socket.io and the send() loop, small enough for CI, and checks only what
// must hold on any machine: every client received every message exactly
// once and in order. Timing is not asserted. The C++ programs come from the
// CMake build that `npm run test:cpp` already did; if they are missing they
// are built (only those two targets).

const { test } = require('node:test');
const assert = require('node:assert');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const binDir = path.join(root, 'build-cmake', 'release');

function runBench(argv, timeoutMs) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bench', 'broadcast.bench.js'), ...argv],
      { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }));
  });
}

test('broadcast benchmark (quick): stock and send() loop deliver every frame once, in order', { timeout: 300000 }, async () => {
  const json = path.join(os.tmpdir(), `sio-broadcast-smoke-${process.pid}.json`);
  const built = ['sio_loadgen', 'sio_sendloop'].every((t) => fs.existsSync(path.join(binDir, t)));
  const argv = ['--quick', '--n', '200', '--messages', '300', '--rounds', '1',
    '--variants', 'stock,sendloop', '--json', json, ...(built ? ['--no-build'] : [])];
  const { error, stdout, stderr } = await runBench(argv, 280000);
  try {
    assert.ok(fs.existsSync(json), `no results written\n${stdout}\n${stderr}\n${error ?? ''}`);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const results = report.results;
    for (const variant of ['stock', 'sendloop']) {
      for (const scenario of ['turn', 'burst']) {
        const r = results.find((x) => x.variant === variant && x.scenario === scenario);
        assert.ok(r, `no result for ${variant}/${scenario}\n${stdout}`);
        assert.equal(r.error, undefined, `${variant}/${scenario}: ${r.error}`);
        assert.equal(r.checks.connections, 200, `${variant}/${scenario}: clients connected`);
        assert.equal(r.delivered, r.expected, `${variant}/${scenario}: frames delivered`);
        assert.equal(r.checks.complete, 200, `${variant}/${scenario}: clients with every frame`);
        assert.equal(r.checks.duplicates, 0, `${variant}/${scenario}: duplicated or reordered frames`);
        assert.equal(r.checks.missing, 0, `${variant}/${scenario}: missing frames`);
        assert.equal(r.checks.foreign, 0, `${variant}/${scenario}: unexpected messages`);
        assert.equal(r.ok, true, `${variant}/${scenario}: check failed`);
      }
    }
    assert.equal(error, null, `benchmark exited with an error\n${stderr}`);
  } finally {
    fs.rmSync(json, { force: true });
  }
});
