import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { execTargetError, logInstanceFor, simulatedContainerMessage } from './container-target.js';

const running: ContainerStatus = { name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: 't' } } };
const restarted: ContainerStatus = { ...running, restartCount: 1, lastState: { terminated: { exitCode: 1, containerID: 'c0' } } };
const crashLooping: ContainerStatus = { ...restarted, state: { waiting: { reason: 'CrashLoopBackOff' } } };
const exited: ContainerStatus = { ...running, state: { terminated: { exitCode: 0, containerID: 'c1' } } };
const neverStarted: ContainerStatus = { ...running, state: { terminated: { exitCode: 128, containerID: '' } } };
const creating: ContainerStatus = { ...running, ready: false, state: { waiting: { reason: 'ContainerCreating' } } };
const pulling: ContainerStatus = { ...running, ready: false, state: { waiting: { reason: 'ErrImagePull' } } };
const backingOff: ContainerStatus = { ...running, ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } };
const noState: ContainerStatus = { ...running, state: {} };

describe('logInstanceFor', () => {
  const table: Array<[string, ContainerStatus | undefined, boolean, string]> = [
    ['running: the current log', running, false, 'newest'],
    ['running, previous without a restart', running, true, 'previous terminated container "app" in pod "web" not found'],
    ['restarted, previous is the run before', restarted, true, 'beforeNewest'],
    ['crash looping: the last run is still the newest file', crashLooping, false, 'newest'],
    ['crash looping, previous: also the last run', crashLooping, true, 'newest'],
    ['exited: its own log', exited, false, 'newest'],
    ['never started and nothing before it', neverStarted, false, 'container "app" in pod "web" is terminated'],
    ['waiting to be created', creating, false, 'container "app" in pod "web" is waiting to start: ContainerCreating'],
    ['image pull failing', pulling, false, `container "app" in pod "web" is waiting to start: image can't be pulled`],
    ['image pull backing off', backingOff, false, 'container "app" in pod "web" is waiting to start: trying and failing to pull image'],
    ['no state at all', noState, false, 'container "app" in pod "web" is waiting to start - no logs yet'],
    ['no status yet', undefined, false, 'container "app" in pod "web" is not available'],
  ];
  for (const [name, status, previous, want] of table) {
    test(name, () => {
      const got = logInstanceFor('web', { containerStatuses: status ? [status] : [] }, 'app', previous);
      assert.equal('instance' in got ? got.instance : got.error, want);
    });
  }
  test('init container statuses are searched too', () => {
    assert.deepEqual(logInstanceFor('web', { initContainerStatuses: [running] }, 'app', false), { instance: 'newest' });
  });
});

test('exec needs a running container', () => {
  assert.equal(execTargetError({ containerStatuses: [running] }, 'app'), undefined);
  assert.equal(execTargetError({ containerStatuses: [creating] }, 'app'), 'container not found ("app")');
  assert.equal(execTargetError(undefined, 'app'), 'container not found ("app")');
});

test('the simulated-container message says what, which and what to do', () => {
  const m = simulatedContainerMessage('web', 'app', 'nginx:1.27', 'logs');
  assert.match(m, /^container "app" in pod "web" is simulated by skiff \(image "nginx:1\.27" has no built-in program\): it has no process, so it has no logs; give the container a command/);
});
