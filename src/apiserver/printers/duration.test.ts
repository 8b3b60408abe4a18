import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const cases: Array<[string, number, string]> = [
  ['a timestamp more than a second in the future is invalid', -2 * S, '<invalid>'],
  ['a timestamp up to a second in the future counts as now', -1500, '0s'],
  ['zero is zero seconds', 0, '0s'],
  ['seconds are truncated, not rounded', 5.9 * S, '5s'],
  ['under two minutes prints seconds', 119 * S, '119s'],
  ['two minutes exactly prints minutes only', 2 * M, '2m'],
  ['under ten minutes prints minutes and seconds', 3 * M + 20 * S, '3m20s'],
  ['ten minutes drops the seconds', 10 * M + 59 * S, '10m'],
  ['under three hours still counts minutes', 179 * M, '179m'],
  ['three hours prints hours only', 3 * H, '3h'],
  ['under eight hours prints hours and minutes', 5 * H + 30 * M, '5h30m'],
  ['under two days prints hours', 47 * H, '47h'],
  ['two days prints days only', 2 * D, '2d'],
  ['under eight days prints days and hours', 2 * D + 3 * H, '2d3h'],
  ['under two years prints days', 400 * D, '400d'],
  ['under eight years prints years and days', 3 * 365 * D + 10 * D, '3y10d'],
  ['a whole number of years prints years only', 4 * 365 * D, '4y'],
  ['eight years and more prints years', 9 * 365 * D + 100 * D, '9y'],
];

for (const [name, ms, want] of cases) {
  test(`humanDuration: ${name}`, () => {
    assert.equal(humanDuration(ms), want);
  });
}
