import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../src/store/sqlite.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const writer = fileURLToPath(new URL('./fixtures/store-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'skiff-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it has written for `runMs` after opening the store, then SIGKILLs it; returns its acknowledged writes. */
async function writeThenKill(dbPath: string, runMs: number): Promise<Array<{ key: string; rev: number }>> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dbPath], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  try {
    const deadline = Date.now() + 20_000;
    while (!out.startsWith('ready\n')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`writer did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, runMs));
    child.kill('SIGKILL');
    const signal = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    assert.equal(signal, 'SIGKILL', `writer was killed, not ended otherwise: ${err}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  // Only complete lines count: a line cut short by the kill was never fully acknowledged to us.
  const lines = out.split('\n').slice(1, -1);
  return lines.map((line) => {
    const [key, rev] = line.split(' ');
    return { key: key as string, rev: Number(rev) };
  });
}

it('keeps every acknowledged write across kill -9 of the writing process (5 rounds)', { timeout: 120_000 }, async (t) => {
  const dbPath = join(dir, 'skiff.db');
  let lastRev = 0;
  let total = 0;
  for (let round = 0; round < 5; round++) {
    const acked = await writeThenKill(dbPath, 300);
    total += acked.length;
    t.diagnostic(`round ${round}: ${acked.length} acknowledged writes before SIGKILL`);
    const store = await SqliteStore.open(dbPath);
    try {
      const first = acked[0];
      if (first) assert.ok(first.rev > lastRev, `round ${round}: revisions continue after a restart (${first.rev} > ${lastRev})`);
      for (const { key, rev } of acked) {
        const kv = await store.get(key);
        assert.ok(kv, `round ${round}: acknowledged ${key}@${rev} is missing`);
        assert.ok(kv.modRevision >= rev, `round ${round}: ${key} is at ${kv.modRevision}, older than acknowledged ${rev}`);
        lastRev = Math.max(lastRev, rev);
      }
      assert.ok((await store.currentRevision()) >= lastRev);
      const all = await store.list('/registry/');
      for (const kv of all.items) {
        const parsed = JSON.parse(kv.value) as { key: string };
        assert.equal(parsed.key, kv.key, 'the value belongs to its key');
      }
      // History at an older revision is intact too.
      const compacted = await store.compactedRevision();
      if (lastRev - 1 > compacted) await store.list('/registry/', { revision: lastRev - 1 });
      lastRev = Math.max(lastRev, await store.currentRevision());
    } finally {
      await store.close();
    }
  }
  assert.ok(total >= 50, `the writer acknowledged ${total} writes over 5 rounds`);
});
