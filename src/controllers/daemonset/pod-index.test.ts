import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { prng } from '../../../test/helpers/prng.js';
import { DaemonPodIndex } from './pod-index.js';
import { groupPodsByNode, type NodePods } from './plan.js';
import { hasController } from './pods.js';

/** A pod of `owner` (or none) on `node`: bound, or only targeted by the DaemonSet's node affinity. */
function pod(name: string, owner: string | undefined, node: string | undefined, o: { bound?: boolean; deleting?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: owner, uid: owner, controller: true }] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2026-11-22T10:00:00Z' } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'pause' }],
      ...(node && o.bound ? { nodeName: node } : {}),
      ...(node && !o.bound ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } } : {}),
    },
    ...(o.phase ? { status: { phase: o.phase as never } } : {}),
  };
}

/** Node → sorted pod names, for comparing groupings regardless of order. */
function normal(byNode: NodePods): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [node, pods] of [...byNode].sort(([a], [b]) => (a < b ? -1 : 1))) out[node] = pods.map((p) => p.metadata!.name!).sort();
  return out;
}

test('DaemonPodIndex follows adds, updates and deletes as groupPodsByNode over the cache would', () => {
  const rand = prng(90210);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const owners = ['ds-a', 'ds-b', undefined];
  const nodes = ['n1', 'n2', 'n3', undefined];
  const phases = [undefined, 'Pending', 'Running', 'Failed', 'Succeeded'];
  const cache = new Map<string, Pod>();
  const index = new DaemonPodIndex();
  for (let step = 0; step < 4000; step++) {
    const name = `p${Math.floor(rand() * 12)}`;
    const old = cache.get(name);
    if (old && rand() < 0.25) {
      cache.delete(name);
      index.remove(old);
    } else {
      const next = pod(name, pick(owners), pick(nodes), { bound: rand() < 0.5, deleting: rand() < 0.2, phase: pick(phases) });
      cache.set(name, next);
      index.upsert(old, next);
    }
    for (const uid of ['ds-a', 'ds-b']) {
      const mine = [...cache.values()].filter((p) => hasController(p)?.uid === uid);
      assert.deepEqual(normal(index.byNode(uid)), normal(groupPodsByNode(mine)), `byNode of ${uid} after step ${step}`);
      assert.deepEqual([...index.pods(uid)].map((p) => p.metadata!.name).sort(), mine.map((p) => p.metadata!.name).sort(), `pods of ${uid} after step ${step}`);
    }
  }
});

test('DaemonPodIndex: an unknown owner has no pods', () => {
  const index = new DaemonPodIndex();
  assert.equal(index.byNode('nobody').size, 0);
  assert.deepEqual([...index.pods('nobody')], []);
  // Removing what was never added changes nothing.
  index.remove(pod('x', 'ds-a', 'n1'));
  assert.equal(index.byNode('ds-a').size, 0);
});
