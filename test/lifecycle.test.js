'use strict';

/**
 * Lifecycle: several servers and namespaces in one process, io.close()
 * releasing everything, the addon in worker_threads, and the process
 * exiting with live connections. Each scenario runs in a child process
 * (test/support/lifecycle-child.js) that must end by itself: the child is
 * killed, and the test fails, if it is still running after the bound.
 */

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const binding = require('../lib/binding');

const CHILD = path.join(__dirname, 'support', 'lifecycle-child.js');
const LIMIT_MS = 20000;

/**
 * @param {string} scenario
 * @returns {Promise<{ code: number | null, signal: string | null, result: any, stderr: string }>}
 */
function runChild(scenario) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      let result = null;
      try {
        result = JSON.parse(last);
      } catch {
        result = null;
      }
      resolve({ code, signal: killed ? 'killed after the bound' : signal, result, stderr: err });
    });
  });
}

test('io.close() with live connections empties the registry and the process ends by itself', { timeout: 30000 }, async () => {
  const r = await runChild('close-exits');
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  // fanoutConnections: websocket connections still registered with the
  // native fan-out (each would hold a duplicated descriptor).
  assert.deepEqual(r.result, { live: 6, rooms: 0, sids: 0, fanoutConnections: 0 });
});

test('the process exits cleanly with live connections', { timeout: 30000 }, async () => {
  const r = await runChild('exit-live');
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.result.exiting, true);
});

test('several servers and namespaces: isolated, and every native registry released after close', { timeout: 30000 }, async () => {
  const r = await runChild('many-servers');
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.result.emptied, true);
  assert.deepEqual(r.result.seen, ['bb']);
  if (binding.native) {
    // One registry per namespace: three servers' "/" and two "/chat".
    assert.equal(r.result.during - r.result.before, 5);
    assert.equal(r.result.after, r.result.before, 'registries released once collected');
  }
});

test('the addon in several workers at once, terminated with live connections', { timeout: 30000 }, async () => {
  const r = await runChild('workers');
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.result.reports.length, 4);
  for (const report of r.result.reports) {
    assert.equal(report.native, binding.native);
    assert.equal(report.sids, 4);
    // Each worker has its own addon instance: it sees only its own registry.
    if (binding.native) assert.equal(report.registries, 1);
  }
  // worker.terminate() resolves with exit code 1; the worker that closed its
  // server ended by itself with 0.
  assert.deepEqual(r.result.exits, [1, 1, 1, 0]);
});
