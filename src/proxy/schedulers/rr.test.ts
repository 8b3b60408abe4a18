import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRobinScheduler } from './rr.js';
import { backends, sequence } from './testing.js';

describe('round robin (rr)', () => {
  const cases: Array<{ name: string; spec: Record<string, number>; n: number; want: string }> = [
    { name: 'cycles through every backend in list order', spec: { a: 1, b: 1, c: 1 }, n: 7, want: 'a b c a b c a' },
    { name: 'ignores weights other than zero', spec: { a: 5, b: 1 }, n: 4, want: 'a b a b' },
    { name: 'skips quiesced (weight 0) backends', spec: { a: 1, b: 0, c: 1 }, n: 4, want: 'a c a c' },
    { name: 'finds nothing when every backend is quiesced', spec: { a: 0 }, n: 2, want: '- -' },
    { name: 'finds nothing in an empty list', spec: {}, n: 1, want: '-' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new RoundRobinScheduler(), backends(c.spec), c.n), c.want));
  }

  test('continues after the last choice when the list changes', () => {
    const s = new RoundRobinScheduler();
    const [a, b, c] = backends({ a: 1, b: 1, c: 1 });
    assert.equal(sequence(s, [a!, b!, c!], 2), 'a b');
    // b removed: the next after b was c.
    assert.equal(sequence(s, [a!, c!], 3), 'c a c');
    // d added after c: the cycle goes on from c.
    const [d] = backends({ d: 1 });
    assert.equal(sequence(s, [a!, c!, d!], 3), 'd a c');
  });
});
