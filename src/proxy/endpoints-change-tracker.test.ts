import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { applyEndpointsChanges, EndpointsChangeTracker } from './endpoints-change-tracker.js';
import type { EndpointInfo } from './endpoint.js';

function slice(name: string, ips: string[], opts: { service?: string; rv?: string; ready?: boolean; trigger?: string } = {}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: {
      namespace: 'ns',
      name,
      resourceVersion: opts.rv ?? '1',
      labels: { 'kubernetes.io/service-name': opts.service ?? 'web' },
      ...(opts.trigger ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': opts.trigger } } : {}),
    },
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: opts.ready ?? true } })),
    ports: [{ name: '', port: 80, protocol: 'TCP' }],
  };
}

type Step = [EndpointSlice | undefined, EndpointSlice | undefined];
const ips = (m: ReadonlyMap<string, readonly EndpointInfo[]>): string[] => [...m.values()].flat().map((e) => e.ip);

describe('EndpointsChangeTracker', () => {
  const cases: Array<{ name: string; applied?: Step[]; steps: Step[]; pending: boolean; want: Record<string, { previous: string[]; current: string[] }> }> = [
    { name: 'a new slice adds endpoints', steps: [[undefined, slice('s1', ['127.128.0.1'])]], pending: true, want: { 'ns/web': { previous: [], current: ['127.128.0.1'] } } },
    { name: 'add then delete disappears', steps: [[undefined, slice('s1', ['127.128.0.1'])], [slice('s1', ['127.128.0.1']), undefined]], pending: false, want: {} },
    {
      name: 'a change that undoes itself disappears',
      applied: [[undefined, slice('s1', ['127.128.0.1'])]],
      steps: [[slice('s1', ['127.128.0.1']), slice('s1', ['127.128.0.2'], { rv: '2' })], [slice('s1', ['127.128.0.2'], { rv: '2' }), slice('s1', ['127.128.0.1'], { rv: '3' })]],
      pending: false,
      want: {},
    },
    {
      name: 'a resync with the same content is no change',
      applied: [[undefined, slice('s1', ['127.128.0.1'])]],
      steps: [[slice('s1', ['127.128.0.1']), slice('s1', ['127.128.0.1'], { rv: '9' })]],
      pending: false,
      want: {},
    },
    {
      name: 'an endpoint moving between two slices nets to no change',
      applied: [[undefined, slice('s1', ['127.128.0.1', '127.128.0.2'])], [undefined, slice('s2', [])]],
      steps: [[slice('s1', ['127.128.0.1', '127.128.0.2']), slice('s1', ['127.128.0.1'], { rv: '2' })], [slice('s2', []), slice('s2', ['127.128.0.2'], { rv: '2' })]],
      pending: true,
      want: {},
    },
    {
      name: 'a readiness flip is a change',
      applied: [[undefined, slice('s1', ['127.128.0.1'])]],
      steps: [[slice('s1', ['127.128.0.1']), slice('s1', ['127.128.0.1'], { rv: '2', ready: false })]],
      pending: true,
      want: { 'ns/web': { previous: ['127.128.0.1'], current: ['127.128.0.1'] } },
    },
    {
      name: 'a slice relabelled to another Service leaves the first and joins the second',
      applied: [[undefined, slice('s1', ['127.128.0.1'])]],
      steps: [[slice('s1', ['127.128.0.1']), slice('s1', ['127.128.0.1'], { rv: '2', service: 'api' })]],
      pending: true,
      want: { 'ns/web': { previous: ['127.128.0.1'], current: [] }, 'ns/api': { previous: [], current: ['127.128.0.1'] } },
    },
    { name: 'deleting an unknown slice is nothing', steps: [[slice('zz', ['127.128.0.1']), undefined]], pending: false, want: {} },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const t = new EndpointsChangeTracker(() => 0);
      for (const [p, n] of c.applied ?? []) t.update(p, n);
      t.checkout();
      let last = false;
      for (const [p, n] of c.steps) last = t.update(p, n);
      assert.equal(last, c.pending);
      const got: Record<string, { previous: string[]; current: string[] }> = {};
      for (const [k, ch] of t.checkout().changes) got[k] = { previous: ips(ch.previous), current: ips(ch.current) };
      assert.deepEqual(got, c.want);
      assert.equal(t.pending(), false);
    });
  }

  test('trigger times come from the upstream annotation, else the clock', () => {
    const t = new EndpointsChangeTracker(() => 5000);
    t.update(undefined, slice('s1', ['127.128.0.1'], { trigger: '2024-01-01T00:00:00Z' }));
    t.update(undefined, slice('s2', ['127.128.0.2']));
    assert.deepEqual(t.checkout().triggerTimes, [Date.parse('2024-01-01T00:00:00Z'), 5000]);
    assert.deepEqual(t.checkout().triggerTimes, []);
  });

  test('applyEndpointsChanges sets and removes port lists', () => {
    const t = new EndpointsChangeTracker(() => 0);
    const map = new Map<string, readonly EndpointInfo[]>();
    t.update(undefined, slice('s1', ['127.128.0.1']));
    applyEndpointsChanges(map, t.checkout().changes);
    assert.deepEqual(ips(map), ['127.128.0.1']);
    t.update(slice('s1', ['127.128.0.1']), undefined);
    applyEndpointsChanges(map, t.checkout().changes);
    assert.equal(map.size, 0);
  });
});
