import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ShortestExpectedDelayScheduler } from './sed.js';
import { backends, sequence } from './testing.js';

describe('shortest expected delay (sed)', () => {
  const cases: Array<{ name: string; spec: Parameters<typeof backends>[0]; n: number; want: string }> = [
    // (active+1)/weight: b 1/3 < a 1/1; b 2/3 < 1; a 1 = b 3/3 (tie: earliest); …  b 5/4 < a 2/1 below.
    { name: 'minimises (active+1)/weight', spec: { a: 1, b: 3 }, n: 7, want: 'b b a b b b a' },
    { name: 'is least connection with equal weights', spec: { a: 1, b: 1 }, n: 4, want: 'a b a b' },
    { name: 'prefers the heavier backend even when it is busier', spec: { a: { weight: 1, active: 1 }, b: { weight: 4, active: 4 } }, n: 1, want: 'b' },
    { name: 'skips weight 0', spec: { a: 0, b: 1 }, n: 2, want: 'b b' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new ShortestExpectedDelayScheduler(), backends(c.spec), c.n, { connect: true }), c.want));
  }
});
