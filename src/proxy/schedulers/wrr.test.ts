import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WeightedRoundRobinScheduler } from './wrr.js';
import { backends, sequence } from './testing.js';

describe('weighted round robin (wrr)', () => {
  const cases: Array<{ name: string; spec: Record<string, number>; n: number; want: string }> = [
    { name: 'interleaves by descending current weight (4, 3, 2)', spec: { a: 4, b: 3, c: 2 }, n: 12, want: 'a a b a b c a b c a a b' },
    { name: 'gives weight 2 twice the turns of weight 1', spec: { a: 2, b: 1 }, n: 6, want: 'a a b a a b' },
    { name: 'steps the current weight by the gcd of the weights', spec: { a: 4, b: 2 }, n: 6, want: 'a a b a a b' },
    { name: 'is plain round robin with equal weights', spec: { a: 1, b: 1, c: 1 }, n: 4, want: 'a b c a' },
    { name: 'never picks weight 0', spec: { a: 0, b: 1 }, n: 3, want: 'b b b' },
    { name: 'finds nothing when every weight is 0', spec: { a: 0, b: 0 }, n: 1, want: '-' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new WeightedRoundRobinScheduler(), backends(c.spec), c.n), c.want));
  }

  test('keeps its position across an equal list and restarts on a changed one', () => {
    const s = new WeightedRoundRobinScheduler();
    assert.equal(sequence(s, backends({ a: 2, b: 1 }), 2), 'a a');
    assert.equal(sequence(s, backends({ a: 2, b: 1 }), 1), 'b');
    assert.equal(sequence(s, backends({ a: 1, b: 3 }), 4), 'b b a b');
  });
});
