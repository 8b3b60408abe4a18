import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { decideLease, nextLease } from './leader.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const lease = (holder: string | undefined, renewedAgoMs: number, duration = 15): Lease => ({
  metadata: { name: 'l', namespace: 'kube-system' },
  spec: { ...(holder !== undefined ? { holderIdentity: holder } : {}), leaseDurationSeconds: duration, renewTime: new Date(NOW - renewedAgoMs).toISOString(), leaseTransitions: 2 },
});

test('decideLease: renew ours, take free or expired ones, wait for live ones', () => {
  const cases: Array<[Lease | undefined, string]> = [
    [undefined, 'create'],
    [lease('me', 60_000), 'renew'],
    [lease('', 1_000), 'acquire'],
    [lease(undefined, 1_000), 'acquire'],
    [lease('other', 16_000), 'acquire'],
    [lease('other', 14_000), 'wait'],
    [lease('other', 2_000, 1), 'acquire'],
  ];
  for (const [l, want] of cases) assert.equal(decideLease(l, 'me', NOW), want, JSON.stringify(l?.spec));
});

test('nextLease counts holder changes and keeps acquireTime while renewing', () => {
  const cfg = { namespace: 'kube-system', name: 'l', identity: 'me', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };
  const taken = nextLease(lease('other', 20_000), 'acquire', cfg, NOW);
  assert.equal(taken.spec?.holderIdentity, 'me');
  assert.equal(taken.spec?.leaseTransitions, 3);
  assert.equal(taken.spec?.acquireTime, '2026-11-22T10:00:00.000000Z');
  const renewed = nextLease(taken, 'renew', cfg, NOW + 2000);
  assert.equal(renewed.spec?.acquireTime, taken.spec?.acquireTime);
  assert.equal(renewed.spec?.renewTime, '2026-11-22T10:00:02.000000Z');
  assert.equal(renewed.spec?.leaseTransitions, 3);
  assert.equal(nextLease(lease('', 0), 'acquire', cfg, NOW).spec?.leaseTransitions, 2, 'a released lease taken again is no transition');
});
