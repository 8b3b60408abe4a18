import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointAddress, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import { repackSubsets, subsetsEqual, truncateSubsets, unpackedSubsets } from './subsets.js';

const a = (ip: string, uid = `u-${ip}`): EndpointAddress => ({ ip, targetRef: { kind: 'Pod', namespace: 'ns', name: `p-${ip}`, uid } });
const http = { name: 'http', port: 8080, protocol: 'TCP' };
const https = { name: 'https', port: 8443, protocol: 'TCP' };

describe('repackSubsets', () => {
  const cases: Array<[string, EndpointSubset[], EndpointSubset[]]> = [
    ['empty', [], []],
    [
      'one address, two ports → one subset',
      [
        { addresses: [a('10.0.0.1')], ports: [http] },
        { addresses: [a('10.0.0.1')], ports: [https] },
      ],
      [{ addresses: [a('10.0.0.1')], ports: [http, https] }],
    ],
    [
      'addresses sharing ports are merged and sorted',
      [
        { addresses: [a('10.0.0.2')], ports: [http] },
        { addresses: [a('10.0.0.1')], ports: [http] },
      ],
      [{ addresses: [a('10.0.0.1'), a('10.0.0.2')], ports: [http] }],
    ],
    [
      'ready and not ready addresses of one port share a subset',
      [
        { addresses: [a('10.0.0.1')], ports: [http] },
        { notReadyAddresses: [a('10.0.0.2')], ports: [http] },
      ],
      [{ addresses: [a('10.0.0.1')], notReadyAddresses: [a('10.0.0.2')], ports: [http] }],
    ],
    [
      'not ready wins over ready for the same address and port',
      [
        { addresses: [a('10.0.0.1')], ports: [http] },
        { notReadyAddresses: [a('10.0.0.1')], ports: [http] },
      ],
      [{ notReadyAddresses: [a('10.0.0.1')], ports: [http] }],
    ],
    [
      'different port sets → different subsets',
      [
        { addresses: [a('10.0.0.1')], ports: [http] },
        { addresses: [a('10.0.0.2')], ports: [https] },
      ],
      [
        { addresses: [a('10.0.0.1')], ports: [http] },
        { addresses: [a('10.0.0.2')], ports: [https] },
      ],
    ],
    ['headless without ports keeps port-less subsets', [{ addresses: [a('10.0.0.1')], ports: [] }, { addresses: [a('10.0.0.2')] }], [{ addresses: [a('10.0.0.1'), a('10.0.0.2')] }]],
    [
      'same IP, different pods stay distinct',
      [{ addresses: [a('10.0.0.1', 'x'), a('10.0.0.1', 'y')], ports: [http] }],
      [{ addresses: [a('10.0.0.1', 'x'), a('10.0.0.1', 'y')], ports: [http] }],
    ],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      const got = repackSubsets(input);
      assert.ok(subsetsEqual(got, repackSubsets(want)), `got ${JSON.stringify(got)}`);
      assert.deepEqual(got, repackSubsets(want));
    });
  }
});

describe('unpackedSubsets', () => {
  const svc = (spec: Partial<NonNullable<Service['spec']>> = {}): Service => ({
    metadata: { name: 'web', namespace: 'ns' },
    spec: { selector: { app: 'web' }, clusterIP: '127.96.0.9', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }], ...spec },
  });
  const pod = (name: string, ip: string, ready: boolean, deleting = false): Pod => ({
    metadata: { name, namespace: 'ns', uid: `u-${name}`, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', ports: [{ name: 'web', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const addr = (name: string, ip: string): EndpointAddress => ({ ip, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `u-${name}` } });
  const cases: Array<[string, Service, Pod[], EndpointSubset[]]> = [
    ['ready pod', svc(), [pod('a', '10.0.0.1', true)], [{ addresses: [addr('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]],
    ['unready pod', svc(), [pod('a', '10.0.0.1', false)], [{ notReadyAddresses: [addr('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]],
    ['publishNotReadyAddresses', svc({ publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', false)], [{ addresses: [addr('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]],
    ['terminating pod left out', svc(), [pod('a', '10.0.0.1', true, true)], []],
    ['terminating pod kept with publishNotReadyAddresses', svc({ publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', true, true)], [{ addresses: [addr('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]],
    ['headless without ports', svc({ clusterIP: 'None', ports: [] }), [pod('a', '10.0.0.1', true)], [{ addresses: [addr('a', '10.0.0.1')], ports: [] }]],
    ['unnamed port has no name', svc({ ports: [{ port: 80, targetPort: 9376, protocol: 'TCP' }] }), [pod('a', '10.0.0.1', true)], [{ addresses: [addr('a', '10.0.0.1')], ports: [{ port: 9376, protocol: 'TCP' }] }]],
  ];
  for (const [name, s, pods, want] of cases) test(name, () => assert.deepEqual(unpackedSubsets(s, pods), want));
});

describe('truncateSubsets', () => {
  const many = (n: number, base: number): EndpointAddress[] => Array.from({ length: n }, (_, i) => a(`10.${base}.${Math.floor(i / 250)}.${(i % 250) + 1}`));
  const count = (ss: EndpointSubset[]): [number, number] => [ss.reduce((n, s) => n + (s.addresses?.length ?? 0), 0), ss.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0)];
  test('under capacity: unchanged', () => {
    const ss = [{ addresses: many(10, 1), ports: [http] }];
    assert.deepEqual(truncateSubsets(ss), { subsets: ss, truncated: false });
  });
  test('not-ready addresses are cut first', () => {
    const r = truncateSubsets([{ addresses: many(900, 1), notReadyAddresses: many(300, 2), ports: [http] }]);
    assert.equal(r.truncated, true);
    assert.deepEqual(count(r.subsets), [900, 100]);
  });
  test('over 1000 ready: ready cut in proportion, not-ready dropped', () => {
    const r = truncateSubsets([
      { addresses: many(1200, 1), ports: [http] },
      { addresses: many(300, 2), notReadyAddresses: many(5, 3), ports: [https] },
    ]);
    assert.deepEqual(count(r.subsets), [1000, 0]);
    assert.deepEqual(
      r.subsets.map((s) => s.addresses?.length),
      [800, 200],
    );
  });
});
