import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { applyServiceChanges, ServiceChangeTracker } from './service-change-tracker.js';
import type { ServicePortInfo } from './service-port.js';

function svc(name: string, port: number, rv = '1'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name, resourceVersion: rv }, spec: { clusterIP: '127.96.0.9', ports: [{ port }] } };
}

type Step = [Service | undefined, Service | undefined];

describe('ServiceChangeTracker', () => {
  const cases: Array<{ name: string; steps: Step[]; pending: boolean; want: Record<string, { previous: number[]; current: number[] }> }> = [
    { name: 'an add is a change from nothing', steps: [[undefined, svc('a', 80)]], pending: true, want: { 'ns/a': { previous: [], current: [80] } } },
    { name: 'add then delete disappears', steps: [[undefined, svc('a', 80)], [svc('a', 80), undefined]], pending: false, want: {} },
    { name: 'a change that undoes itself disappears', steps: [[svc('a', 80), svc('a', 81, '2')], [svc('a', 81, '2'), svc('a', 80, '3')]], pending: false, want: {} },
    { name: 'an update that does not change the projection is no change', steps: [[svc('a', 80), svc('a', 80, '2')]], pending: false, want: {} },
    {
      name: 'several updates keep the first previous and the last current',
      steps: [[svc('a', 80), svc('a', 81, '2')], [svc('a', 81, '2'), svc('a', 82, '3')]],
      pending: true,
      want: { 'ns/a': { previous: [80], current: [82] } },
    },
    {
      name: 'Services are tracked independently',
      steps: [[undefined, svc('a', 80)], [undefined, svc('b', 90)], [svc('b', 90), undefined]],
      pending: true,
      want: { 'ns/a': { previous: [], current: [80] } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const t = new ServiceChangeTracker();
      let last = false;
      for (const [p, n] of c.steps) last = t.update(p, n);
      assert.equal(last, c.pending);
      const got: Record<string, { previous: number[]; current: number[] }> = {};
      for (const [k, ch] of t.checkout()) got[k] = { previous: [...ch.previous.values()].map((i) => i.port), current: [...ch.current.values()].map((i) => i.port) };
      assert.deepEqual(got, c.want);
      assert.equal(t.pending(), false, 'checkout empties the tracker');
    });
  }

  test('applyServiceChanges replaces a Service’s ports in the map', () => {
    const map = new Map<string, ServicePortInfo>();
    const t = new ServiceChangeTracker();
    t.update(undefined, { ...svc('a', 80), spec: { clusterIP: '127.96.0.9', ports: [{ name: 'x', port: 80 }, { name: 'y', port: 81 }] } });
    applyServiceChanges(map, t.checkout());
    assert.deepEqual([...map.keys()], ['ns/a:x/TCP', 'ns/a:y/TCP']);
    t.update({ ...svc('a', 80), spec: { clusterIP: '127.96.0.9', ports: [{ name: 'x', port: 80 }, { name: 'y', port: 81 }] } }, { ...svc('a', 80), spec: { clusterIP: '127.96.0.9', ports: [{ name: 'y', port: 82 }] } });
    const changed = applyServiceChanges(map, t.checkout());
    assert.deepEqual([...changed], ['ns/a']);
    assert.deepEqual([...map.entries()].map(([k, v]) => `${k}=${v.port}`), ['ns/a:y/TCP=82']);
  });
});
