import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failedRow, formatValue, makeRow, orientedRatio } from './row.js';

describe('orientedRatio', () => {
  const cases: Array<[string, number, number | undefined, 'higher' | 'lower' | undefined, number | undefined]> = [
    ['throughput: skiff/peer', 200, 100, 'higher', 2],
    ['latency: peer/skiff, so half the time is 2x', 2, 4, 'lower', 2],
    ['no peer, no ratio', 2, undefined, 'lower', undefined],
    ['no direction, no ratio', 2, 4, undefined, undefined],
    ['a zero denominator gives no ratio', 0, 4, 'lower', undefined],
    ['a NaN skiff value gives no ratio', NaN, 4, 'higher', undefined],
  ];
  for (const [name, skiff, peer, better, want] of cases) test(name, () => assert.equal(orientedRatio(skiff, peer, better), want));
});

describe('makeRow', () => {
  test('a ratio goal is judged on the oriented ratio and names the peer', () => {
    const r = makeRow({ group: 'dns', measure: 'queries/s', skiff: 90, unit: '/s', peer: 100, peerName: 'dnsmasq', better: 'higher', minRatio: 1 });
    assert.deepEqual(r, { group: 'dns', measure: 'queries/s', skiff: 90, unit: '/s', peer: 100, peerName: 'dnsmasq', ratio: 0.9, goal: '>= 1.0x dnsmasq', met: false });
  });
  test('a max goal is met at the limit and its text carries the unit', () => {
    const r = makeRow({ group: 'g', measure: 'p99', skiff: 50, unit: 'ms', max: 50 });
    assert.equal(r.goal, '<= 50.0 ms');
    assert.equal(r.met, true);
  });
  test('a min goal fails for NaN', () => assert.equal(makeRow({ group: 'g', measure: 'm', skiff: NaN, unit: '/s', min: 1 }).met, false));
  test('judge: false shows the goal text but leaves met out', () => {
    const r = makeRow({ group: 'g', measure: 'LIST', skiff: 500, unit: 'ms', max: 100, judge: false, goal: '<= 100 ms at 10,000 pods' });
    assert.equal(r.goal, '<= 100 ms at 10,000 pods');
    assert.equal('met' in r, false);
  });
  test('no goal, no met; several goals must all hold', () => {
    assert.equal('met' in makeRow({ group: 'g', measure: 'm', skiff: 1, unit: 'ms' }), false);
    assert.equal(makeRow({ group: 'g', measure: 'm', skiff: 5, unit: 'ms', min: 1, max: 4 }).met, false);
  });
  test('failedRow carries the reason and no value', () => {
    const r = failedRow('proxy', 'data path', 'peer unavailable: haproxy');
    assert.ok(Number.isNaN(r.skiff));
    assert.equal(r.note, 'peer unavailable: haproxy');
  });
});

describe('formatValue', () => {
  const cases: Array<[number, string, string]> = [
    [0.4321, 'ms', '0.432 ms'],
    [4.321, 'ms', '4.32 ms'],
    [43.21, 'MB', '43.2 MB'],
    [12345.6, '/s', '12,346/s'],
    [0, '%', '0 %'],
    [NaN, 'ms', 'n/a'],
    [3, '', '3.00'],
  ];
  for (const [v, unit, want] of cases) test(`${v} ${unit || '(no unit)'} reads ${want}`, () => assert.equal(formatValue(v, unit), want));
});
