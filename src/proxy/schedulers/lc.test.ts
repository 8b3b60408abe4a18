import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeastConnectionScheduler } from './lc.js';
import { backends, sequence } from './testing.js';

describe('least connection (lc)', () => {
  const cases: Array<{ name: string; spec: Parameters<typeof backends>[0]; n: number; want: string }> = [
    { name: 'spreads new long-lived connections evenly', spec: { a: 1, b: 1, c: 1 }, n: 6, want: 'a b c a b c' },
    { name: 'picks the fewest active, ties to the earliest', spec: { a: { active: 2 }, b: { active: 0 }, c: { active: 1 } }, n: 4, want: 'b b c a' },
    { name: 'ignores weights (unlike wlc)', spec: { a: { weight: 1 }, b: { weight: 100 } }, n: 4, want: 'a b a b' },
    { name: 'skips weight 0 even when idle', spec: { a: { weight: 0 }, b: { active: 9 } }, n: 1, want: 'b' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new LeastConnectionScheduler(), backends(c.spec), c.n, { connect: true }), c.want));
  }
});
