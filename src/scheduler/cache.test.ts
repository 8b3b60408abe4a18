import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.js';
import { podInfoOf } from './node-info.js';
import { makeNode, makePod } from './testing.js';

test('assumed pods count against their node until forgotten', () => {
  const c = new SchedulerCache();
  c.setNode(makeNode('a'));
  const p = makePod('p', { requests: { cpu: '1' } });
  c.assume(podInfoOf(p, 'a'));
  assert.equal(c.isAssumed('default/p'), true);
  assert.equal(c.node('a')!.requested.milliCPU, 1000);
  c.forget('default/p');
  assert.equal(c.node('a')!.requested.milliCPU, 0);
  assert.equal(c.node('a')!.pods.size, 0);
});

test('the informer confirms an assumption, and a confirmed pod is not forgotten', () => {
  const c = new SchedulerCache();
  c.setNode(makeNode('a'));
  const p = makePod('p', { requests: { cpu: '1' } });
  c.assume(podInfoOf(p, 'a'));
  c.setPod({ ...p, spec: { ...p.spec!, nodeName: 'a' } });
  assert.equal(c.isAssumed('default/p'), false);
  c.forget('default/p');
  assert.equal(c.node('a')!.requested.milliCPU, 1000);
});

test('a pod bound elsewhere by someone else moves to that node', () => {
  const c = new SchedulerCache();
  c.setNode(makeNode('a'));
  c.setNode(makeNode('b'));
  const p = makePod('p', { requests: { cpu: '1' } });
  c.assume(podInfoOf(p, 'a'));
  c.setPod({ ...p, spec: { ...p.spec!, nodeName: 'b' } });
  assert.equal(c.node('a')!.requested.milliCPU, 0);
  assert.equal(c.node('b')!.requested.milliCPU, 1000);
});

test('terminal and deleted pods free their resources; ghost nodes keep pods until they go', () => {
  const c = new SchedulerCache();
  c.setNode(makeNode('a'));
  const p = makePod('p', { requests: { cpu: '1' }, nodeName: 'a' });
  c.setPod(p);
  c.setPod({ ...p, status: { phase: 'Succeeded' } });
  assert.equal(c.node('a')!.requested.milliCPU, 0);
  c.setPod(p);
  c.removeNode('a');
  assert.equal(c.nodeCount(), 0);
  assert.equal(c.node('a'), undefined);
  c.setNode(makeNode('a'));
  assert.equal(c.node('a')!.requested.milliCPU, 1000, 'the pods of a re-added node are still counted');
  c.removePod('default/p');
  assert.equal(c.node('a')!.pods.size, 0);
});

test('node removal keeps the scan order compact', () => {
  const c = new SchedulerCache();
  for (const n of ['a', 'b', 'c']) c.setNode(makeNode(n));
  c.removeNode('a');
  const names = Array.from({ length: c.nodeCount() }, (_, i) => c.nodeAt(i).name).sort();
  assert.deepEqual(names, ['b', 'c']);
});
