import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { servicePortsFromService, shouldSkipService } from './service-port.js';

function svc(spec: Service['spec'], extra: Partial<Service> = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name: 'web', ...extra.metadata }, spec, ...(extra.status ? { status: extra.status } : {}) };
}

describe('servicePortsFromService', () => {
  test('projects a ClusterIP Service port with defaults', () => {
    const m = servicePortsFromService(svc({ clusterIP: '127.96.0.20', clusterIPs: ['127.96.0.20'], ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }));
    assert.deepEqual([...m.values()], [
      {
        key: 'ns/web:/TCP',
        namespace: 'ns',
        name: 'web',
        portName: '',
        protocol: 'TCP',
        clusterIPs: ['127.96.0.20'],
        port: 80,
        nodePort: 0,
        externalIPs: [],
        loadBalancerIPs: [],
        loadBalancerSourceRanges: [],
        externalTrafficPolicy: 'Cluster',
        internalTrafficPolicy: 'Cluster',
      },
    ]);
  });

  const cases: Array<{ name: string; service: Service; check: (m: ReturnType<typeof servicePortsFromService>) => void }> = [
    {
      name: 'one entry per port, keyed by name and protocol',
      service: svc({ clusterIP: '127.96.0.1', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }),
      check: (m) => assert.deepEqual([...m.keys()], ['ns/web:dns/UDP', 'ns/web:dns-tcp/TCP']),
    },
    {
      name: 'NodePort and LoadBalancer keep their node ports; ClusterIP does not',
      service: svc({ type: 'LoadBalancer', clusterIP: '127.96.0.1', ports: [{ port: 80, nodePort: 30080 }] }, { status: { loadBalancer: { ingress: [{ ip: '127.112.0.1' }, { ip: '127.112.0.2', ipMode: 'Proxy' }, { hostname: 'lb.example' }] } } }),
      check: (m) => {
        const p = [...m.values()][0]!;
        assert.equal(p.nodePort, 30080);
        assert.deepEqual(p.loadBalancerIPs, ['127.112.0.1'], 'ipMode Proxy and hostname ingresses are not served locally');
      },
    },
    {
      name: 'ClientIP affinity carries its timeout, defaulting to 10800',
      service: svc({ clusterIP: '127.96.0.1', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }),
      check: (m) => assert.equal([...m.values()][0]!.affinityTimeoutSeconds, 10800),
    },
    {
      name: 'an explicit affinity timeout is kept',
      service: svc({ clusterIP: '127.96.0.1', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] }),
      check: (m) => assert.equal([...m.values()][0]!.affinityTimeoutSeconds, 60),
    },
    {
      name: 'traffic policies and externalIPs are projected',
      service: svc({ type: 'NodePort', clusterIP: '127.96.0.1', externalIPs: ['127.113.0.1'], externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30001 }] }),
      check: (m) => {
        const p = [...m.values()][0]!;
        assert.equal(p.externalTrafficPolicy, 'Local');
        assert.equal(p.internalTrafficPolicy, 'Local');
        assert.deepEqual(p.externalIPs, ['127.113.0.1']);
      },
    },
    {
      name: 'a known scheduler annotation is kept, an unknown one ignored',
      service: svc({ clusterIP: '127.96.0.1', ports: [{ port: 80 }] }, { metadata: { annotations: { 'skiff.io/scheduler': 'sh' } } }),
      check: (m) => assert.equal([...m.values()][0]!.scheduler, 'sh'),
    },
    {
      name: 'an unknown scheduler annotation leaves the default',
      service: svc({ clusterIP: '127.96.0.1', ports: [{ port: 80 }] }, { metadata: { annotations: { 'skiff.io/scheduler': 'wlc' } } }),
      check: (m) => assert.equal([...m.values()][0]!.scheduler, undefined),
    },
    { name: 'headless Services are skipped', service: svc({ clusterIP: 'None', ports: [{ port: 80 }] }), check: (m) => assert.equal(m.size, 0) },
    { name: 'ExternalName Services are skipped', service: svc({ type: 'ExternalName', externalName: 'x.example' }), check: (m) => assert.equal(m.size, 0) },
    { name: 'Services without a ClusterIP yet are skipped', service: svc({ ports: [{ port: 80 }] }), check: (m) => assert.equal(m.size, 0) },
  ];
  for (const c of cases) test(c.name, () => c.check(servicePortsFromService(c.service)));

  test('undefined projects to nothing', () => {
    assert.equal(servicePortsFromService(undefined).size, 0);
    assert.equal(shouldSkipService(svc(undefined)), true);
  });
});
