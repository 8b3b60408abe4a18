import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitErrorMessage, preemptionMessage, truncateMessage, type Diagnosis } from './fit-error.js';
import type { FilterStatus } from './filters.js';

const taint: FilterStatus = { plugin: 'TaintToleration', code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/master: }'] };
const cpu: FilterStatus = { plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Insufficient cpu'] };
const cpuMem: FilterStatus = { plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] };
const selector: FilterStatus = { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] };
const noLower = { hasLowerPriorityPods: () => false, refilterWithoutLowerPriority: () => undefined };

function full(d: Diagnosis, policy?: string): string {
  return fitErrorMessage(d, preemptionMessage(d, policy, noLower));
}

test('FailedScheduling messages read exactly like upstream 1.32', () => {
  const cases: Array<{ name: string; d: Diagnosis; policy?: string; want: string }> = [
    {
      name: 'taint and cpu',
      d: { numAllNodes: 3, statuses: new Map([['m', taint], ['a', cpu], ['b', cpu]]) },
      want: '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..',
    },
    {
      name: 'only unresolvable reasons',
      d: { numAllNodes: 3, statuses: new Map([['a', selector], ['b', selector], ['c', selector]]) },
      want: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..",
    },
    {
      name: 'a node with two reasons counts in both; counts sort as strings',
      d: { numAllNodes: 12, statuses: new Map([['a', cpuMem], ...Array.from({ length: 11 }, (_, i) => [`s${i}`, selector] as [string, FilterStatus])]) },
      want: "0/12 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 11 node(s) didn't match Pod's node affinity/selector. preemption: 0/12 nodes are available: 1 No preemption victims found for incoming pod, 11 Preemption is not helpful for scheduling..",
    },
    {
      name: 'DaemonSet pod: nodes outside the pinned set count as not satisfying NodeAffinity',
      d: { numAllNodes: 5, statuses: new Map([['n1', cpu]]), absent: { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't satisfy plugin(s) [NodeAffinity]"] } },
      want: "0/5 nodes are available: 1 Insufficient cpu, 4 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/5 nodes are available: 1 No preemption victims found for incoming pod, 4 Preemption is not helpful for scheduling..",
    },
    {
      name: 'PreFilter rejection',
      d: { numAllNodes: 2, preFilterMsg: 'pod affinity terms conflict', statuses: new Map() },
      want: '0/2 nodes are available: pod affinity terms conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    },
    {
      name: 'preemptionPolicy Never',
      d: { numAllNodes: 1, statuses: new Map([['a', cpu]]) },
      policy: 'Never',
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..',
    },
  ];
  for (const c of cases) assert.equal(full(c.d, c.policy), c.want, c.name);
});

test('with lower-priority pods the dry run reports what still fails', () => {
  const d: Diagnosis = { numAllNodes: 1, statuses: new Map([['a', cpu]]) };
  const msg = preemptionMessage(d, undefined, { hasLowerPriorityPods: () => true, refilterWithoutLowerPriority: () => cpu });
  assert.equal(msg, 'preemption: 0/1 nodes are available: 1 Insufficient cpu.');
});

test('long messages are truncated to 1024 characters', () => {
  const long = 'x'.repeat(2000);
  const t = truncateMessage(long);
  assert.equal(t.length, 1024);
  assert.ok(t.endsWith(' ...'));
  assert.equal(truncateMessage('short'), 'short');
});
