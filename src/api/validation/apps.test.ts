import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { applyDefaults } from '../defaults/index.js';
import { renderFieldError, validateCreate, validateUpdate } from './index.js';

const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'app', image: 'agnhost:2.53' }] } });

function deploy(spec: Partial<NonNullable<Deployment['spec']>>): Deployment {
  const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'x' }), ...spec } } as Deployment;
  applyDefaults('apps/v1', 'Deployment', d);
  return d;
}
const msgs = (kind: string, o: unknown): string[] => validateCreate('apps/v1', kind, o).map(renderFieldError);

test('a defaulted Deployment whose selector matches its template is valid', () => {
  assert.deepEqual(msgs('Deployment', deploy({})), []);
});

test('a selector that does not match the template labels prints the labels as a Go map', () => {
  const d = deploy({ template: template({ app: 'y', tier: 'web' }) });
  assert.deepEqual(msgs('Deployment', d), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y", "tier":"web"}: `selector` does not match template `labels`']);
});

test('a Deployment without a selector needs one', () => {
  const d = deploy({});
  delete (d.spec as { selector?: unknown }).selector;
  assert.ok(msgs('Deployment', d).includes('spec.selector: Required value'));
});

test('maxUnavailable and maxSurge may not both be zero', () => {
  const d = deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } });
  assert.deepEqual(msgs('Deployment', d), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']);
});

test('a percentage above 100% is rejected', () => {
  const d = deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '120%', maxSurge: '0%' } } });
  assert.deepEqual(msgs('Deployment', d), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%']);
});

test('negative replicas are rejected', () => {
  assert.deepEqual(msgs('Deployment', deploy({ replicas: -1 })), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
});

test('a template restartPolicy other than Always is not supported', () => {
  const d = deploy({});
  d.spec!.template.spec!.restartPolicy = 'Never';
  assert.deepEqual(msgs('Deployment', d), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
});

test('the selector of an apps/v1 workload is immutable', () => {
  const old = deploy({});
  const next = deploy({ selector: { matchLabels: { app: 'y' } }, template: template({ app: 'y' }) });
  assert.deepEqual(validateUpdate('apps/v1', 'Deployment', next, old).map(renderFieldError), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

function ds(rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string }): DaemonSet {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'daemon-set', namespace: 'ns' },
    spec: { selector: { matchLabels: { 'daemonset-name': 'daemon-set' } }, template: template({ 'daemonset-name': 'daemon-set' }), ...(rollingUpdate ? { updateStrategy: { type: 'RollingUpdate', rollingUpdate } } : {}) },
  } as DaemonSet;
  applyDefaults('apps/v1', 'DaemonSet', d);
  return d;
}

test('the ds-01 DaemonSet is valid after defaulting', () => {
  assert.deepEqual(msgs('DaemonSet', ds()), []);
});

test('a DaemonSet may not set both maxUnavailable and maxSurge', () => {
  assert.deepEqual(msgs('DaemonSet', ds({ maxUnavailable: 1, maxSurge: 1 })), [
    'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
  ]);
});

test('a DaemonSet with both zero needs maxUnavailable', () => {
  assert.deepEqual(msgs('DaemonSet', ds({ maxUnavailable: 0, maxSurge: 0 })), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
});

test('a ReplicaSet with an empty selector reuses the deployment wording, as upstream', () => {
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'ns' }, spec: { selector: {}, template: template({ a: 'b' }) } } as ReplicaSet;
  applyDefaults('apps/v1', 'ReplicaSet', rs);
  assert.deepEqual(msgs('ReplicaSet', rs), ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment']);
});
