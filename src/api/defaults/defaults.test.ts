import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, defaultPullPolicy } from './index.js';

test('a bare Service gets the svc-01 defaults', () => {
  const s = { spec: { selector: { app: 'a' }, ports: [{ port: 80 }] } };
  applyDefaults('v1', 'Service', s);
  assert.deepEqual(s.spec, {
    selector: { app: 'a' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
  });
});

test('ClientIP affinity gets a 10800 s timeout and None drops the config (svc-09)', () => {
  const s = { spec: { type: 'NodePort', sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 9376 }] } } as Record<string, any>;
  applyDefaults('v1', 'Service', s);
  assert.deepEqual(s.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.equal(s.spec.externalTrafficPolicy, 'Cluster');
  s.spec.sessionAffinity = 'None';
  applyDefaults('v1', 'Service', s);
  assert.equal('sessionAffinityConfig' in s.spec, false);
});

test('a custom affinity timeout is kept', () => {
  const s = { spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } } as Record<string, any>;
  applyDefaults('v1', 'Service', s);
  assert.equal(s.spec.sessionAffinityConfig.clientIP.timeoutSeconds, 60);
});

test('a LoadBalancer allocates node ports by default and ExternalName gets no traffic policies', () => {
  const lb = { spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } as Record<string, any>;
  applyDefaults('v1', 'Service', lb);
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  const en = { spec: { type: 'ExternalName', externalName: 'example.com' } } as Record<string, any>;
  applyDefaults('v1', 'Service', en);
  assert.equal(en.spec.internalTrafficPolicy, undefined);
  assert.equal(en.spec.externalTrafficPolicy, undefined);
});

test('a DaemonSet gets the ds-01 updateStrategy, history limit and template defaults', () => {
  const ds = { spec: { selector: {}, template: { spec: { containers: [{ name: 'app', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', ports: [{ containerPort: 9376 }] }] } } } } as Record<string, any>;
  applyDefaults('apps/v1', 'DaemonSet', ds);
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
  const t = ds.spec.template.spec;
  assert.deepEqual([t.restartPolicy, t.dnsPolicy, t.terminationGracePeriodSeconds, t.schedulerName], ['Always', 'ClusterFirst', 30, 'default-scheduler']);
  assert.deepEqual(t.securityContext, {});
  assert.equal(t.enableServiceLinks, undefined);
  assert.deepEqual(t.containers[0], {
    name: 'app',
    image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
    ports: [{ containerPort: 9376, protocol: 'TCP' }],
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  });
});

test('a Deployment gets replicas, 25%/25% rolling update and deadlines', () => {
  const d = { spec: { template: {} } } as Record<string, any>;
  applyDefaults('apps/v1', 'Deployment', d);
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
});

test('a ReplicaSet gets one replica and its probes get upstream defaults (tut-03)', () => {
  const rs = { spec: { template: { spec: { containers: [{ name: 'api', image: 'x', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], livenessProbe: { httpGet: { path: '/healthz', port: 8080 } } }] } } } } as Record<string, any>;
  applyDefaults('apps/v1', 'ReplicaSet', rs);
  assert.equal(rs.spec.replicas, 1);
  const c = rs.spec.template.spec.containers[0];
  assert.deepEqual(c.livenessProbe, { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.equal(c.imagePullPolicy, 'Always');
});

test('a Pod gets enableServiceLinks, requests from limits and volume defaults', () => {
  const p = { spec: { containers: [{ name: 'a', image: 'x:latest', resources: { limits: { cpu: '1' } } }], volumes: [{ name: 'v' }, { name: 'c', configMap: { name: 'cm' } }, { name: 'h', hostPath: { path: '/x' } }] } } as Record<string, any>;
  applyDefaults('v1', 'Pod', p);
  assert.equal(p.spec.enableServiceLinks, true);
  assert.deepEqual(p.spec.containers[0].resources.requests, { cpu: '1' });
  assert.deepEqual(p.spec.volumes, [{ name: 'v', emptyDir: {} }, { name: 'c', configMap: { name: 'cm', defaultMode: 420 } }, { name: 'h', hostPath: { path: '/x', type: '' } }]);
});

const pullCases: [string, string][] = [
  ['nginx', 'Always'],
  ['nginx:latest', 'Always'],
  ['nginx:1.25', 'IfNotPresent'],
  ['localhost:5000/app', 'Always'],
  ['localhost:5000/app:v1', 'IfNotPresent'],
  ['app@sha256:abc', 'IfNotPresent'],
];
for (const [image, want] of pullCases) {
  test(`image ${image} defaults imagePullPolicy to ${want}`, () => assert.equal(defaultPullPolicy(image), want));
}

test('Secrets default to Opaque, namespaces to Active with their name label, slices and endpoints to TCP', () => {
  const s = {} as Record<string, any>;
  applyDefaults('v1', 'Secret', s);
  assert.equal(s.type, 'Opaque');
  const ns = { metadata: { name: 'dev' } } as Record<string, any>;
  applyDefaults('v1', 'Namespace', ns);
  assert.deepEqual([ns.status.phase, ns.spec.finalizers, ns.metadata.labels['kubernetes.io/metadata.name']], ['Active', ['kubernetes'], 'dev']);
  const es = { ports: [{ port: 80 }] } as Record<string, any>;
  applyDefaults('discovery.k8s.io/v1', 'EndpointSlice', es);
  assert.equal(es.ports[0].protocol, 'TCP');
  const ep = { subsets: [{ ports: [{ port: 80 }] }] } as Record<string, any>;
  applyDefaults('v1', 'Endpoints', ep);
  assert.equal(ep.subsets[0].ports[0].protocol, 'TCP');
});
