import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { planEndpoints } from './plan.js';

const svc = (spec: Partial<NonNullable<Service['spec']>> = {}, labels?: Record<string, string>): Service => ({
  metadata: { name: 'web', namespace: 'ns', labels },
  spec: { selector: { app: 'web' }, clusterIP: '127.96.0.9', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
});
const pod = (name: string, ip: string): Pod => ({
  metadata: { name, namespace: 'ns', uid: `u-${name}`, labels: { app: 'web' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'c' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});
const T = '2026-01-01T00:00:00Z';

function written(a: ReturnType<typeof planEndpoints>): Endpoints {
  assert.ok(a.kind === 'create' || a.kind === 'update', `expected a write, got ${a.kind}`);
  return a.endpoints;
}

describe('planEndpoints', () => {
  test('a Service matching nothing gets an empty Endpoints with markers and trigger time', () => {
    const ep = written(planEndpoints({ service: svc({}, { team: 'a' }), pods: [], current: undefined, managed: false, triggerTime: T }));
    assert.deepEqual(ep, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'web',
        namespace: 'ns',
        labels: { team: 'a', 'endpointslice.kubernetes.io/skip-mirror': 'true' },
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': T },
      },
    });
  });

  test('headless Services get the headless label; unchanged Endpoints are not rewritten', () => {
    const first = written(planEndpoints({ service: svc({ clusterIP: 'None' }), pods: [pod('a', '10.0.0.1')], current: undefined, managed: false, triggerTime: T }));
    assert.equal(first.metadata?.labels?.['service.kubernetes.io/headless'], '');
    const stored = { ...first, metadata: { ...first.metadata, resourceVersion: '5', uid: 'e1' } };
    assert.deepEqual(planEndpoints({ service: svc({ clusterIP: 'None' }), pods: [pod('a', '10.0.0.1')], current: stored, managed: true }), { kind: 'none' });
    const changed = planEndpoints({ service: svc({ clusterIP: 'None' }), pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')], current: stored, managed: true });
    assert.equal(changed.kind, 'update');
    assert.equal(written(changed).metadata?.resourceVersion, '5', 'an update is a compare-and-swap on the cached version');
    assert.equal(written(changed).metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], undefined, 'no new trigger time clears it');
  });

  test('a hand-made Endpoints of a Service with a selector is taken over', () => {
    const user: Endpoints = { metadata: { name: 'web', namespace: 'ns', resourceVersion: '3' }, subsets: [{ addresses: [{ ip: '1.2.3.4' }] }] };
    const ep = written(planEndpoints({ service: svc(), pods: [], current: user, managed: false }));
    assert.equal(ep.subsets, undefined);
    assert.equal(ep.metadata?.labels?.['endpointslice.kubernetes.io/skip-mirror'], 'true');
  });

  const user: Endpoints = { metadata: { name: 'web', namespace: 'ns' }, subsets: [{ addresses: [{ ip: '1.2.3.4' }] }] };
  const cases: Array<[string, Service | undefined, boolean, string]> = [
    ['Service deleted, managed: delete', undefined, true, 'delete'],
    ['Service deleted, hand-made: keep', undefined, false, 'none'],
    ['selector removed, managed: delete', svc({ selector: undefined }), true, 'delete'],
    ['selector-less, hand-made: keep', svc({ selector: undefined }), false, 'none'],
    ['ExternalName, managed: delete', svc({ type: 'ExternalName', externalName: 'x.example' }), true, 'delete'],
  ];
  for (const [name, s, managed, want] of cases) {
    test(name, () => assert.equal(planEndpoints({ service: s, pods: [], current: user, managed }).kind, want));
  }

  test('over 1000 addresses: truncated and annotated; back under: annotation removed', () => {
    const pods = Array.from({ length: 1005 }, (_, i) => pod(`p${i}`, `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    const ep = written(planEndpoints({ service: svc(), pods, current: undefined, managed: false }));
    assert.equal(ep.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'], 'truncated');
    assert.equal(ep.subsets?.[0]?.addresses?.length, 1000);
    const stored = { ...ep, metadata: { ...ep.metadata, resourceVersion: '9' } };
    const again = planEndpoints({ service: svc(), pods, current: stored, managed: true });
    assert.equal(again.kind, 'none', 'a truncated, annotated Endpoints is stable');
    const fewer = written(planEndpoints({ service: svc(), pods: pods.slice(0, 10), current: stored, managed: true }));
    assert.equal(fewer.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'], undefined);
  });
});
