import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podPhase, podStatusFor, statusDiffers } from './pod-status.js';
import type { RuntimePodStatus } from './runtime.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const addr = { podIP: '127.128.1.5', hostIP: '127.0.1.1' };

function pod(extra: Partial<NonNullable<Pod['spec']>> = {}, status: Pod['status'] = { phase: 'Pending', qosClass: 'BestEffort' }): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { nodeName: 'node-1', containers: [{ name: 'a', image: 'img' }, { name: 'b', image: 'img' }], ...extra }, status };
}

const running = (name: string, ready = true): RuntimePodStatus['containerStatuses'][number] => ({ name, image: 'img', imageID: 'img@sha256:x', ready, started: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } });
const waiting = (name: string): RuntimePodStatus['containerStatuses'][number] => ({ name, image: 'img', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } });

test('the phase follows the container states', () => {
  const rt = (cs: RuntimePodStatus['containerStatuses'], extra: Partial<RuntimePodStatus> = {}): RuntimePodStatus => ({ startTime: 'x', sandboxReady: true, containerStatuses: cs, ...extra });
  const table: Array<[string, Pod, RuntimePodStatus, string]> = [
    ['all running', pod(), rt([running('a'), running('b')]), 'Running'],
    ['one still creating', pod(), rt([running('a'), waiting('b')]), 'Pending'],
    ['one not reported', pod(), rt([running('a')]), 'Pending'],
    ['running but unready is still Running', pod(), rt([running('a', false), running('b')]), 'Running'],
    ['terminal phase wins', pod(), rt([running('a'), running('b')], { terminalPhase: 'Succeeded' }), 'Succeeded'],
    ['init container not done', pod({ initContainers: [{ name: 'i', image: 'x' }] }), rt([running('a'), running('b')], { initContainerStatuses: [waiting('i')] }), 'Pending'],
  ];
  for (const [name, p, r, want] of table) assert.equal(podPhase(p, r), want, name);
});

test('a running pod gets the five kubelet conditions in order, its IPs, startTime and qosClass', () => {
  const rt: RuntimePodStatus = { startTime: '2025-01-01T00:00:00Z', sandboxReady: true, containerStatuses: [running('a'), running('b')] };
  const s = podStatusFor(pod(), rt, addr, T0 + 5000);
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.conditions!.map((c) => [c.type, c.status]), [
    ['PodReadyToStartContainers', 'True'],
    ['Initialized', 'True'],
    ['Ready', 'True'],
    ['ContainersReady', 'True'],
    ['PodScheduled', 'True'],
  ]);
  assert.equal(s.podIP, '127.128.1.5');
  assert.deepEqual(s.podIPs, [{ ip: '127.128.1.5' }]);
  assert.equal(s.hostIP, '127.0.1.1');
  assert.deepEqual(s.hostIPs, [{ ip: '127.0.1.1' }]);
  assert.equal(s.startTime, '2025-01-01T00:00:00Z');
  assert.equal(s.qosClass, 'BestEffort');
});

test('unready containers make Ready and ContainersReady False with the upstream reason and message', () => {
  const rt: RuntimePodStatus = { startTime: 'x', sandboxReady: true, containerStatuses: [running('a', false), running('b')] };
  const s = podStatusFor(pod(), rt, addr, T0);
  const ready = s.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'ContainersNotReady');
  assert.equal(ready.message, 'containers with unready status: [a]');
});

test('unchanged conditions keep their transition time, foreign conditions and PodScheduled are kept, and a repeat computes no diff', () => {
  const rt: RuntimePodStatus = { startTime: '2025-01-01T00:00:00Z', sandboxReady: true, containerStatuses: [running('a'), running('b')] };
  const first = podStatusFor(pod(undefined, { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-12-31T00:00:00Z' }] }), rt, addr, T0);
  assert.equal(first.conditions!.find((c) => c.type === 'PodScheduled')!.lastTransitionTime, '2024-12-31T00:00:00Z');
  const withForeign = { ...first, conditions: [...first.conditions!, { type: 'DisruptionTarget', status: 'True' }] };
  const second = podStatusFor(pod(undefined, withForeign), rt, addr, T0 + 60_000);
  assert.equal(second.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, first.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime);
  assert.ok(second.conditions!.some((c) => c.type === 'DisruptionTarget'));
  assert.equal(statusDiffers(withForeign, second), false);
  assert.equal(statusDiffers(pod().status, second), true);
});
