'use strict';

// The hand-written declarations compile in a strict TypeScript project, both
// through `require` (CommonJS, moduleResolution node16) and through `import`
// (ES modules): test/types/usage-*.{cts,mts} use createAdapter and its
// options, NativeAdapter, the parser and `native`, with @ts-expect-error
// lines that fail if a declaration degrades to `any`.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');

// typescript's export map hides bin/; find it from its package.json.
const tscPackage = require.resolve('typescript/package.json');
const tsc = path.join(path.dirname(tscPackage), require(tscPackage).bin.tsc);

/** Runs tsc --noEmit on one project of test/types and expects no error. */
function typecheck(project) {
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(__dirname, 'types', project)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120000,
  });
  assert.strictEqual(result.error, undefined);
  assert.strictEqual(result.status, 0, `tsc -p ${project} reported:\n${result.stdout}${result.stderr}`);
}

test('tsc --noEmit accepts the typed usage files (require and import, node16)', () => {
  typecheck('tsconfig.json');
});

test('tsc --noEmit accepts the import usage under moduleResolution bundler', () => {
  typecheck('tsconfig.bundler.json');
});
