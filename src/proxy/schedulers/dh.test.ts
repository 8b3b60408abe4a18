import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DestinationHashScheduler } from './dh.js';
import { backends, sequence } from './testing.js';

describe('destination hashing (dh)', () => {
  // hash_32(addr, 8): 127.96.0.10 → 101, 127.0.1.1 → 99, 127.0.1.2 → 197; bucket i holds backend i mod 3.
  const cases: Array<{ name: string; destination: string; spec: Record<string, number>; want: string }> = [
    { name: 'maps 127.96.0.10 to bucket 101 (backend c)', destination: '127.96.0.10', spec: { a: 1, b: 1, c: 1 }, want: 'c c c' },
    { name: 'maps 127.0.1.1 to bucket 99 (backend a)', destination: '127.0.1.1', spec: { a: 1, b: 1, c: 1 }, want: 'a a a' },
    { name: 'maps 127.0.1.2 to bucket 197 (backend c)', destination: '127.0.1.2', spec: { a: 1, b: 1, c: 1 }, want: 'c c c' },
    { name: 'ignores weights when filling the table', destination: '127.0.1.1', spec: { a: 5, b: 1, c: 1 }, want: 'a' },
    { name: 'fails (no fallback) when the hashed backend is quiesced', destination: '127.0.1.1', spec: { a: 0, b: 1, c: 1 }, want: '-' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new DestinationHashScheduler(), backends(c.spec), c.want.split(' ').length, { destination: c.destination }), c.want));
  }

  test('sends every client of one destination to the same backend', () => {
    const s = new DestinationHashScheduler();
    const list = backends({ a: 1, b: 1, c: 1 });
    const seen = new Set(['127.0.0.1', '127.128.0.9', '127.128.7.7'].map((src) => s.pick(list, src, '127.96.0.10')?.key));
    assert.deepEqual([...seen], ['c']);
  });
});
