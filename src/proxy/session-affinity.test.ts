import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AffinityTable } from './session-affinity.js';

describe('AffinityTable', () => {
  const cases: Array<{ name: string; ops: Array<['record', string, string, number] | ['lookup', string, number, string | undefined] | ['forget', string]> }> = [
    { name: 'remembers a client until the timeout', ops: [['record', 'c1', 'a', 0], ['lookup', 'c1', 9_999, 'a'], ['lookup', 'c1', 10_000 + 9_999, undefined]] },
    { name: 'each use renews the entry', ops: [['record', 'c1', 'a', 0], ['record', 'c1', 'a', 8_000], ['lookup', 'c1', 17_000, 'a']] },
    { name: 'expires exactly at the timeout', ops: [['record', 'c1', 'a', 0], ['lookup', 'c1', 10_000, undefined]] },
    { name: 'clients are independent', ops: [['record', 'c1', 'a', 0], ['record', 'c2', 'b', 0], ['lookup', 'c2', 1, 'b'], ['lookup', 'c3', 1, undefined]] },
    { name: 'a new choice replaces the old', ops: [['record', 'c1', 'a', 0], ['record', 'c1', 'b', 1], ['lookup', 'c1', 2, 'b']] },
    { name: 'forget drops the client', ops: [['record', 'c1', 'a', 0], ['forget', 'c1'], ['lookup', 'c1', 1, undefined]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const t = new AffinityTable(10_000);
      for (const op of c.ops) {
        if (op[0] === 'record') t.record(op[1], op[2], op[3]);
        else if (op[0] === 'forget') t.forget(op[1]);
        else assert.equal(t.lookup(op[1], op[2]), op[3], `lookup ${op[1]} at ${op[2]}`);
      }
    });
  }

  test('sweep drops expired entries and entries of unlisted backends', () => {
    const t = new AffinityTable(1000);
    t.record('c1', 'a', 0);
    t.record('c2', 'b', 900);
    t.record('c3', 'gone', 900);
    t.sweep(1000, (k) => k !== 'gone');
    assert.equal(t.size, 1);
    assert.equal(t.lookup('c2', 1000), 'b');
  });
});
