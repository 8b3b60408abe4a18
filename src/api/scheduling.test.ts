import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { findUntoleratedTaint, nodeSelectorRequirementMatches, podFitsNodeAffinity, toleratesTaint } from './scheduling.js';

test('tolerations match taints as upstream ToleratesTaint', () => {
  const master: Taint = { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' };
  const gpu: Taint = { key: 'gpu', value: 'true', effect: 'NoExecute' };
  const table: Array<[string, Toleration, Taint, boolean]> = [
    ['key + effect, Equal with empty value', { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }, master, true],
    ['wrong effect', { key: 'node-role.kubernetes.io/master', effect: 'NoExecute' }, master, false],
    ['empty effect matches any effect', { key: 'node-role.kubernetes.io/master', operator: 'Exists' }, master, true],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, gpu, true],
    ['Equal compares values', { key: 'gpu', value: 'true', effect: 'NoExecute' }, gpu, true],
    ['Equal with another value', { key: 'gpu', value: 'false', effect: 'NoExecute' }, gpu, false],
    ['Exists ignores the value', { key: 'gpu', operator: 'Exists' }, gpu, true],
    ['other key', { key: 'x', operator: 'Exists' }, gpu, false],
  ];
  for (const [name, tol, taint, want] of table) assert.equal(toleratesTaint(tol, taint), want, name);
});

test('findUntoleratedTaint honours the effect filter', () => {
  const taints: Taint[] = [
    { key: 'a', effect: 'PreferNoSchedule' },
    { key: 'b', effect: 'NoSchedule' },
  ];
  assert.equal(findUntoleratedTaint(taints, [], (t) => t.effect !== 'PreferNoSchedule')?.key, 'b');
  assert.equal(findUntoleratedTaint(taints, [{ key: 'b', operator: 'Exists' }], (t) => t.effect !== 'PreferNoSchedule'), undefined);
});

test('node selector requirements cover every operator', () => {
  const labels = { zone: 'a', gpus: '4' };
  const table: Array<[string, Parameters<typeof nodeSelectorRequirementMatches>[0], boolean]> = [
    ['In', { key: 'zone', operator: 'In', values: ['a', 'b'] }, true],
    ['In missing key', { key: 'x', operator: 'In', values: ['a'] }, false],
    ['NotIn', { key: 'zone', operator: 'NotIn', values: ['b'] }, true],
    ['NotIn missing key', { key: 'x', operator: 'NotIn', values: ['b'] }, true],
    ['Exists', { key: 'zone', operator: 'Exists' }, true],
    ['DoesNotExist', { key: 'zone', operator: 'DoesNotExist' }, false],
    ['Gt', { key: 'gpus', operator: 'Gt', values: ['3'] }, true],
    ['Lt', { key: 'gpus', operator: 'Lt', values: ['3'] }, false],
    ['Gt with a non-number', { key: 'zone', operator: 'Gt', values: ['3'] }, false],
  ];
  for (const [name, req, want] of table) assert.equal(nodeSelectorRequirementMatches(req, labels), want, name);
});

test('nodeSelector and required affinity both restrict; matchFields binds to a node name', () => {
  const node: Node = { metadata: { name: 'node-2', labels: { color: 'blue' } } };
  assert.equal(podFitsNodeAffinity({ nodeSelector: { color: 'blue' } }, node), true);
  assert.equal(podFitsNodeAffinity({ nodeSelector: { color: 'green' } }, node), false);
  const bind = (name: string) => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }] } } },
  });
  assert.equal(podFitsNodeAffinity(bind('node-2'), node), true);
  assert.equal(podFitsNodeAffinity(bind('node-1'), node), false);
  assert.equal(podFitsNodeAffinity({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }, node), false);
});
