import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { buildProxyState } from './proxy-state.js';

const svc = (name: string, o: Partial<NonNullable<Service['spec']>> = {}): Service => ({
  metadata: { name, namespace: 'ns' },
  spec: { clusterIP: '127.96.0.5', ports: [{ name: 'http', port: 80 }], ...o },
});
const slice = (name: string, service: string, ips: string[]): EndpointSlice => ({
  metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
});
const node = (name: string, ip: string): Node => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });

describe('buildProxyState', () => {
  test('projects Services, merges slices per service port and keeps served nodes sorted', () => {
    const state = buildProxyState(
      {
        services: [svc('web'), svc('headless', { clusterIP: 'None' })],
        slices: [slice('web-b', 'web', ['127.128.0.2']), slice('web-a', 'web', ['127.128.0.1', '127.128.0.2'])],
        nodes: [node('node-2', '127.0.1.2'), node('node-1', '127.0.1.1'), node('node-3', '127.0.1.3')],
      },
      { servesNode: (n) => n.metadata?.name !== 'node-3' },
    );
    assert.deepEqual([...state.servicePorts.keys()], ['ns/web:http/TCP']);
    assert.deepEqual(state.endpoints.get('ns/web:http/TCP')?.map((e) => e.key), ['127.128.0.1:8080', '127.128.0.2:8080']);
    assert.deepEqual(state.nodes.map((n) => n.name), ['node-1', 'node-2']);
    assert.deepEqual(state.hostAddresses, ['127.0.0.1']);
    assert.equal(state.defaultScheduler, 'rr');
  });
});
