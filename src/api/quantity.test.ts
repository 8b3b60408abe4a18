import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, QuantityError, resourceValue } from './quantity.js';

test('cpu quantities parse to millicores, rounding up', () => {
  const cases: Array<[string, number]> = [
    ['100m', 100],
    ['0.5', 500],
    ['2', 2000],
    ['0.1', 100],
    ['1.5', 1500],
    ['250m', 250],
    ['1u', 1],
    ['0.0001', 1],
    ['.25', 250],
    ['1e-3', 1],
    ['3k', 3_000_000],
  ];
  for (const [q, want] of cases) assert.equal(parseQuantity(q, 3), want, q);
});

test('memory quantities parse to bytes in binary, decimal and exponent forms', () => {
  const cases: Array<[string, number]> = [
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
    ['1E3', 1000],
    ['64Ki', 65536],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500M', 5e8],
    ['1000', 1000],
    ['12e6', 12e6],
    ['1Ti', 2 ** 40],
    ['100m', 1],
  ];
  for (const [q, want] of cases) assert.equal(parseQuantity(q), want, q);
});

test('malformed quantities throw a QuantityError', () => {
  for (const q of ['', 'abc', '1Mib', '--1', '1 Gi', 'Gi']) assert.throws(() => parseQuantity(q), QuantityError, q);
});

test('resourceValue counts cpu in millicores and everything else in units, invalid as 0', () => {
  assert.equal(resourceValue('cpu', '1'), 1000);
  assert.equal(resourceValue('memory', '1Ki'), 1024);
  assert.equal(resourceValue('pods', '110'), 110);
  assert.equal(resourceValue('cpu', 'bogus'), 0);
  assert.equal(resourceValue('cpu', undefined), 0);
});
