import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeObject, parseLabel, parseTaint } from './node-commands.js';

test('labels and taints parse like kubectl arguments', () => {
  assert.deepEqual(parseLabel('gpu=true'), ['gpu', 'true']);
  assert.deepEqual(parseLabel('flag'), ['flag', '']);
  assert.deepEqual(parseTaint('node-role.kubernetes.io/master:NoSchedule'), { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' });
  assert.deepEqual(parseTaint('dedicated=gpu:NoExecute'), { key: 'dedicated', value: 'gpu', effect: 'NoExecute' });
  assert.throws(() => parseTaint('bad'), /invalid taint "bad"/);
});

test('the node object carries the standard labels and the taints', () => {
  const n = nodeObject('node-4', ['color=blue'], ['a=b:NoSchedule']) as { metadata: { labels: Record<string, string> }; spec: { taints: unknown[] } };
  assert.equal(n.metadata.labels['kubernetes.io/hostname'], 'node-4');
  assert.equal(n.metadata.labels.color, 'blue');
  assert.equal(n.spec.taints.length, 1);
});

test('the node object brings its capacity and allocatable, as a registering kubelet does', () => {
  const n = nodeObject('node-4', [], []) as { status: { capacity: Record<string, string>; allocatable: Record<string, string> } };
  assert.equal(n.status.allocatable.pods, '110');
  assert.equal(n.status.allocatable.cpu, n.status.capacity.cpu);
});
