import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffRemainingMs, crashLoopMessage, goDuration, nextBackoff, type BackoffEntry } from './backoff.js';

test('delays double from 10s to the 5m cap across quick successive exits', () => {
  let e: BackoffEntry | undefined;
  const delays: number[] = [];
  let t = 0;
  for (let i = 0; i < 8; i++) {
    e = nextBackoff(e, t);
    delays.push(e.delayMs);
    t += e.delayMs + 1_000; // the container ran for a second after each restart
  }
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
});

test('an exit more than 10 minutes after the previous one starts over', () => {
  const e = nextBackoff({ delayMs: 160_000, lastUpdate: 0 }, 600_001);
  assert.equal(e.delayMs, 10_000);
  assert.equal(nextBackoff({ delayMs: 160_000, lastUpdate: 0 }, 600_000).delayMs, 300_000);
});

const remaining: Array<[string, BackoffEntry | undefined, number, number, number]> = [
  ['no entry: restart at once (the first crash)', undefined, 0, 0, 0],
  ['inside the delay', { delayMs: 10_000, lastUpdate: 0 }, 5_000, 10_000, 5_000],
  ['exactly at the end', { delayMs: 10_000, lastUpdate: 0 }, 5_000, 15_000, 0],
  ['long after', { delayMs: 20_000, lastUpdate: 0 }, 5_000, 60_000, 0],
  ['stale entry', { delayMs: 300_000, lastUpdate: 0 }, 700_000, 700_001, 0],
];
for (const [name, entry, exitAt, now, want] of remaining) {
  test(`backoffRemainingMs: ${name}`, () => assert.equal(backoffRemainingMs(entry, exitAt, now), want));
}

const durations: Array<[number, string]> = [
  [0, '0s'],
  [250, '250ms'],
  [1_500, '1.5s'],
  [10_000, '10s'],
  [80_000, '1m20s'],
  [160_000, '2m40s'],
  [300_000, '5m0s'],
  [3_600_000, '1h0m0s'],
];
for (const [ms, want] of durations) test(`goDuration(${ms}) = ${want}`, () => assert.equal(goDuration(ms), want));

test('the CrashLoopBackOff message names the container and the pod like the kubelet', () => {
  assert.equal(crashLoopMessage(20_000, 'app', { metadata: { name: 'crash', namespace: 'default', uid: 'u1' } }), 'back-off 20s restarting failed container=app pod=crash_default(u1)');
});
