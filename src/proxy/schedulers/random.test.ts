import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomScheduler } from './random.js';
import { backends, sequence } from './testing.js';

function draws(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('random', () => {
  const cases: Array<{ name: string; draws: number[]; spec: Record<string, number>; want: string }> = [
    { name: 'is uniform over equal weights', draws: [0, 0.34, 0.67, 0.99], spec: { a: 1, b: 1, c: 1 }, want: 'a b c c' },
    { name: 'is proportional to weight', draws: [0.7, 0.74, 0.76, 0.99], spec: { a: 3, b: 1 }, want: 'a a b b' },
    { name: 'never picks weight 0', draws: [0, 0.5, 0.99], spec: { a: 0, b: 1 }, want: 'b b b' },
    { name: 'finds nothing when every weight is 0', draws: [0.5], spec: { a: 0 }, want: '-' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new RandomScheduler(draws(c.draws)), backends(c.spec), c.want.split(' ').length), c.want));
  }
});
