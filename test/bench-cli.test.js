'use strict';

// Every benchmark script answers --help with its usage (exit 0, nothing
// measured), and a mistake on its command line with one line saying what is
// wrong and the usage (exit 2), never a stack trace.

const { test } = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const SCRIPTS = ['broadcast', 'parser', 'adapter', 'fanout', 'redis', 'codec-binding', 'registry', 'slow-reader'];

function run(script, argv) {
  const result = spawnSync(process.execPath, [path.join(root, 'bench', `${script}.bench.js`), ...argv], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30000,
  });
  assert.strictEqual(result.error, undefined, String(result.error));
  return result;
}

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

for (const script of SCRIPTS) {
  test(`bench/${script}.bench.js --help prints its usage`, () => {
    for (const flag of ['--help', '-h']) {
      const { status, stdout, stderr } = run(script, [flag]);
      assert.strictEqual(status, 0, stderr);
      assert.match(stdout, new RegExp(`node (--expose-gc )?bench/${script}\\.bench\\.js`));
      assert.doesNotMatch(stdout + stderr, STACK);
    }
  });

  test(`bench/${script}.bench.js rejects an unknown option with its usage`, () => {
    const { status, stdout, stderr } = run(script, ['--no-such-option']);
    assert.strictEqual(status, 2, stdout + stderr);
    assert.match(stderr, /^unknown option --no-such-option\n/);
    assert.match(stderr, new RegExp(`bench/${script}\\.bench\\.js`));
    assert.doesNotMatch(stderr, STACK);
  });
}

test('a missing or bad value is named, without a stack trace', () => {
  for (const [argv, message] of [
    [['--n'], /^--n needs a value/],
    [['--n', '10,x'], /^--n must be an integer >= 1, not "x"/],
    [['--variants', 'stock,fast'], /^unknown variant fast/],
    [['--rounds', '0'], /^--rounds must be an integer >= 1/],
  ]) {
    const { status, stderr } = run('broadcast', argv);
    assert.strictEqual(status, 2, argv.join(' '));
    assert.match(stderr, message);
    assert.doesNotMatch(stderr, STACK);
  }
  const parser = run('parser', ['many']);
  assert.strictEqual(parser.status, 2);
  assert.match(parser.stderr, /^rounds must be an integer >= 1, not "many"/);
});
