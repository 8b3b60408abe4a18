import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStoreContract } from './contract.js';
import { SqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `db${n++}`, 'skiff.db');

runStoreContract('sqlite', async (opts) => SqliteStore.open(freshPath(), opts));

describe('SqliteStore', () => {
  it('creates its file with mode 0600 and keeps everything across reopen', async () => {
    const path = freshPath();
    const s = await SqliteStore.open(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const r1 = await s.create('/registry/core/pods/default/a', '{"a":1}');
    const r2 = await s.update('/registry/core/pods/default/a', '{"a":2}', r1);
    await s.create('/registry/core/pods/default/b', '{}');
    const d = await s.delete('/registry/core/pods/default/b');
    await s.compact(r2);
    await s.close();

    const again = await SqliteStore.open(path);
    assert.equal(await again.currentRevision(), d.modRevision, 'the revision survives, even when its row was compacted away');
    assert.equal(await again.compactedRevision(), r2);
    assert.deepEqual(await again.get('/registry/core/pods/default/a'), { key: '/registry/core/pods/default/a', value: '{"a":2}', createRevision: r1, modRevision: r2 });
    const next = await again.create('/registry/core/pods/default/c', '{}');
    assert.equal(next, d.modRevision + 1);
    await assert.rejects(again.list('/registry/', { revision: r1 }), { reason: 'Expired', code: 410 });
    await again.close();
  });

  it('auto-compacts to the last retainRevisions', async () => {
    const s = await SqliteStore.open(freshPath(), { retainRevisions: 100 });
    let rev = await s.create('/registry/core/configmaps/default/c', '0');
    for (let i = 1; i < 1_000; i++) rev = await s.update('/registry/core/configmaps/default/c', String(i), rev);
    await new Promise((r) => setTimeout(r, 20));
    const compacted = await s.compactedRevision();
    assert.ok(compacted >= rev - 111 && compacted <= rev - 100, `compacted ${compacted} of ${rev}`);
    assert.equal((await s.list('/registry/', { revision: rev - 100 })).items[0]?.value, '899');
    await s.close();
  });
});

describe('SqliteStore locking', () => {
  it('refuses a second opener of the same file while the first has it open', async () => {
    const path = freshPath();
    const writer = await SqliteStore.open(path);
    await writer.create('/registry/core/pods/default/a', '{}');
    await assert.rejects(SqliteStore.open(path), /in use by another skiff process/);
    await writer.close();
    const first = await SqliteStore.open(path); // only reads: the lock must still be exclusive
    await assert.rejects(SqliteStore.open(path), /in use by another skiff process/);
    await first.close();
    const second = await SqliteStore.open(path);
    assert.equal((await second.get('/registry/core/pods/default/a'))?.value, '{}');
    await second.close();
  });
});

// The same contract again with every list at an older revision answered by scanning the log.
runStoreContract('sqlite (log scans)', async (opts) => SqliteStore.open(freshPath(), { ...opts, maxUndoRevisions: 0 }));
