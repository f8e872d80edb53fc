'use strict';

// The ESM entry points re-export the CommonJS modules: `import` and `require`
// must give the very same objects (one addon instance, one `native` flag), and
// every CommonJS export must have an ESM named export.

const test = require('node:test');
const assert = require('node:assert');

const cjs = require('socket.io-native');
const cjsParser = require('socket.io-native/parser');

test('import "socket.io-native" gives the CommonJS objects', async () => {
  const esm = await import('socket.io-native');
  assert.strictEqual(esm.default, cjs);
  const named = Object.keys(esm).filter((k) => k !== 'default').sort();
  assert.deepStrictEqual(named, Object.keys(cjs).sort());
  for (const key of named) assert.strictEqual(esm[key], cjs[key], key);
  assert.strictEqual(esm.parser, cjsParser);
  assert.strictEqual(typeof esm.createAdapter, 'function');
  assert.strictEqual(typeof esm.native, 'boolean');
});

test('import "socket.io-native/parser" gives the CommonJS objects', async () => {
  const esm = await import('socket.io-native/parser');
  assert.strictEqual(esm.default, cjsParser);
  const named = Object.keys(esm).filter((k) => k !== 'default').sort();
  assert.deepStrictEqual(named, Object.keys(cjsParser).sort());
  for (const key of named) assert.strictEqual(esm[key], cjsParser[key], key);
});

test('the export map resolves import and require to the wrappers and the modules', () => {
  const pkg = require('../package.json');
  for (const [subpath, entry] of Object.entries(pkg.exports)) {
    if (typeof entry === 'string') continue;
    assert.strictEqual(Object.keys(entry)[0], 'types', `${subpath}: "types" comes first`);
    assert.match(entry.import, /\.mjs$/, subpath);
    assert.match(entry.require, /\.js$/, subpath);
  }
  assert.strictEqual(require.resolve('socket.io-native'), require.resolve('../lib/index.js'));
});
