/**
 * Runs the acceptance scenarios on the CI list (test/acceptance-ci.txt) against
 * a fresh cluster, through `scripts/acceptance.ts --ci`. Skipped, saying why,
 * when the shared scenarios are not checked out beside this repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const dir = [process.env.SKIFF_ACCEPTANCE_DIR, join(ROOT, '..', 'shared', 'acceptance')].find((d) => d && existsSync(join(d, 'run-all.sh')));

test('the acceptance scenarios on the CI list pass', { skip: dir ? false : 'acceptance scenarios not found (set SKIFF_ACCEPTANCE_DIR or check out ../shared)', timeout: 15 * 60_000 }, (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/acceptance.ts'), '--ci'], { cwd: ROOT, encoding: 'utf8', timeout: 14 * 60_000, env: { ...process.env, ...(dir ? { SKIFF_ACCEPTANCE_DIR: dir } : {}) } });
  const out = `${r.stdout}\n${r.stderr}`;
  for (const l of r.stdout.split('\n')) if (/^(PASS|FAIL|\d+ passed)/.test(l)) t.diagnostic(l);
  assert.equal(r.status, 0, `acceptance scenarios failed:\n${out.split('\n').filter((l) => /^(PASS|FAIL|\d+ passed)|error/i.test(l)).join('\n')}`);
});
