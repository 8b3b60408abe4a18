import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex } from './key-index.js';

const kv = (key: string, rev: number) => ({ key, value: '{}', createRevision: rev, modRevision: rev });

test('keys stay sorted and live through random inserts, deletes and re-inserts', () => {
  const idx = new KeyIndex();
  const live = new Set<string>();
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  for (let rev = 1; rev <= 3000; rev++) {
    const key = `/registry/core/pods/ns${rand(3)}/p${rand(400)}`;
    if (rand(4) === 0) {
      idx.delete(key);
      live.delete(key);
    } else {
      idx.set(kv(key, rev));
      live.add(key);
    }
    if (rev % 250 === 0) {
      const want = [...live].sort();
      assert.deepEqual(idx.keys('/registry/core/pods/'), want);
      assert.equal(idx.count('/registry/core/pods/ns1/'), want.filter((k) => k.startsWith('/registry/core/pods/ns1/')).length);
      assert.ok(want.length > 20, `only ${want.length} live keys`);
      const page = idx.page('/registry/core/pods/', want[10], 5, []);
      assert.deepEqual(page.items.map((i) => i.key), want.slice(11, 16));
      assert.equal(page.remaining, want.length - 16);
    }
  }
  assert.equal(idx.size, live.size);
});
