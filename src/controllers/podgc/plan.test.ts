import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { planPodGC, podKey, OUT_OF_SERVICE_TAINT } from './plan.js';

const pod = (name: string, o: { node?: string; phase?: string; created?: string; deleting?: boolean; reason?: string } = {}): Pod => ({
  metadata: { name, namespace: 'ns', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
  spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
  status: { ...(o.phase ? { phase: o.phase } : {}), ...(o.reason ? { reason: o.reason } : {}) },
});
const node = (name: string, ready: boolean, taints: string[] = []): Node => ({
  metadata: { name },
  spec: { taints: taints.map((key) => ({ key, effect: 'NoExecute' })) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const base = { orphanSince: new Map<string, number>(), now: 100_000, terminatedPodThreshold: 0, quarantineMs: 40_000 };
const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata!.name!);

test('terminated pods beyond the threshold go, evicted and oldest first', () => {
  const pods = [
    pod('new-done', { node: 'n1', phase: 'Succeeded', created: '2026-01-03T00:00:00Z' }),
    pod('old-failed', { node: 'n1', phase: 'Failed', created: '2026-01-01T00:00:00Z' }),
    pod('mid-evicted', { node: 'n1', phase: 'Failed', created: '2026-01-02T00:00:00Z', reason: 'Evicted' }),
    pod('running', { node: 'n1', phase: 'Running', created: '2025-01-01T00:00:00Z' }),
  ];
  const nodes = new Map([['n1', node('n1', true)]]);
  const cases: Array<[number, string[]]> = [
    [0, []],
    [3, []],
    [2, ['mid-evicted']],
    [1, ['mid-evicted', 'old-failed']],
  ];
  for (const [threshold, want] of cases) {
    assert.deepEqual(names(planPodGC({ ...base, pods, nodes, terminatedPodThreshold: threshold }).terminated), want, `threshold ${threshold}`);
  }
});

test('orphans are quarantined first, then collected', () => {
  const pods = [pod('a', { node: 'gone' }), pod('b', { node: 'gone' }), pod('c', { node: 'here' })];
  const nodes = new Map([['here', node('here', true)]]);
  const first = planPodGC({ ...base, pods, nodes });
  assert.deepEqual(first.newOrphans, ['ns/a', 'ns/b']);
  assert.deepEqual(first.orphaned, []);
  const orphanSince = new Map([['ns/a', 50_000], ['ns/b', 90_000]]);
  const later = planPodGC({ ...base, pods, nodes, orphanSince });
  assert.deepEqual(names(later.orphaned), ['a'], 'a has waited 50 s, b only 10 s');
  assert.deepEqual(later.newOrphans, []);
});

test('terminating pods that were never scheduled, or sit on an out-of-service NotReady node, go', () => {
  const pods = [
    pod('unscheduled-deleting', { deleting: true }),
    pod('unscheduled-pending'),
    pod('oos', { node: 'down', deleting: true }),
    pod('oos-not-deleting', { node: 'down' }),
    pod('ready-node', { node: 'up', deleting: true }),
    pod('notready-no-taint', { node: 'flaky', deleting: true }),
  ];
  const nodes = new Map([
    ['down', node('down', false, [OUT_OF_SERVICE_TAINT])],
    ['up', node('up', true, [OUT_OF_SERVICE_TAINT])],
    ['flaky', node('flaky', false)],
  ]);
  const plan = planPodGC({ ...base, pods, nodes });
  assert.deepEqual(names(plan.unscheduledTerminating), ['unscheduled-deleting']);
  assert.deepEqual(names(plan.outOfServiceTerminating), ['oos']);
  assert.equal(podKey(pods[0]!), 'ns/unscheduled-deleting');
});
