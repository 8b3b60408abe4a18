import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { evictionDecision, matchingTolerations, minTolerationMs, taintAddedAt, type EvictionDecision } from './eviction.js';

const T0 = 1_000_000;
const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
const custom: Taint = { key: 'dedicated', value: 'acc', effect: 'NoExecute' };
const tol = (key: string | undefined, seconds?: number, extra: Partial<Toleration> = {}): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }), ...extra });
const DS_TOLERATIONS = [tol('node.kubernetes.io/not-ready'), tol('node.kubernetes.io/unreachable')];
const DEFAULT_TOLERATIONS = [tol('node.kubernetes.io/not-ready', 300), tol('node.kubernetes.io/unreachable', 300)];

test('eviction decisions per pod (upstream taint manager cases)', () => {
  const since = (): number => T0;
  const table: Array<[string, Toleration[] | undefined, Taint[], number, EvictionDecision]> = [
    ['no NoExecute taint', [], [], T0, { action: 'keep' }],
    ['untolerated taint: evict at once', undefined, [custom], T0, { action: 'evict' }],
    ['one of two taints untolerated', DEFAULT_TOLERATIONS, [unreachable, custom], T0, { action: 'evict' }],
    ['DaemonSet pod tolerates unreachable forever', DS_TOLERATIONS, [unreachable], T0 + 10_000_000, { action: 'keep' }],
    ['default 300 s toleration: wait', DEFAULT_TOLERATIONS, [unreachable], T0 + 1000, { action: 'wait', at: T0 + 300_000 }],
    ['default 300 s toleration: past the deadline', DEFAULT_TOLERATIONS, [unreachable], T0 + 300_000, { action: 'evict' }],
    ['tolerationSeconds 2', [tol('node.kubernetes.io/unreachable', 2)], [unreachable], T0, { action: 'wait', at: T0 + 2000 }],
    ['tolerationSeconds 0 evicts at once', [tol('node.kubernetes.io/unreachable', 0)], [unreachable], T0, { action: 'evict' }],
    ['the shortest used toleration wins', [tol('node.kubernetes.io/unreachable', 60), tol('node.kubernetes.io/not-ready', 10)], [unreachable, notReady], T0, { action: 'wait', at: T0 + 10_000 }],
    ['Exists with no key tolerates all', [{ operator: 'Exists' }], [unreachable, custom], T0, { action: 'keep' }],
    ['value must match for Equal', [{ key: 'dedicated', operator: 'Equal', value: 'other', effect: 'NoExecute' }], [custom], T0, { action: 'evict' }],
  ];
  for (const [name, tols, taints, now, want] of table) assert.deepEqual(evictionDecision(tols, taints, since, now), want, name);
});

test('the deadline counts from the earliest taint tolerated for a while, not from one tolerated forever', () => {
  const since = (t: Taint): number => (t.key === custom.key ? T0 - 1_000_000 : T0);
  const tols = [tol('dedicated'), tol('node.kubernetes.io/unreachable', 5)];
  assert.deepEqual(evictionDecision(tols, [custom, unreachable], since, T0), { action: 'wait', at: T0 + 5000 });
});

test('matching tolerations and the minimum toleration time', () => {
  assert.equal(matchingTolerations([custom], []), undefined);
  assert.deepEqual(matchingTolerations([], []), []);
  assert.equal(minTolerationMs([]), 0);
  assert.equal(minTolerationMs([tol('a')]), -1);
  assert.equal(minTolerationMs([tol('a'), tol('b', 7)]), 7000);
  assert.equal(minTolerationMs([tol('a', -1), tol('b', 7)]), 0);
});

test('a taint counts from when it was seen added, or, found in place, from its timeAdded (to the end of its second)', () => {
  const now = Date.parse('2025-01-01T00:01:00Z');
  const sec0 = Date.parse('2025-01-01T00:00:00Z');
  const table: Array<[string, string | undefined, number, boolean, number]> = [
    // name, timeAdded, firstSeen, sawAdded, want
    ['seen being added: when seen, whatever timeAdded says', '2025-01-01T00:00:00Z', sec0 + 1100, true, sec0 + 1100],
    ['seen being added, no timeAdded: when seen', undefined, 5, true, 5],
    ['found in place (a restarted controller): end of the timeAdded second', '2025-01-01T00:00:00Z', now, false, sec0 + 999],
    ['found in place within the timeAdded second: when seen', '2025-01-01T00:00:00Z', sec0 + 300, false, sec0 + 300],
    ['fractional timeAdded is exact', '2025-01-01T00:00:00.250Z', now, false, sec0 + 250],
    ['fractional timeAdded after firstSeen (clock skew): when seen', '2025-01-01T00:00:00.250Z', sec0 + 100, false, sec0 + 100],
    ['missing timeAdded: when seen', undefined, 5, false, 5],
    ['invalid timeAdded: when seen', 'garbage', 5, false, 5],
    ['timeAdded in the future: when seen', '2026-01-01T00:00:00Z', 5, false, 5],
  ];
  for (const [name, timeAdded, firstSeen, sawAdded, want] of table) {
    assert.equal(taintAddedAt({ ...unreachable, ...(timeAdded === undefined ? {} : { timeAdded }) }, firstSeen, sawAdded, now), want, name);
  }
});

test('tolerationSeconds never run out early because timeAdded lost its milliseconds or was stamped before the write', () => {
  // Stamped 00:00:00.800 (written as 00:00:00Z), stored and seen by the controller at 00:00:01.050.
  const seen = Date.parse('2025-01-01T00:00:01.050Z');
  const taint: Taint = { ...unreachable, timeAdded: '2025-01-01T00:00:00Z' };
  const tols = [tol('node.kubernetes.io/unreachable', 3)];
  for (const sawAdded of [true, false]) {
    const since = (t: Taint): number => taintAddedAt(t, seen, sawAdded, seen);
    const want: EvictionDecision = { action: 'wait', at: sawAdded ? seen + 3000 : Date.parse('2025-01-01T00:00:00.999Z') + 3000 };
    assert.deepEqual(evictionDecision(tols, [taint], since, seen + 1500), want, `sawAdded ${sawAdded}`);
  }
});
