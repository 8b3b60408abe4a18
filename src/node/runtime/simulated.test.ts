import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../client/clock.js';
import { SimulatedRuntime, parseReadyDelay, simulatedImageID } from './simulated.js';

const ctx = { nodeName: 'node-1', podIP: '127.128.1.2', hostIP: '127.0.1.1' };
const pod: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
  spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'app', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }] },
};

test('a simulated pod reports nothing until its delay has passed, then running, started and ready containers', async () => {
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const rt = new SimulatedRuntime({ readyDelayMs: [200, 200], clock });
  const changed: string[] = [];
  rt.onChange((uid) => changed.push(uid));
  await rt.startPod(pod, ctx);
  assert.equal(rt.podStatus(pod), undefined);
  clock.advance(199);
  assert.deepEqual(changed, []);
  clock.advance(1);
  assert.deepEqual(changed, ['uid-1']);
  const s = rt.podStatus(pod)!;
  assert.equal(s.startTime, '2025-01-01T00:00:00Z');
  const app = s.containerStatuses[0]!;
  assert.deepEqual([app.name, app.ready, app.started, app.restartCount], ['app', true, true, 0]);
  assert.equal(app.state!.running!.startedAt, '2025-01-01T00:00:00Z');
  assert.match(app.imageID, /^registry\.k8s\.io\/e2e-test-images\/agnhost@sha256:/);
  assert.match(app.containerID!, /^skiff-simulated:\/\/[0-9a-f]{64}$/);
  assert.equal(s.initContainerStatuses![0]!.state!.terminated!.exitCode, 0);
});

test('stopping a pod before it started cancels its start; stopping is idempotent', async () => {
  const clock = new FakeClock(0);
  const rt = new SimulatedRuntime({ readyDelayMs: [100, 100], clock });
  const changed: string[] = [];
  rt.onChange((uid) => changed.push(uid));
  await rt.startPod(pod, ctx);
  await rt.stopPod(pod, 30);
  await rt.stopPod(pod, 30);
  clock.advance(1000);
  assert.deepEqual(changed, []);
  assert.equal(rt.size(), 0);
});

test('an adopted pod is running at once with its earlier start time', () => {
  const rt = new SimulatedRuntime({ clock: new FakeClock(0) });
  rt.adoptPod({ ...pod, status: { startTime: '2024-05-01T10:00:00Z', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T10:00:01Z' } } }] } }, ctx);
  const s = rt.podStatus(pod)!;
  assert.equal(s.startTime, '2024-05-01T10:00:00Z');
  assert.equal(s.containerStatuses[0]!.state!.running!.startedAt, '2024-05-01T10:00:01Z');
});

test('image IDs keep a digest reference and derive one otherwise', () => {
  assert.equal(simulatedImageID('nginx@sha256:abc'), 'nginx@sha256:abc');
  assert.match(simulatedImageID('nginx'), /^nginx@sha256:[0-9a-f]{64}$/);
  assert.match(simulatedImageID('localhost:5000/app:1'), /^localhost:5000\/app@sha256:/);
});

test('parseReadyDelay reads MS and MIN-MAX and refuses anything else by naming the flag', () => {
  assert.deepEqual(parseReadyDelay('0-500'), [0, 500]);
  assert.deepEqual(parseReadyDelay('250'), [250, 250]);
  assert.deepEqual(parseReadyDelay(' 10 - 20 '), [10, 20]);
  for (const bad of ['', 'fast', '-5', '5-1', '1.5', '0-3600001', '1-2-3']) {
    assert.throws(() => parseReadyDelay(bad), /--sim-ready-delay: ".*" is not a delay in milliseconds/, bad);
  }
});
