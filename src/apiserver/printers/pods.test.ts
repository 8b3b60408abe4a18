import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podPrinter } from './pods.js';

const NOW = new Date('2026-11-21T22:51:10Z');
const CREATED = '2026-11-21T22:51:09Z';

function pod(p: { spec?: Partial<NonNullable<Pod['spec']>>; status?: Pod['status']; deletionTimestamp?: string; name?: string }): Pod {
  return {
    metadata: { name: p.name ?? 'web', namespace: 'default', creationTimestamp: CREATED, deletionTimestamp: p.deletionTimestamp },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }], ...p.spec },
    status: p.status,
  };
}
const running = { running: { startedAt: CREATED } };

const cases: Array<[string, Pod, unknown[]]> = [
  [
    'a pending pod prints placeholders for the wide columns (evidence: db-0)',
    pod({ name: 'db-0', status: { phase: 'Pending' } }),
    ['db-0', '0/1', 'Pending', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a bound pod with no IP yet (evidence: web-abc12)',
    pod({ name: 'web-abc12', spec: { nodeName: 'node-1' }, status: { phase: 'Running' } }),
    ['web-abc12', '0/1', 'Running', '0', '1s', '<none>', 'node-1', '<none>', '<none>'],
  ],
  [
    'a ready container counts towards READY and shows the first pod IP',
    pod({
      spec: { nodeName: 'node-1' },
      status: { phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], containerStatuses: [{ name: 'nginx', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: running }] },
    }),
    ['web', '1/1', 'Running', '0', '1s', '10.244.0.5', 'node-1', '<none>', '<none>'],
  ],
  [
    'restarts show the age of the last termination',
    pod({
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'nginx', image: 'nginx', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-11-21T22:46:10Z' } } },
        ],
      },
    }),
    ['web', '0/1', 'CrashLoopBackOff', '2 (5m ago)', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a terminated container without reason prints its exit code',
    pod({ status: { phase: 'Failed', containerStatuses: [{ name: 'nginx', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }] } }),
    ['web', '0/1', 'ExitCode:3', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a completed pod prints Completed',
    pod({ status: { phase: 'Succeeded', containerStatuses: [{ name: 'nginx', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }),
    ['web', '0/1', 'Completed', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Completed turns back to Running while another container runs and the pod is Ready',
    pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'a', image: 'x', imageID: '', ready: true, restartCount: 0, state: running },
          { name: 'b', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      },
    }),
    ['web', '1/2', 'Running', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a waiting init container prints Init:i/n',
    pod({
      spec: { initContainers: [{ name: 'init-a' }, { name: 'init-b' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'init-a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'init-b', image: 'x', imageID: '', ready: false, restartCount: 0, state: running },
        ],
      },
    }),
    ['web', '0/1', 'Init:1/2', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a failing init container prints Init: and its reason',
    pod({
      spec: { initContainers: [{ name: 'init-a' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'init-a', image: 'x', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    }),
    ['web', '0/1', 'Init:CrashLoopBackOff', '3', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a started sidecar counts as a container',
    pod({
      spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', image: 'x', imageID: '', ready: true, started: true, restartCount: 0, state: running }],
        containerStatuses: [{ name: 'nginx', image: 'x', imageID: '', ready: true, restartCount: 0, state: running }],
      },
    }),
    ['web', '2/2', 'Running', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a pod being deleted prints Terminating',
    pod({ deletionTimestamp: '2026-11-21T22:51:10Z', status: { phase: 'Running' } }),
    ['web', '0/1', 'Terminating', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a finished pod being deleted keeps its phase',
    pod({ deletionTimestamp: '2026-11-21T22:51:10Z', status: { phase: 'Succeeded' } }),
    ['web', '0/1', 'Succeeded', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a pod on a lost node prints NodeLost, and Unknown once deleted',
    pod({ deletionTimestamp: '2026-11-21T22:51:10Z', status: { phase: 'Running', reason: 'NodeLost' } }),
    ['web', '0/1', 'Unknown', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'a gated pod prints SchedulingGated',
    pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }),
    ['web', '0/1', 'SchedulingGated', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'readiness gates count the true conditions',
    pod({ spec: { readinessGates: [{ conditionType: 'a' }, { conditionType: 'b' }] }, status: { phase: 'Pending', nominatedNodeName: 'n2', conditions: [{ type: 'a', status: 'True' }] } }),
    ['web', '0/1', 'Pending', '0', '1s', '<none>', '<none>', 'n2', '1/2'],
  ],
];

for (const [name, p, want] of cases) {
  test(`pod row: ${name}`, () => assert.deepEqual(podPrinter.cells(p, NOW), want));
}

test('pod row: NodeLost without deletion shows the reason itself', () => {
  assert.equal(podPrinter.cells(pod({ status: { phase: 'Running', reason: 'NodeLost' } }), NOW)[2], 'NodeLost');
});

test('pod rows of finished pods carry the Completed row condition', () => {
  assert.deepEqual(podPrinter.conditions?.(pod({ status: { phase: 'Failed' } })), [
    { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
  ]);
  assert.equal(podPrinter.conditions?.(pod({ status: { phase: 'Running' } })), undefined);
});

test('pod columns are upstream names, types and priorities', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
});
