import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atoi, cleanPath, formatGoDuration, goJSON, goLogTime, goQuote, goTimeString, parseGoDuration } from './go-compat.js';

const durations: [string, number][] = [
  ['0', 0],
  ['5s', 5e9],
  ['1.5h', 5400e9],
  ['1m30s', 90e9],
  ['300ms', 300e6],
  ['-2s', -2e9],
  ['+1us', 1e3],
  ['1µs', 1e3],
  ['10ns', 10],
  ['.5s', 5e8],
];
for (const [s, ns] of durations) {
  test(`parseGoDuration(${JSON.stringify(s)}) is ${ns} ns`, () => assert.equal(parseGoDuration(s), ns));
}

const badDurations: [string, string][] = [
  ['', 'time: invalid duration ""'],
  ['5', 'time: missing unit in duration "5"'],
  ['5x', 'time: unknown unit "x" in duration "5x"'],
  ['s', 'time: invalid duration "s"'],
  ['abc', 'time: invalid duration "abc"'],
];
for (const [s, msg] of badDurations) {
  test(`parseGoDuration(${JSON.stringify(s)}) fails like Go`, () => assert.throws(() => parseGoDuration(s), { message: msg }));
}

const formatted: [number, string][] = [
  [0, '0s'],
  [1, '1ns'],
  [1500, '1.5µs'],
  [1.5e6, '1.5ms'],
  [1e9, '1s'],
  [1.5e9, '1.5s'],
  [60e9, '1m0s'],
  [3600e9, '1h0m0s'],
  [3723.5e9, '1h2m3.5s'],
  [-2e9, '-2s'],
  [426852885, '426.852885ms'],
];
for (const [ns, s] of formatted) {
  test(`formatGoDuration(${ns}) is ${s}`, () => assert.equal(formatGoDuration(ns), s));
}

test('goTimeString prints UTC with nanoseconds and the monotonic reading', () => {
  assert.equal(goTimeString(1700000000123456789n, 1500000000n), '2023-11-14 22:13:20.123456789 +0000 UTC m=+1.500000000');
  assert.equal(goTimeString(1700000000000000000n, 42n), '2023-11-14 22:13:20 +0000 UTC m=+0.000000042');
  assert.equal(goTimeString(1700000000120000000n, 0n), '2023-11-14 22:13:20.12 +0000 UTC m=+0.000000000');
});

test('goLogTime is the log package prefix', () => {
  assert.equal(goLogTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '2024/01/02 03:04:05');
});

test('goJSON escapes HTML-significant characters like json.Marshal', () => {
  assert.equal(goJSON({ a: '<b>&</b>', c: '\u2028' }), '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e","c":"\\u2028"}');
});

test('goQuote uses Go escapes', () => {
  assert.equal(goQuote('a"b'), '"a\\"b"');
  assert.equal(goQuote('\x01'), '"\\x01"');
});

test('atoi accepts signed decimals only', () => {
  assert.equal(atoi('42'), 42);
  assert.equal(atoi('-7'), -7);
  assert.equal(atoi('+3'), 3);
  assert.throws(() => atoi('0x10'), { message: 'strconv.Atoi: parsing "0x10": invalid syntax' });
  assert.throws(() => atoi(' 1'), { message: 'strconv.Atoi: parsing " 1": invalid syntax' });
  assert.throws(() => atoi(''), { message: 'strconv.Atoi: parsing "": invalid syntax' });
});

const paths: [string, string][] = [
  ['', '.'],
  ['/', '/'],
  ['//echo', '/echo'],
  ['/a/./b/../c/', '/a/c'],
  ['/../x', '/x'],
  ['a/../../b', '../b'],
];
for (const [p, want] of paths) {
  test(`cleanPath(${JSON.stringify(p)}) is ${want}`, () => assert.equal(cleanPath(p), want));
}
