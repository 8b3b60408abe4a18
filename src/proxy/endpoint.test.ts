import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { endpointsFromSlices, parseWeights, sliceInfoFromSlice, sliceKeys } from './endpoint.js';

function slice(name: string, endpoints: EndpointSlice['endpoints'], extra: Partial<EndpointSlice> = {}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { namespace: 'ns', name, labels: { 'kubernetes.io/service-name': 'web' }, ...extra.metadata },
    endpoints,
    ports: extra.ports ?? [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

describe('EndpointSlice projection', () => {
  test('conditions default as upstream: ready unset is ready, serving follows ready, terminating false', () => {
    const info = sliceInfoFromSlice(slice('s', [{ addresses: ['127.128.0.2'] }, { addresses: ['127.128.0.1'], conditions: { ready: false }, nodeName: 'node-1' }]))!;
    assert.deepEqual(info.endpoints, [
      { ip: '127.128.0.1', ready: false, serving: false, terminating: false, nodeName: 'node-1', weight: 1 },
      { ip: '127.128.0.2', ready: true, serving: true, terminating: false, nodeName: '', weight: 1 },
    ]);
  });

  test('FQDN slices are not projected; endpoints without addresses and ports without numbers are dropped', () => {
    assert.equal(sliceInfoFromSlice({ ...slice('s', []), addressType: 'FQDN' }), undefined);
    const info = sliceInfoFromSlice(slice('s', [{ addresses: [] }], { ports: [{ name: 'x' }, { name: 'y', port: 1 }] }))!;
    assert.deepEqual(info, { ports: [{ name: 'y', port: 1, protocol: 'TCP' }], endpoints: [] });
  });

  test('sliceKeys needs the service-name label', () => {
    assert.deepEqual(sliceKeys(slice('s', [])), { service: 'ns/web', slice: 's' });
    assert.equal(sliceKeys({ ...slice('s', []), metadata: { namespace: 'ns', name: 's' } }), undefined);
  });

  const weights: Array<[string | undefined, number, Array<[string, number]>]> = [
    [undefined, 1, []],
    ['3', 3, []],
    ['127.128.0.5=2', 1, [['127.128.0.5', 2]]],
    ['2, 127.128.0.9=0', 2, [['127.128.0.9', 0]]],
    ['-1,x=y,1.5', 1, []],
  ];
  for (const [value, all, by] of weights) {
    test(`weight annotation ${JSON.stringify(value)}`, () => assert.deepEqual(parseWeights(value), { all, byAddress: new Map(by) }));
  }

  test('weights reach the endpoints', () => {
    const info = sliceInfoFromSlice(slice('s', [{ addresses: ['127.128.0.1'] }, { addresses: ['127.128.0.2'] }], { metadata: { annotations: { 'skiff.io/weight': '4,127.128.0.2=1' } } }))!;
    assert.deepEqual(info.endpoints.map((e) => e.weight), [4, 1]);
  });

  test('slices merge per service port, sorted, de-duplicated preferring a ready copy', () => {
    const a = sliceInfoFromSlice(slice('a', [{ addresses: ['127.128.0.2'], conditions: { ready: false } }, { addresses: ['127.128.0.3'] }]))!;
    const b = sliceInfoFromSlice(slice('b', [{ addresses: ['127.128.0.2'] }, { addresses: ['127.128.0.1'] }]))!;
    const m = endpointsFromSlices('ns', 'web', [a, b]);
    assert.deepEqual([...m.keys()], ['ns/web:http/TCP']);
    const eps = m.get('ns/web:http/TCP')!;
    assert.deepEqual(eps.map((e) => `${e.key}:${e.ready}`), ['127.128.0.1:8080:true', '127.128.0.2:8080:true', '127.128.0.3:8080:true']);
  });

  test('a multi-port slice yields one list per port', () => {
    const s = sliceInfoFromSlice(slice('s', [{ addresses: ['127.128.0.1'] }], { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }))!;
    const m = endpointsFromSlices('ns', 'web', [s]);
    assert.deepEqual([...m.entries()].map(([k, v]) => `${k}=${v.map((e) => e.key).join()}`).sort(), ['ns/web:dns/UDP=127.128.0.1:53', 'ns/web:http/TCP=127.128.0.1:80']);
  });
});
