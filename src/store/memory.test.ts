import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runStoreContract } from './contract.js';
import { MemoryStore } from './memory.js';

runStoreContract('memory', async (opts) => new MemoryStore(opts));

describe('MemoryStore', () => {
  it('auto-compacts so that only the last retainRevisions stay readable', async () => {
    const s = new MemoryStore({ retainRevisions: 100 });
    let rev = await s.create('/registry/core/configmaps/default/c', '0');
    for (let i = 1; i < 1_000; i++) rev = await s.update('/registry/core/configmaps/default/c', String(i), rev);
    const compacted = await s.compactedRevision();
    assert.ok(compacted >= rev - 111 && compacted <= rev - 100, `compacted ${compacted} of ${rev}`);
    const old = await s.list('/registry/', { revision: rev - 100 });
    assert.equal(old.items[0]?.value, '899');
    await assert.rejects(s.list('/registry/', { revision: compacted - 1 }), { reason: 'Expired' });
    await s.close();
  });

  it('ends open watches with onError on close, and refuses calls afterwards', async () => {
    const s = new MemoryStore();
    let error: Error | undefined;
    s.watch('/registry/', { afterRevision: 0, onEvents: () => undefined, onError: (err) => (error = err) });
    await s.close();
    assert.match(String(error?.message), /closed/);
    await assert.rejects(s.get('/registry/x'), { reason: 'ServiceUnavailable' });
  });
});
