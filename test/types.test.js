'use strict';

// The hand-written declarations compile in a strict TypeScript project, both
// through `require` (CommonJS, moduleResolution node16) and through `import`
// (ES modules): test/types/usage-*.{cts,mts} use createAdapter and its
// options, NativeAdapter, the parser and `native`, with @ts-expect-error
// lines that fail if a declaration degrades to `any` or createAdapter
// accepts options it does not have. test/types/usage-node10.ts does the same
// under moduleResolution node10 with TypeScript 5 (TypeScript 7 no longer has
// node10), which ignores "exports" and finds the parser through "typesVersions".

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');

// typescript's export map hides bin/; find it from its package.json.
function tscOf(name) {
  const tscPackage = require.resolve(`${name}/package.json`);
  return path.join(path.dirname(tscPackage), require(tscPackage).bin.tsc);
}

/** Runs tsc --noEmit on a project and expects no error. */
function typecheck(project, tsc = tscOf('typescript')) {
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.resolve(__dirname, 'types', project)], {
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

test('tsc 5 --noEmit accepts the require usage under moduleResolution node10', (t) => {
  // node10 cannot resolve a package's own name, so the usage file is compiled
  // in a directory where node_modules/socket.io-native is this package.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket.io-native-types-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'socket.io-native'), 'dir');
  fs.copyFileSync(path.join(__dirname, 'types', 'usage-node10.ts'), path.join(dir, 'usage-node10.ts'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'commonjs',
      moduleResolution: 'node10',
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      typeRoots: [path.join(root, 'node_modules', '@types')],
      types: ['node'],
    },
    files: ['usage-node10.ts'],
  }));
  typecheck(dir, tscOf('typescript-5'));
});
