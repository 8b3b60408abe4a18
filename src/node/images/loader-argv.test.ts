import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loaderArgv } from './loader-argv.js';

const TSX = 'file:///p/node_modules/tsx/dist/loader.mjs';
const resolve = (s: string, kind: 'import' | 'require'): string => (s === 'tsx' ? TSX : kind === 'import' ? `file:///p/node_modules/${s}/index.mjs` : `/p/node_modules/${s}/index.cjs`);

const cases: [string, string[], boolean, string[]][] = [
  ['compiled JavaScript needs no loader', ['--import', 'tsx'], false, []],
  ['`--import tsx` becomes an absolute URL', ['--import', 'tsx', '--test'], true, ['--import', TSX]],
  ['`--import=tsx` too', ['--import=tsx'], true, ['--import', TSX]],
  ['no loader at all gets tsx added', [], true, ['--import', TSX]],
  ['the tsx CLI flags (absolute already) are kept as they are', ['--require', '/p/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///p/node_modules/tsx/dist/loader.mjs'], true, ['--require', '/p/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///p/node_modules/tsx/dist/loader.mjs']],
  ['other loaders are kept, resolved, and tsx is still added', ['-r', 'foo', '--loader', './hooks.mjs'], true, ['-r', '/p/node_modules/foo/index.cjs', '--loader', '/cwd/hooks.mjs', '--import', TSX]],
  ['unrelated flags are dropped', ['--enable-source-maps', '--max-old-space-size=100', '--import', 'tsx'], true, ['--import', TSX]],
];

for (const [name, execArgv, typescript, want] of cases) {
  test(name, () => {
    assert.deepEqual(loaderArgv(execArgv, { typescript, cwd: '/cwd', resolve }), want);
  });
}
