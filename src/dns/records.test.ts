import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer.js';
import { FakeTransport, jsonResponse, untilAborted, waitFor, type Emit } from '../client/testing.js';
import { DnsRecords, toServiceRecord, toSliceRecord, toPodRecord } from './records.js';
import { answerZone, DEFAULT_ZONE_CONFIG } from './zone.js';
import { rr } from './testing.js';

function service(name: string, spec: Service['spec'], ns = 'default', rv = '1'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, resourceVersion: rv, uid: `uid-${name}` }, spec };
}
function slice(name: string, svc: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }], rv = '1'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', resourceVersion: rv, uid: `uid-${name}`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}
const ns = (name: string): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: '1', uid: `uid-ns-${name}` } });

describe('record conversion', () => {
  test('a Service keeps only what answers need', () => {
    const cases: Array<[Service['spec'], Partial<ReturnType<typeof toServiceRecord>>]> = [
      [{ clusterIP: '127.96.0.12', clusterIPs: ['127.96.0.12'], ports: [{ name: 'HTTP', port: 80 }] }, { headless: false, clusterIPs: ['127.96.0.12'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
      [{ clusterIP: 'None', ports: [] }, { headless: true, clusterIPs: [] }],
      [{ type: 'ExternalName', externalName: 'www.example.com.' }, { externalName: 'www.example.com', clusterIPs: [] }],
      [{ clusterIP: '127.96.0.13', clusterIPs: ['127.96.0.13', 'FD00::D'], ports: [] }, { clusterIPs: ['127.96.0.13', 'fd00::d'] }],
      [{ clusterIP: 'None', publishNotReadyAddresses: true }, { publishNotReady: true }],
    ];
    for (const [spec, want] of cases) {
      const rec = toServiceRecord(service('Web', spec));
      assert.equal(rec.name, 'web');
      for (const [k, v] of Object.entries(want)) assert.deepEqual(rec[k as keyof typeof rec], v, `${JSON.stringify(spec)}: ${k}`);
    }
    const legacy = service('x', { clusterIP: 'None' });
    legacy.metadata!.annotations = { 'service.alpha.kubernetes.io/tolerate-unready-endpoints': 'true' };
    assert.equal(toServiceRecord(legacy).publishNotReady, true);
  });

  test('an EndpointSlice keeps addresses, hostnames, readiness and ports', () => {
    const rec = toSliceRecord(
      slice('web-1', 'Web', [
        { addresses: ['127.128.0.5'], conditions: { ready: true } },
        { addresses: ['127.128.0.6'], hostname: 'pet-0', conditions: { ready: false } },
        { addresses: ['127.128.0.7'] },
        { addresses: ['not-an-ip.example.com'] },
      ]),
    );
    assert.equal(rec.service, 'web');
    assert.deepEqual(rec.endpoints, [
      { ip: '127.128.0.5', hostname: '127-128-0-5', ready: true },
      { ip: '127.128.0.6', hostname: 'pet-0', ready: false },
      { ip: '127.128.0.7', hostname: '127-128-0-7', ready: true },
    ]);
    assert.deepEqual(rec.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  test('a Pod keeps its IPs', () => {
    const pod: Pod = { metadata: { name: 'p', namespace: 'default' }, status: { podIP: '127.128.0.9', podIPs: [{ ip: '127.128.0.9' }, { ip: 'fd00::9' }] } };
    assert.deepEqual(toPodRecord(pod).ips, ['127.128.0.9', 'fd00::9']);
    assert.deepEqual(toPodRecord({ metadata: { name: 'q', namespace: 'default' } }).ips, []);
  });
});

describe('DnsRecords', () => {
  test('indexes follow adds, updates and deletes', () => {
    let now = 1_000_000;
    const r = new DnsRecords(() => now);
    r.setNamespace(ns('default'));
    r.setService(service('web', { clusterIP: '127.96.0.12', clusterIPs: ['127.96.0.12'], ports: [{ name: 'http', port: 80 }] }));
    assert.equal(r.service('default', 'web')?.clusterIPs[0], '127.96.0.12');
    assert.deepEqual(r.servicesByIP('127.96.0.12').map((s) => s.name), ['web']);

    now += 5000;
    r.setService(service('web', { clusterIP: '127.96.0.13', clusterIPs: ['127.96.0.13'], ports: [] }, 'default', '2'));
    assert.deepEqual(r.servicesByIP('127.96.0.12'), []);
    assert.deepEqual(r.servicesByIP('127.96.0.13').map((s) => s.name), ['web']);
    assert.equal(r.serial(), 1005);

    r.setEndpointSlice(slice('web-a', 'web', [{ addresses: ['127.128.0.5'] }]));
    r.setEndpointSlice(slice('web-b', 'web', [{ addresses: ['127.128.0.6'] }]));
    assert.deepEqual(r.endpointSlices('default', 'web').map((s) => s.name).sort(), ['web-a', 'web-b']);
    r.setEndpointSlice(slice('web-a', 'web', [{ addresses: ['127.128.0.7'] }], undefined, '2'));
    assert.deepEqual(r.slicesByIP('127.128.0.5'), []);
    assert.deepEqual(r.slicesByIP('127.128.0.7').map((s) => s.name), ['web-a']);
    // A slice relabelled to another Service moves with it.
    r.setEndpointSlice(slice('web-b', 'api', [{ addresses: ['127.128.0.6'] }], undefined, '3'));
    assert.deepEqual(r.endpointSlices('default', 'web').map((s) => s.name), ['web-a']);
    assert.deepEqual(r.endpointSlices('default', 'api').map((s) => s.name), ['web-b']);

    r.deleteEndpointSlice(slice('web-a', 'web', []));
    assert.deepEqual(r.endpointSlices('default', 'web'), []);
    assert.deepEqual(r.slicesByIP('127.128.0.7'), []);
    r.deleteService(service('web', {}));
    assert.equal(r.service('default', 'web'), undefined);
    assert.deepEqual(r.servicesByIP('127.96.0.13'), []);

    r.setPod({ metadata: { name: 'p', namespace: 'default' }, status: { podIP: '127.128.0.9' } });
    assert.deepEqual(r.podsByIP('127.128.0.9').map((p) => p.name), ['p']);
    r.setPod({ metadata: { name: 'p', namespace: 'default' }, status: { podIP: '127.128.0.10' } });
    assert.deepEqual(r.podsByIP('127.128.0.9'), []);
    r.deletePod({ metadata: { name: 'p', namespace: 'default' } });
    assert.deepEqual(r.podsByIP('127.128.0.10'), []);

    r.deleteNamespace(ns('default'));
    assert.equal(r.namespaceExists('default'), false);
    assert.deepEqual(r.counts(), { services: 0, endpointSlices: 1, pods: 0, namespaces: 0 });
  });

  test('watch() keeps answers current from informer events', async () => {
    const t = new FakeTransport();
    const lists: Record<string, unknown[]> = {
      '/api/v1/services': [service('web', { clusterIP: '127.96.0.12', clusterIPs: ['127.96.0.12'], ports: [{ name: 'http', port: 80 }] })],
      '/apis/discovery.k8s.io/v1/endpointslices': [],
      '/api/v1/namespaces': [ns('default')],
    };
    t.onRequest = (req) => jsonResponse(200, { kind: 'List', metadata: { resourceVersion: '10' }, items: lists[req.path] ?? [] });
    const emitters: Record<string, Emit> = {};
    t.onStream = (req, emit, signal) => {
      emitters[req.path] = emit;
      return untilAborted(signal);
    };
    const factory = new SharedInformerFactory(new Client(t));
    const records = new DnsRecords();
    records.watch(factory);
    const ac = new AbortController();
    const running = factory.start(ac.signal);
    try {
      await waitFor(() => records.hasSynced() && Object.keys(emitters).length === 3, 2000, 'informers synced and watching');
      const ask = (name: string, type = 'A') => answerZone({ name, type }, records, DEFAULT_ZONE_CONFIG)?.reply;
      assert.deepEqual(ask('web.default.svc.cluster.local')?.answers.map((a) => rr(a).data), ['127.96.0.12']);

      emitters['/api/v1/services']!({ type: 'ADDED', object: service('hl', { clusterIP: 'None', ports: [{ name: 'http', port: 8080 }] }, 'default', '11') });
      emitters['/apis/discovery.k8s.io/v1/endpointslices']!({ type: 'ADDED', object: slice('hl-x', 'hl', [{ addresses: ['127.128.0.5'], conditions: { ready: true } }], undefined, '12') });
      await waitFor(() => (ask('hl.default.svc.cluster.local')?.answers.length ?? 0) === 1, 2000, 'headless record');

      emitters['/apis/discovery.k8s.io/v1/endpointslices']!({
        type: 'MODIFIED',
        object: slice('hl-x', 'hl', [{ addresses: ['127.128.0.5'], conditions: { ready: false } }, { addresses: ['127.128.0.6'], conditions: { ready: true } }], undefined, '13'),
      });
      await waitFor(() => rr(ask('hl.default.svc.cluster.local')?.answers[0]).data === '127.128.0.6', 2000, 'readiness change');

      emitters['/api/v1/services']!({ type: 'DELETED', object: service('web', {}, 'default', '14') });
      await waitFor(() => ask('web.default.svc.cluster.local')?.rcode === 'NXDOMAIN', 2000, 'deleted service is NXDOMAIN');
    } finally {
      ac.abort();
      await running;
    }
  });
});

describe('DnsRecords.generation', () => {
  test('moves on every change to the projection, so cached answers are dropped', () => {
    const r = new DnsRecords();
    const seen = [r.generation()];
    r.setNamespace({ metadata: { name: 'default' } });
    seen.push(r.generation());
    r.setService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '127.96.0.12', ports: [{ port: 80 }] } });
    seen.push(r.generation());
    r.deleteService({ metadata: { name: 'web', namespace: 'default' } });
    seen.push(r.generation());
    assert.equal(new Set(seen).size, seen.length, `generations ${seen.join(', ')} repeat`);
    assert.ok(seen.every((g, i) => i === 0 || g > seen[i - 1]!), 'generations only grow');
  });
});
