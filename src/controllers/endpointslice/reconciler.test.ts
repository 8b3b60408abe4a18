import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { addressTypesForService, endpointPorts, planEndpointSlices, podToEndpoint, sliceLabels, sliceToFill } from './reconciler.js';
import { ENDPOINTSLICE_CONTROLLER_NAME } from './labels.js';

const CTRL = ENDPOINTSLICE_CONTROLLER_NAME;

function svc(extra: Partial<NonNullable<Service['spec']>> = {}, labels?: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { selector: { app: 'web' }, clusterIP: '127.96.0.5', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...extra },
  };
}

interface PodOpts {
  ip?: string;
  ready?: boolean;
  deleting?: boolean;
  phase?: string;
  node?: string;
  ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) },
    spec: {
      nodeName: o.node ?? 'node-1',
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: 'c', image: 'x', ports: o.ports }],
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === '' ? {} : { podIP: o.ip ?? '127.128.0.1' }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

const noNode = (): Node | undefined => undefined;

/** Simulates the API server naming created slices and stores them. */
function materialise(plan: ReturnType<typeof planEndpointSlices>, existing: EndpointSlice[]): EndpointSlice[] {
  const byName = new Map(existing.map((s) => [s.metadata!.name!, s]));
  let i = 0;
  for (const s of plan.delete) byName.delete(s.metadata!.name!);
  for (const s of plan.update) byName.set(s.metadata!.name!, s);
  for (const s of plan.create) {
    const name = `${s.metadata!.generateName}gen${i++}`;
    byName.set(name, { ...s, metadata: { ...s.metadata, name, uid: `slice-${name}`, generateName: undefined } });
  }
  return [...byName.values()];
}

describe('endpoint conditions (podToEndpoint)', () => {
  const cases: Array<[string, PodOpts, Partial<NonNullable<Service['spec']>>, [boolean, boolean, boolean]]> = [
    ['ready pod', {}, {}, [true, true, false]],
    ['unready pod', { ready: false }, {}, [false, false, false]],
    ['unready pod, publishNotReadyAddresses', { ready: false }, { publishNotReadyAddresses: true }, [true, false, false]],
    ['terminating ready pod', { deleting: true }, {}, [false, true, true]],
    ['terminating unready pod', { deleting: true, ready: false }, {}, [false, false, true]],
    ['terminating pod, publishNotReadyAddresses', { deleting: true }, { publishNotReadyAddresses: true }, [true, true, true]],
  ];
  for (const [name, po, spec, [ready, serving, terminating]] of cases) {
    test(name, () => {
      const ep = podToEndpoint(pod('p', po), undefined, svc(spec), 'IPv4');
      assert.deepEqual(ep.conditions, { ready, serving, terminating });
    });
  }

  test('carries addresses, targetRef, nodeName, zone and hostname (subdomain == service)', () => {
    const node: Node = { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'z1' } } };
    const ep = podToEndpoint(pod('p', { hostname: 'h', subdomain: 'web' }), node, svc(), 'IPv4');
    assert.deepEqual(ep, {
      addresses: ['127.128.0.1'],
      conditions: { ready: true, serving: true, terminating: false },
      hostname: 'h',
      targetRef: { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'uid-p' },
      nodeName: 'node-1',
      zone: 'z1',
    });
    assert.equal(podToEndpoint(pod('p', { hostname: 'h', subdomain: 'other' }), node, svc(), 'IPv4').hostname, undefined);
  });

  test('addresses of the other family are dropped', () => {
    assert.deepEqual(podToEndpoint(pod('p'), undefined, svc(), 'IPv6').addresses, []);
  });
});

describe('named target ports (endpointPorts)', () => {
  const named = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] });
  const cases: Array<[string, PodOpts['ports'], Array<{ name: string; port: number; protocol: string }>]> = [
    ['resolved on the pod', [{ name: 'web', containerPort: 8080 }], [{ name: 'http', port: 8080, protocol: 'TCP' }]],
    ['other number on another pod', [{ name: 'web', containerPort: 9090 }], [{ name: 'http', port: 9090, protocol: 'TCP' }]],
    ['missing name: port left out', [{ name: 'other', containerPort: 8080 }], []],
    ['protocol must match', [{ name: 'web', containerPort: 8080, protocol: 'UDP' }], []],
  ];
  for (const [name, ports, want] of cases) {
    test(name, () => assert.deepEqual(endpointPorts(named, pod('p', { ports })), want));
  }
  test('headless Service without ports has no ports', () => {
    assert.deepEqual(endpointPorts(svc({ clusterIP: 'None', ports: [] }), pod('p')), []);
  });
});

describe('address types', () => {
  test('from ipFamilies, from the ClusterIP, both for headless without families', () => {
    assert.deepEqual(addressTypesForService(svc()), ['IPv4']);
    assert.deepEqual(addressTypesForService(svc({ ipFamilies: undefined, clusterIP: 'fd00::1' })), ['IPv6']);
    assert.deepEqual(addressTypesForService(svc({ ipFamilies: undefined, clusterIP: 'None' })), ['IPv4', 'IPv6']);
  });
});

describe('labels', () => {
  test('Service labels copied, reserved ones set, headless marked', () => {
    const { labels, changed } = sliceLabels(undefined, svc({ clusterIP: 'None' }, { team: 'a', 'kubernetes.io/service-name': 'evil' }), CTRL);
    assert.deepEqual(labels, { team: 'a', 'service.kubernetes.io/headless': '', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': CTRL });
    assert.equal(changed, true);
  });
});

describe('planEndpointSlices', () => {
  test('a new Service with no pods gets one empty placeholder slice', () => {
    const plan = planEndpointSlices({ service: svc(), pods: [], node: noNode, existing: [], controllerName: CTRL, triggerTime: '2026-01-01T00:00:00Z' });
    assert.equal(plan.create.length, 1);
    const s = plan.create[0]!;
    assert.deepEqual([s.ports, s.endpoints, s.addressType, s.metadata?.generateName], [[], [], 'IPv4', 'web-']);
    assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2026-01-01T00:00:00Z');
    // The placeholder is kept, not recreated, on the next sync.
    const again = planEndpointSlices({ service: svc(), pods: [], node: noNode, existing: materialise(plan, []), controllerName: CTRL });
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  });

  test('pods fill slices of at most maxEndpointsPerSlice; the placeholder is recycled', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, { ip: `127.128.0.${i + 1}` }));
    const empty = materialise(planEndpointSlices({ service: svc(), pods: [], node: noNode, existing: [], controllerName: CTRL }), []);
    const plan = planEndpointSlices({ service: svc(), pods, node: noNode, existing: empty, maxEndpointsPerSlice: 2, controllerName: CTRL });
    assert.deepEqual([plan.create.length, plan.update.length, plan.delete.length], [2, 1, 0]);
    assert.equal(plan.update[0]!.metadata?.name, empty[0]!.metadata?.name, 'the placeholder becomes a real slice');
    const sizes = [...plan.create, ...plan.update].map((s) => s.endpoints.length).sort();
    assert.deepEqual(sizes, [1, 2, 2]);
    for (const s of [...plan.create, ...plan.update]) assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  test('a readiness change updates the endpoint in place (minimal churn)', () => {
    const pods = [pod('a', { ip: '127.128.0.1' }), pod('b', { ip: '127.128.0.2' })];
    const s1 = materialise(planEndpointSlices({ service: svc(), pods, node: noNode, existing: [], controllerName: CTRL }), []);
    assert.equal(s1.length, 1);
    const pods2 = [pod('a', { ip: '127.128.0.1', ready: false }), pods[1]!];
    const plan = planEndpointSlices({ service: svc(), pods: pods2, node: noNode, existing: s1, controllerName: CTRL });
    assert.deepEqual([plan.create.length, plan.update.length, plan.delete.length], [0, 1, 0]);
    assert.equal(plan.update[0]!.metadata?.name, s1[0]!.metadata?.name);
    assert.deepEqual(
      plan.update[0]!.endpoints.map((e) => [e.addresses[0], e.conditions?.ready]),
      [
        ['127.128.0.1', false],
        ['127.128.0.2', true],
      ],
    );
    // Nothing changed: nothing written.
    const s2 = materialise(plan, s1);
    const none = planEndpointSlices({ service: svc(), pods: pods2, node: noNode, existing: s2, controllerName: CTRL });
    assert.deepEqual([none.create.length, none.update.length, none.delete.length], [0, 0, 0]);
  });

  test('pods resolving a named port to different numbers land in different slices', () => {
    const named = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] });
    const pods = [pod('a', { ip: '127.128.0.1', ports: [{ name: 'web', containerPort: 8080 }] }), pod('b', { ip: '127.128.0.2', ports: [{ name: 'web', containerPort: 9090 }] })];
    const plan = planEndpointSlices({ service: named, pods, node: noNode, existing: [], controllerName: CTRL });
    assert.equal(plan.create.length, 2);
    const got = plan.create.map((s) => [s.ports?.[0]?.port, s.endpoints.map((e) => e.addresses[0])]).sort();
    assert.deepEqual(got, [
      [8080, ['127.128.0.1']],
      [9090, ['127.128.0.2']],
    ]);
  });

  test('terminal pods and pods without IP are left out; terminating pods stay', () => {
    const pods = [pod('a', { phase: 'Succeeded' }), pod('b', { ip: '' }), pod('c', { ip: '127.128.0.3', deleting: true })];
    const plan = planEndpointSlices({ service: svc(), pods, node: noNode, existing: [], controllerName: CTRL });
    assert.equal(plan.create.length, 1);
    assert.deepEqual(
      plan.create[0]!.endpoints.map((e) => [e.addresses[0], e.conditions]),
      [['127.128.0.3', { ready: false, serving: true, terminating: true }]],
    );
  });

  test('removing every pod empties the slice back into the placeholder', () => {
    const s1 = materialise(planEndpointSlices({ service: svc(), pods: [pod('a')], node: noNode, existing: [], controllerName: CTRL }), []);
    const plan = planEndpointSlices({ service: svc(), pods: [], node: noNode, existing: s1, controllerName: CTRL });
    assert.deepEqual([plan.create.length, plan.update.length, plan.delete.length], [0, 1, 0]);
    assert.deepEqual([plan.update[0]!.endpoints, plan.update[0]!.ports], [[], []]);
  });

  test('slices owned by another Service UID are replaced; Service label changes update labels only', () => {
    const s1 = materialise(planEndpointSlices({ service: svc(), pods: [pod('a')], node: noNode, existing: [], controllerName: CTRL }), []);
    const relabelled = planEndpointSlices({ service: svc({}, { tier: 'x' }), pods: [pod('a')], node: noNode, existing: s1, controllerName: CTRL });
    assert.deepEqual([relabelled.create.length, relabelled.update.length], [0, 1]);
    assert.equal(relabelled.update[0]!.metadata?.labels?.tier, 'x');
    const recreated = { ...svc(), metadata: { ...svc().metadata, uid: 'new-uid' } };
    const plan = planEndpointSlices({ service: recreated, pods: [pod('a')], node: noNode, existing: s1, controllerName: CTRL });
    assert.deepEqual([plan.create.length, plan.delete.length], [1, 1]);
  });

  test('a Service being deleted gets no new slices', () => {
    const deleting = { ...svc(), metadata: { ...svc().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    assert.equal(planEndpointSlices({ service: deleting, pods: [pod('a')], node: noNode, existing: [], controllerName: CTRL }).create.length, 0);
  });

  test('150 pods make two slices (100 + 50); a new pod joins the slice with room', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, { ip: `127.128.${Math.floor(i / 200)}.${(i % 200) + 1}` }));
    const s1 = materialise(planEndpointSlices({ service: svc(), pods, node: noNode, existing: [], controllerName: CTRL }), []);
    assert.deepEqual(s1.map((s) => s.endpoints.length).sort(), [100, 50].sort());
    const plan = planEndpointSlices({ service: svc(), pods: [...pods, pod('zzz', { ip: '127.128.1.1' })], node: noNode, existing: s1, controllerName: CTRL });
    assert.deepEqual([plan.create.length, plan.update.length, plan.delete.length], [0, 1, 0]);
    assert.equal(plan.update[0]!.endpoints.length, 51);
  });
});

describe('sliceToFill', () => {
  const s = (n: number): EndpointSlice => ({ addressType: 'IPv4', endpoints: Array.from({ length: n }, () => ({ addresses: ['x'] })) });
  const cases: Array<[string, number[], number, number | undefined]> = [
    ['closest to full wins', [10, 95, 50], 5, 1],
    ['nothing fits', [99, 98], 5, undefined],
    ['exact fit', [20, 90], 10, 1],
  ];
  for (const [name, sizes, n, want] of cases) {
    test(name, () => {
      const slices = sizes.map(s);
      const got = sliceToFill(slices, n, 100);
      assert.equal(got === undefined ? undefined : slices.indexOf(got), want);
    });
  }
});
