import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { DEFAULT_FILTERS, runFilters, type FilterStatus } from './filters.js';
import { NodeInfo, podInfoOf } from './node-info.js';
import { podToSchedule } from './scheduler.js';
import { makeNode, makePod, pinnedTo } from './testing.js';

const MASTER = { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' } as const;

function info(node = makeNode('n1'), running: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(node.metadata!.name!, node);
  for (const p of running) ni.addPod(podInfoOf(p, ni.name));
  return ni;
}

const fit = undefined;
const no = (plugin: string, reasons: string[], code: FilterStatus['code'] = 'UnschedulableAndUnresolvable'): FilterStatus => ({ plugin, code, reasons });

test('filters: each plugin admits or rejects with the upstream reason', () => {
  const hostPortPod = (name: string, port: number, hostIP?: string, protocol?: string): Pod =>
    makePod(name, { container: { ports: [{ containerPort: port, hostPort: port, ...(hostIP ? { hostIP } : {}), ...(protocol ? { protocol } : {}) }] } });
  const cases: Array<{ name: string; pod: Pod; node: NodeInfo; want: FilterStatus | undefined }> = [
    { name: 'plain pod fits a plain node', pod: makePod('p'), node: info(), want: fit },
    { name: 'cordoned node rejects', pod: makePod('p'), node: info(makeNode('n1', { unschedulable: true })), want: no('NodeUnschedulable', ['node(s) were unschedulable']) },
    {
      name: 'cordoned node admits a pod tolerating node.kubernetes.io/unschedulable',
      pod: makePod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }),
      node: info(makeNode('n1', { unschedulable: true })),
      want: fit,
    },
    { name: 'spec.nodeName elsewhere rejects', pod: makePod('p', { spec: { nodeName: 'n2' } }), node: info(), want: no('NodeName', ["node(s) didn't match the requested node name"]) },
    { name: 'untolerated NoSchedule taint', pod: makePod('p'), node: info(makeNode('n1', { taints: [MASTER] })), want: no('TaintToleration', ['node(s) had untolerated taint {node-role.kubernetes.io/master: }']) },
    {
      name: 'untolerated NoExecute taint with a value',
      pod: makePod('p'),
      node: info(makeNode('n1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] })),
      want: no('TaintToleration', ['node(s) had untolerated taint {dedicated: gpu}']),
    },
    { name: 'PreferNoSchedule taint does not filter', pod: makePod('p'), node: info(makeNode('n1', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] })), want: fit },
    { name: 'tolerated taint', pod: makePod('p', { spec: { tolerations: [{ key: MASTER.key, operator: 'Exists', effect: 'NoSchedule' }] } }), node: info(makeNode('n1', { taints: [MASTER] })), want: fit },
    { name: 'nodeSelector mismatch', pod: makePod('p', { spec: { nodeSelector: { gpu: 'true' } } }), node: info(), want: no('NodeAffinity', ["node(s) didn't match Pod's node affinity/selector"]) },
    { name: 'nodeSelector match', pod: makePod('p', { spec: { nodeSelector: { gpu: 'true' } } }), node: info(makeNode('n1', { labels: { gpu: 'true' } })), want: fit },
    { name: 'pinned to another node', pod: makePod('p', { spec: pinnedTo('n2') }), node: info(), want: no('NodeAffinity', ["node(s) didn't match Pod's node affinity/selector"]) },
    { name: 'pinned to this node', pod: makePod('p', { spec: pinnedTo('n1') }), node: info(), want: fit },
    { name: 'host port taken on 0.0.0.0', pod: hostPortPod('p', 9100), node: info(makeNode('n1'), [hostPortPod('q', 9100)]), want: no('NodePorts', ["node(s) didn't have free ports for the requested pod ports"], 'Unschedulable') },
    { name: 'host port taken on another protocol', pod: hostPortPod('p', 53, undefined, 'UDP'), node: info(makeNode('n1'), [hostPortPod('q', 53)]), want: fit },
    { name: 'host port on distinct host IPs', pod: hostPortPod('p', 80, '127.0.0.2'), node: info(makeNode('n1'), [hostPortPod('q', 80, '127.0.0.1')]), want: fit },
    {
      name: 'host port on a specific IP against 0.0.0.0',
      pod: hostPortPod('p', 80, '127.0.0.2'),
      node: info(makeNode('n1'), [hostPortPod('q', 80)]),
      want: no('NodePorts', ["node(s) didn't have free ports for the requested pod ports"], 'Unschedulable'),
    },
    { name: 'cpu fits exactly', pod: makePod('p', { requests: { cpu: '1' } }), node: info(makeNode('n1', { cpu: '2' }), [makePod('q', { requests: { cpu: '1000m' } })]), want: fit },
    { name: 'insufficient cpu', pod: makePod('p', { requests: { cpu: '1001m' } }), node: info(makeNode('n1', { cpu: '2' }), [makePod('q', { requests: { cpu: '1' } })]), want: no('NodeResourcesFit', ['Insufficient cpu'], 'Unschedulable') },
    {
      name: 'insufficient cpu and memory are both reasons',
      pod: makePod('p', { requests: { cpu: '8', memory: '16Gi' } }),
      node: info(),
      want: no('NodeResourcesFit', ['Insufficient cpu', 'Insufficient memory'], 'Unschedulable'),
    },
    { name: 'too many pods', pod: makePod('p'), node: info(makeNode('n1', { pods: '1' }), [makePod('q')]), want: no('NodeResourcesFit', ['Too many pods'], 'Unschedulable') },
    { name: 'extended resource missing', pod: makePod('p', { requests: { 'nvidia.com/gpu': '1' } }), node: info(), want: no('NodeResourcesFit', ['Insufficient nvidia.com/gpu'], 'Unschedulable') },
    { name: 'extended resource present', pod: makePod('p', { requests: { 'nvidia.com/gpu': '1' } }), node: info(makeNode('n1', { extra: { 'nvidia.com/gpu': '1' } })), want: fit },
    {
      name: 'init container request counts as the max',
      pod: makePod('p', { requests: { cpu: '1' }, spec: { initContainers: [{ name: 'i', resources: { requests: { cpu: '3' } } }] } }),
      node: info(makeNode('n1', { cpu: '2' })),
      want: no('NodeResourcesFit', ['Insufficient cpu'], 'Unschedulable'),
    },
    { name: 'first failing plugin decides (taint before resources)', pod: makePod('p', { requests: { cpu: '99' } }), node: info(makeNode('n1', { taints: [MASTER] })), want: no('TaintToleration', ['node(s) had untolerated taint {node-role.kubernetes.io/master: }']) },
  ];
  for (const c of cases) assert.deepEqual(runFilters(podToSchedule(c.pod), c.node), c.want, c.name);
});

test('filters run in upstream order', () => {
  assert.deepEqual(
    DEFAULT_FILTERS.map((f) => f.name),
    ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
  );
});
