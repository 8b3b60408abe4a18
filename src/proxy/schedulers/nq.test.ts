import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NeverQueueScheduler } from './nq.js';
import { backends, sequence } from './testing.js';

describe('never queue (nq)', () => {
  const cases: Array<{ name: string; spec: Parameters<typeof backends>[0]; n: number; want: string }> = [
    { name: 'gives each idle backend a connection first, then shortest expected delay', spec: { a: 1, b: 3 }, n: 7, want: 'a b b b b b a' },
    { name: 'prefers an idle light backend over a busy heavy one', spec: { a: { weight: 10, active: 3 }, b: { weight: 1, active: 0 } }, n: 1, want: 'b' },
    { name: 'picks the first idle backend in list order', spec: { a: { active: 1 }, b: { active: 0 }, c: { active: 0 } }, n: 1, want: 'b' },
    { name: 'never picks an idle weight-0 backend', spec: { a: { weight: 0 }, b: { active: 5 } }, n: 1, want: 'b' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(sequence(new NeverQueueScheduler(), backends(c.spec), c.n, { connect: true }), c.want));
  }
});
