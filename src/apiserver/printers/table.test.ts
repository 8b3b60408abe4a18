import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnDefinitionsFor, printTable } from './table.js';

const NOW = new Date('2026-11-21T22:51:11Z');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: 'u-1',
  resourceVersion: '1005',
  creationTimestamp: '2026-11-21T22:51:08Z',
  ...extra,
});
const core = (resource: string) => ({ group: '', resource });
const cells = (gr: { group: string; resource: string }, obj: unknown) => printTable(gr, [obj], { now: NOW }).rows[0]?.cells;

const rows: Array<[string, { group: string; resource: string }, unknown, unknown[]]> = [
  [
    'a ClusterIP service (evidence: service/web)',
    core('services'),
    { metadata: meta('web'), spec: { type: 'ClusterIP', clusterIP: '10.96.50.126', clusterIPs: ['10.96.50.126'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } } },
    ['web', 'ClusterIP', '10.96.50.126', '<none>', '80/TCP', '3s', 'app=web'],
  ],
  [
    'a NodePort service shows node ports',
    core('services'),
    { metadata: meta('web-np'), spec: { type: 'NodePort', clusterIPs: ['10.96.0.9'], ports: [{ port: 8080, nodePort: 30887, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } },
    ['web-np', 'NodePort', '10.96.0.9', '<none>', '8080:30887/TCP,53/UDP', '3s', '<none>'],
  ],
  [
    'a LoadBalancer without ingress is pending',
    core('services'),
    { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] } },
    ['lb', 'LoadBalancer', '10.96.0.10', '<pending>', '80:31000/TCP', '3s', '<none>'],
  ],
  [
    'a LoadBalancer lists sorted ingress then external IPs',
    core('services'),
    { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], externalIPs: ['1.1.1.1'], ports: [] }, status: { loadBalancer: { ingress: [{ ip: '5.5.5.5' }, { hostname: 'a.example' }] } } },
    ['lb', 'LoadBalancer', '10.96.0.10', '5.5.5.5,a.example,1.1.1.1', '<none>', '3s', '<none>'],
  ],
  [
    'an ExternalName service shows its name and no cluster IP',
    core('services'),
    { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'db.example.com' } },
    ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '3s', '<none>'],
  ],
  [
    'a headless service shows None',
    core('services'),
    { metadata: meta('db'), spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 5432, protocol: 'TCP' }] } },
    ['db', 'ClusterIP', 'None', '<none>', '5432/TCP', '3s', '<none>'],
  ],
  [
    'endpoints list ip:port and cut after three',
    core('endpoints'),
    { metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }], ports: [{ port: 80 }, { port: 443 }] }] },
    ['web', '10.244.0.5:80,10.244.0.6:80,10.244.0.5:443 + 1 more...', '3s'],
  ],
  ['endpoints without subsets print <none>', core('endpoints'), { metadata: meta('web') }, ['web', '<none>', '3s']],
  [
    'endpointslices list ports and addresses',
    { group: 'discovery.k8s.io', resource: 'endpointslices' },
    { metadata: meta('web-x7k2p'), addressType: 'IPv4', ports: [{ port: 80 }], endpoints: [{ addresses: ['10.244.0.5'] }, { addresses: ['10.244.0.6'] }] },
    ['web-x7k2p', 'IPv4', '80', '10.244.0.5,10.244.0.6', '3s'],
  ],
  [
    'endpointslices without ports or endpoints print <unset>',
    { group: 'discovery.k8s.io', resource: 'endpointslices' },
    { metadata: meta('empty'), addressType: 'IPv4', endpoints: [] },
    ['empty', 'IPv4', '<unset>', '<unset>', '3s'],
  ],
  [
    'a cordoned control-plane node (evidence: node-1)',
    core('nodes'),
    {
      metadata: meta('node-1', { namespace: undefined, labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'node-1' } }),
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'node-1' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Mock', kernelVersion: '6.0', containerRuntimeVersion: 'mock://1' },
      },
    },
    ['node-1', 'Ready,SchedulingDisabled', 'control-plane', '3s', 'v1.32.0', '10.0.0.1', '<none>', 'Mock', '6.0', 'mock://1'],
  ],
  [
    'a node without a Ready condition is Unknown and has no roles',
    core('nodes'),
    { metadata: meta('n2'), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } },
    ['n2', 'NotReady', '<none>', '3s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
  ],
  ['a node with no conditions is Unknown', core('nodes'), { metadata: meta('n3') }, ['n3', 'Unknown', '<none>', '3s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']],
  [
    'a core event shows kind/name and source with host',
    core('events'),
    {
      metadata: meta('web.17a'),
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{nginx}' },
      type: 'Normal',
      reason: 'Pulled',
      message: 'Container image "nginx" already present\n',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: '2026-11-21T22:41:11Z',
      lastTimestamp: '2026-11-21T22:50:11Z',
      count: 4,
    },
    ['60s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'kubelet, node-1', 'Container image "nginx" already present', '10m', 4, 'web.17a'],
  ],
  [
    'an events.k8s.io event uses eventTime, series and the reporting controller',
    { group: 'events.k8s.io', resource: 'events' },
    {
      metadata: meta('web.17b'),
      regarding: { kind: 'Deployment', name: 'web' },
      note: 'Scaled up',
      reason: 'ScalingReplicaSet',
      type: 'Normal',
      reportingController: 'deployment-controller',
      eventTime: '2026-11-21T22:50:01.000000Z',
      series: { count: 3, lastObservedTime: '2026-11-21T22:51:01.000000Z' },
    },
    ['10s', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up', '70s', 3, 'web.17b'],
  ],
  [
    'a deployment shows ready/desired (evidence: deployment.apps/web)',
    { group: 'apps', resource: 'deployments' },
    {
      metadata: meta('web'),
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }, { name: 'log', image: 'busybox' }] } } },
      status: {},
    },
    ['web', '0/3', 0, 0, '3s', 'nginx,log', 'nginx:1.25,busybox', 'app=web,tier in (be,fe)'],
  ],
  [
    'a replicaset prints counts and its selector',
    { group: 'apps', resource: 'replicasets' },
    { metadata: meta('web-5d'), spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d' } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } }, status: { replicas: 2, readyReplicas: 1 } },
    ['web-5d', 2, 2, 1, '3s', 'nginx', 'nginx', 'app=web,pod-template-hash=5d'],
  ],
  [
    'a daemonset prints its node selector',
    { group: 'apps', resource: 'daemonsets' },
    {
      metadata: meta('agent'),
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'agent', image: 'agent:1' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    },
    ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '3s', 'agent', 'agent:1', 'app=agent'],
  ],
  [
    'a daemonset without node selector or status prints <none> and zeros',
    { group: 'apps', resource: 'daemonsets' },
    { metadata: meta('agent'), spec: { template: { spec: { containers: [] } } } },
    ['agent', 0, 0, 0, 0, 0, '<none>', '3s', '', '', '<none>'],
  ],
  [
    'a controllerrevision names its controller with kind and group',
    { group: 'apps', resource: 'controllerrevisions' },
    { metadata: meta('agent-6c', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'x', controller: true }] }), revision: 2 },
    ['agent-6c', 'daemonset.apps/agent', 2, '3s'],
  ],
  ['a lease shows its holder', { group: 'coordination.k8s.io', resource: 'leases' }, { metadata: meta('node-1'), spec: { holderIdentity: 'node-1' } }, ['node-1', 'node-1', '3s']],
  ['a namespace shows its phase', core('namespaces'), { metadata: meta('default'), status: { phase: 'Active' } }, ['default', 'Active', '3s']],
  ['a configmap counts data and binaryData', core('configmaps'), { metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, ['cfg', 3, '3s']],
  ['a secret shows type and key count', core('secrets'), { metadata: meta('s'), type: 'Opaque', data: { a: 'MQ==' } }, ['s', 'Opaque', 1, '3s']],
  ['a serviceaccount counts secrets', core('serviceaccounts'), { metadata: meta('default') }, ['default', 0, '3s']],
  ['anything else prints name and RFC 3339 creation time', { group: 'batch', resource: 'jobs' }, { metadata: meta('job') }, ['job', '2026-11-21T22:51:08Z']],
];

for (const [name, gr, obj, want] of rows) {
  test(`table row: ${name}`, () => assert.deepEqual(cells(gr, obj), want));
}

test('an object without a creation timestamp is <unknown> old', () => {
  assert.deepEqual(cells(core('namespaces'), { metadata: { name: 'x' } }), ['x', '', '<unknown>']);
});

test('printTable wraps rows in a meta.k8s.io/v1 Table with list meta', () => {
  const t = printTable(core('configmaps'), [], { listMeta: { resourceVersion: '1026', continue: 'c', remainingItemCount: 3 } });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '1026', continue: 'c', remainingItemCount: 3 });
  assert.deepEqual(t.rows, []);
  assert.equal(t.columnDefinitions?.length, 3);
});

test('a single-object Table carries the object resourceVersion', () => {
  assert.deepEqual(printTable(core('configmaps'), [{ metadata: meta('c') }]).metadata, { resourceVersion: '1005' });
});

test('row objects default to PartialObjectMetadata with the full metadata', () => {
  const m = meta('web', { labels: { app: 'web' } });
  const row = printTable(core('services'), [{ metadata: m, spec: {} }], { now: NOW }).rows[0];
  assert.deepEqual(row?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: m });
});

test('includeObject=Object embeds the full object and None sends null', () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c'), data: {} };
  assert.equal(printTable(core('configmaps'), [obj], { includeObject: 'Object' }).rows[0]?.object, obj);
  assert.equal(printTable(core('configmaps'), [obj], { includeObject: 'None' }).rows[0]?.object, null);
});

test('noHeaders leaves out the column definitions', () => {
  assert.equal(printTable(core('pods'), [], { noHeaders: true }).columnDefinitions, undefined);
});

test('succeeded pods carry a row condition and others none', () => {
  const t = printTable(core('pods'), [{ metadata: meta('a'), spec: { containers: [] }, status: { phase: 'Succeeded' } }, { metadata: meta('b'), spec: { containers: [] } }]);
  assert.equal(t.rows[0]?.conditions?.[0]?.reason, 'Succeeded');
  assert.equal(t.rows[1]?.conditions, undefined);
});

const headers: Array<[string, { group: string; resource: string }, string[]]> = [
  ['services', core('services'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']],
  ['nodes', core('nodes'), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']],
  ['events', core('events'), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']],
  ['deployments', { group: 'apps', resource: 'deployments' }, ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']],
  ['daemonsets', { group: 'apps', resource: 'daemonsets' }, ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*']],
  ['unknown resources', { group: 'x.io', resource: 'widgets' }, ['Name', 'Created At']],
];
for (const [name, gr, want] of headers) {
  test(`columns of ${name} match upstream (* = wide)`, () => {
    assert.deepEqual(
      columnDefinitionsFor(gr).map((c) => c.name + (c.priority === 1 ? '*' : '')),
      want,
    );
  });
}

test('every column definition carries all five wire fields', () => {
  for (const c of columnDefinitionsFor({ group: 'x.io', resource: 'widgets' })) {
    assert.deepEqual(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type']);
  }
  assert.equal(columnDefinitionsFor({ group: 'x.io', resource: 'widgets' })[1]?.type, 'date');
});
