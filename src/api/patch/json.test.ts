import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual } from './json.js';

test('jsonEqual agrees with comparing JSON serializations, key order aside', () => {
  const cases: Array<[unknown, unknown, boolean]> = [
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: null }, {}, false],
    [{ a: null }, { a: undefined }, false],
    [{ a: null }, { a: null }, true],
    [[1, undefined], [1, null], true],
    [undefined, null, true],
    [{ a: [1, { x: 'y' }] }, { a: [1, { x: 'y' }] }, true],
    [{ a: [1, { x: 'y' }] }, { a: [1, { x: 'z' }] }, false],
    [{ a: [] }, { a: {} }, false],
    [{ a: 1 }, { a: 1, c: 3 }, false],
    ['1', 1, false],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(jsonEqual(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(jsonEqual(b, a), want, `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
});
