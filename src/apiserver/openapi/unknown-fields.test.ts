import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findUnknownFields, unknownFieldMessage } from './unknown-fields.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', 'example.com/any': 'x' }, annotations: { a: 'b' }, unknownMeta: 1 },
  spec: {
    unknown1: 'val1',
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'a', image: 'nginx', resources: { limits: { cpu: '1', memory: 1e9 } }, ports: [{ containerPort: 80, bogus: true }] },
          { name: 'b', image: 'nginx', unknownNested: 'val1' },
        ],
      },
    },
  },
};

test('unknown fields are reported with upstream paths in document order', () => {
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', deployment), [
    'metadata.unknownMeta',
    'spec.unknown1',
    'spec.template.spec.containers[0].ports[0].bogus',
    'spec.template.spec.containers[1].unknownNested',
  ]);
});

test('a valid object has no unknown fields', () => {
  const svc = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 's', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }], managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:ports': {} } } }] },
    spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }], selector: { app: 'x' }, sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } },
    status: { loadBalancer: { ingress: [{ ip: '127.112.0.1' }] } },
  };
  assert.deepEqual(findUnknownFields('v1', 'Service', svc), []);
});

test('top-level unknown fields have no prefix; maps and opaque values are open', () => {
  assert.deepEqual(findUnknownFields('v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', data: { anything: 'x' }, extra: 1 }), ['extra']);
  const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', revision: 1, data: { spec: { whatever: true } } };
  assert.deepEqual(findUnknownFields('apps/v1', 'ControllerRevision', rev), []);
});

test('core and events.k8s.io Events are told apart', () => {
  assert.deepEqual(findUnknownFields('v1', 'Event', { involvedObject: {}, note: 'x' }), ['note']);
  assert.deepEqual(findUnknownFields('events.k8s.io/v1', 'Event', { involvedObject: {}, note: 'x' }), ['involvedObject']);
});

test('subresource kinds and unknown kinds', () => {
  assert.deepEqual(findUnknownFields('autoscaling/v1', 'Scale', { spec: { replicas: 3, foo: 1 } }), ['spec.foo']);
  assert.deepEqual(findUnknownFields('policy/v1', 'Eviction', { deleteOptions: { gracePeriodSeconds: 0, bar: 1 } }), ['deleteOptions.bar']);
  assert.deepEqual(findUnknownFields('example.com/v1', 'Widget', { spec: { foo: 1 } }), []);
});

test('the message has the upstream wording', () => {
  assert.equal(unknownFieldMessage('spec.foo'), 'unknown field "spec.foo"');
});

test('a full pod with every common field has no unknown fields', () => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels: { app: 'x', tier: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }] },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { path: '/', port: 80 } }, resources: { requests: { cpu: '100m' } } }],
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
      volumes: [{ name: 'v', hostPath: { path: '/var/log' } }],
    },
    status: { phase: 'Running', podIP: '127.128.0.5', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'nginx', imageID: '', state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }] },
  };
  // Repeated checks of one object give the same answer (the schema walk keeps no state); speed is a benchmark's job.
  for (let i = 0; i < 100; i++) assert.equal(findUnknownFields('v1', 'Pod', pod).length, 0);
});
