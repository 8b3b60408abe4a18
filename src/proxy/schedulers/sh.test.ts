import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceHashScheduler } from './sh.js';
import { backends, sequence } from './testing.js';

describe('source hashing (sh)', () => {
  // hash_32(addr, 8): 127.0.0.1 → 154, 127.128.0.1 → 190, 127.128.0.2 → 32, 127.128.0.3 → 129.
  const cases: Array<{ name: string; source: string; spec: Record<string, number>; want: string }> = [
    { name: 'equal weights: bucket 154 holds backend 154 mod 3 = b', source: '127.0.0.1', spec: { a: 1, b: 1, c: 1 }, want: 'b b b' },
    { name: 'equal weights: bucket 32 holds c', source: '127.128.0.2', spec: { a: 1, b: 1, c: 1 }, want: 'c c c' },
    { name: 'equal weights: bucket 129 holds a', source: '127.128.0.3', spec: { a: 1, b: 1, c: 1 }, want: 'a a a' },
    { name: 'weights 2:1 fill buckets a a b …: 154 → a', source: '127.0.0.1', spec: { a: 2, b: 1 }, want: 'a a a' },
    { name: 'weights 2:1: 32 → b', source: '127.128.0.2', spec: { a: 2, b: 1 }, want: 'b b b' },
    { name: 'weights 2:1: 190 → a', source: '127.128.0.1', spec: { a: 2, b: 1 }, want: 'a a a' },
    { name: 'falls back along the table when the hashed backend is quiesced (sh-fallback)', source: '127.0.0.1', spec: { a: 1, b: 0, c: 1 }, want: 'c c c' },
    { name: 'finds nothing when every backend is quiesced', source: '127.0.0.1', spec: { a: 0, b: 0 }, want: '- - -' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new SourceHashScheduler(), backends(c.spec), 3, { source: c.source }), c.want));
  }

  test('keeps each client on its backend while the set is unchanged and spreads clients', () => {
    const s = new SourceHashScheduler();
    const list = backends({ a: 1, b: 1, c: 1 });
    const first = new Map<string, string | undefined>();
    for (let i = 1; i <= 60; i++) first.set(`127.128.1.${i}`, s.pick(list, `127.128.1.${i}`, '')?.key);
    for (const [src, key] of first) assert.equal(s.pick(backends({ a: 1, b: 1, c: 1 }), src, '')?.key, key, `client ${src}`);
    assert.equal(new Set(first.values()).size, 3);
  });
});
