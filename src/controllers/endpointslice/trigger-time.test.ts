import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { formatTriggerTime, TriggerTimeTracker } from './trigger-time.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' } };
const pod = (name: string, readyAt: string): Pod => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }] } });

describe('TriggerTimeTracker', () => {
  test('first sync: Service creation; then the earliest newer pod transition; else nothing', () => {
    const t = new TriggerTimeTracker();
    const p1 = pod('a', '2026-01-01T00:00:05Z');
    assert.equal(t.compute(svc, [p1]), Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(t.compute(svc, [p1]), undefined);
    const p2 = pod('b', '2026-01-01T00:00:09Z');
    const p1b = pod('a', '2026-01-01T00:00:07Z');
    assert.equal(t.compute(svc, [p1b, p2]), Date.parse('2026-01-01T00:00:07Z'));
    t.delete('ns', 'web');
    assert.equal(t.compute(svc, [p1b, p2]), Date.parse('2026-01-01T00:00:00Z'));
  });
});

describe('formatTriggerTime', () => {
  const cases: Array<[string, string]> = [
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z'],
    ['2026-01-01T00:00:00.120Z', '2026-01-01T00:00:00.12Z'],
    ['2026-01-01T00:00:00.123Z', '2026-01-01T00:00:00.123Z'],
  ];
  for (const [iso, want] of cases) test(iso, () => assert.equal(formatTriggerTime(Date.parse(iso)), want));
});
