'use strict';

// What the README promises a reader: every code block runs as written, and
// every file it links to or names for reading is in the npm package.
//
//  - JavaScript blocks run in a fresh process, from a scratch directory
//    where `socket.io-native` is this package (as after `npm install`): a
//    block with `import` lines as an ES module, any other as CommonJS. A
//    block that starts an HTTP server gets it on a free loopback port, and
//    a socket.io client must connect to it (test/support/snippet-preload.js).
//    The Redis block runs against a private redis-server
//    (test/support/redis-process.js) through REDIS_URL; on a machine without
//    redis-server it is compiled and its imports resolved, not run (the
//    test says so).
//  - TypeScript blocks are compiled with tsc --noEmit, strict.
//  - Shell blocks are not run.
// Also in fallback mode (npm run test:js:fallback): the blocks must work
// without the addon too.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync, spawn } = require('node:child_process');
const { findRedisServer, startRedis } = require('./support/redis-process');

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const preload = path.join(__dirname, 'support', 'snippet-preload.js');

/** The fenced code blocks of a Markdown text: { lang, code, line }. */
function codeBlocks(markdown) {
  const blocks = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(markdown)); ) {
    blocks.push({ lang: m[1], code: m[2], line: markdown.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

/**
 * A directory laid out like an application's after `npm install
 * socket.io-native`: node_modules holds this package under its name and
 * every package this project has installed.
 */
function scratchProject(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-readme-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(root, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    fs.symlinkSync(path.join(root, 'node_modules', entry), path.join(modules, entry), 'dir');
  }
  fs.symlinkSync(root, path.join(modules, 'socket.io-native'), 'dir');
  return dir;
}

/** Runs a file with the preload; resolves with its outcome (bounded). */
function runFile(file, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', preload, file], {
      cwd: path.dirname(file),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (status, signal) => {
      clearTimeout(kill);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

const blocks = codeBlocks(readme);
const jsBlocks = blocks.filter((b) => b.lang === 'js');
const tsBlocks = blocks.filter((b) => b.lang === 'ts');

test('the README has the blocks this test expects to check', () => {
  assert.ok(jsBlocks.length >= 3, `${jsBlocks.length} JavaScript blocks`);
  assert.ok(tsBlocks.length >= 1, 'a TypeScript example');
  assert.ok(jsBlocks.some((b) => /from "redis"/.test(b.code)), 'the Redis block');
  for (const b of blocks) assert.ok(['js', 'ts', 'sh'].includes(b.lang), `block at line ${b.line} has language "${b.lang}"`);
});

for (const block of jsBlocks) {
  const esm = /^import /m.test(block.code);
  const redis = /from "redis"|require\("redis"\)/.test(block.code);
  test(`README block at line ${block.line} runs as written (${esm ? 'ES module' : 'CommonJS'})`, { timeout: 60000 }, async (t) => {
    const dir = scratchProject(t);
    const file = path.join(dir, esm ? 'snippet.mjs' : 'snippet.js');
    fs.writeFileSync(file, block.code);
    const env = {};
    if (redis) {
      if (!findRedisServer()) {
        t.diagnostic('redis-server not installed: the Redis block is only compiled and its imports resolved');
        const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
        assert.strictEqual(check.status, 0, check.stderr);
        for (const [, spec] of block.code.matchAll(/from "([^"]+)"/g)) {
          assert.doesNotThrow(() => require.resolve(spec, { paths: [dir] }), spec);
        }
        return;
      }
      const server = await startRedis();
      t.after(() => server.stop());
      env.REDIS_URL = server.url;
    }
    const { status, signal, stdout, stderr } = await runFile(file, env);
    assert.strictEqual(signal, null, `killed:\n${stdout}\n${stderr}`);
    assert.strictEqual(status, 0, `exit ${status}:\n${stdout}\n${stderr}`);
    if (/\.listen\(/.test(block.code)) assert.match(stdout, /SNIPPET_CONNECTED/, 'a client connected to its server');
    assert.strictEqual(stderr, '', 'no warning, no error');
  });
}

function tsc() {
  const tscPackage = require.resolve('typescript/package.json');
  return path.join(path.dirname(tscPackage), require(tscPackage).bin.tsc);
}

test('the README TypeScript blocks compile (strict, node16)', { timeout: 180000 }, (t) => {
  const dir = scratchProject(t);
  const files = tsBlocks.map((b, i) => {
    const name = `snippet${i}.mts`;
    fs.writeFileSync(path.join(dir, name), b.code);
    return name;
  });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, types: ['node'],
    },
    files,
  }));
  const result = spawnSync(process.execPath, [tsc(), '--noEmit', '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 120000 });
  assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
});

test('every file the README and docs/ link to, and the docs the README names, are in the package', () => {
  const packed = spawnSync(process.execPath, [npmCli(), 'pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120000,
  });
  assert.strictEqual(packed.status, 0, packed.stderr);
  const files = new Set(JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))).at(0).files.map((f) => f.path));
  const wanted = new Set();
  const sources = [['README.md', readme]];
  for (const doc of fs.readdirSync(path.join(root, 'docs'))) {
    if (doc.endsWith('.md')) sources.push([`docs/${doc}`, fs.readFileSync(path.join(root, 'docs', doc), 'utf8')]);
  }
  for (const [from, text] of sources) {
    // Markdown links and images with a relative target.
    for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      wanted.add(path.posix.normalize(path.posix.join(path.posix.dirname(from), target)));
    }
  }
  // What the README sends the reader to read: the docs and the benchmark results.
  for (const [, name] of readme.matchAll(/\b((?:docs\/[\w.-]+\.md)|bench\/RESULTS\.md)\b/g)) wanted.add(name);
  assert.ok(wanted.has('bench/results/broadcast.svg') && wanted.has('docs/redis.md') && wanted.has('bench/RESULTS.md'), [...wanted].join(', '));
  const missing = [...wanted].filter((f) => !files.has(f));
  assert.deepStrictEqual(missing, [], `named in the README or docs/ but not in the package: ${missing.join(', ')}`);
});

/** npm's own CLI script, run with this node. */
function npmCli() {
  const beside = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (fs.existsSync(beside)) return beside;
  return process.env.npm_execpath;
}

test('the chat example README block compiles as the ES module it says it is', (t) => {
  // It talks to a running chat server (test/chat-recovery.test.js speaks the
  // same protocol against one), so here it is compiled, not run.
  const text = fs.readFileSync(path.join(root, 'examples', 'chat', 'README.md'), 'utf8');
  const js = codeBlocks(text).filter((b) => b.lang === 'js');
  assert.ok(js.length >= 1);
  const dir = scratchProject(t);
  for (const [i, b] of js.entries()) {
    const file = path.join(dir, `chat${i}.mjs`);
    fs.writeFileSync(file, b.code);
    const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
    assert.strictEqual(check.status, 0, check.stderr);
  }
});
