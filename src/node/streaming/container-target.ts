/**
 * Which container instance a log or exec request means, decided from the
 * container statuses the way the kubelet decides (`validateContainerLogStatus`
 * in upstream `pkg/kubelet/kubelet_pods.go`, `findContainer` for exec), plus
 * the wording for containers skiff only simulates. Pure functions; the kubelet
 * server does the I/O.
 */
import type { ContainerStatus, PodStatus } from 'kubernetes-types/core/v1.js';

/** Statuses of a pod, as the runtime reports them or the API shows them. */
export type PodContainerStatuses = Pick<PodStatus, 'containerStatuses' | 'initContainerStatuses' | 'ephemeralContainerStatuses'>;

/**
 * Which log file of the runtime to read: `newest` is the runtime's current
 * instance (`containerLogPath(…, false)`), `beforeNewest` the one before it
 * (`containerLogPath(…, true)`).
 */
export type LogInstance = 'newest' | 'beforeNewest';

/** The status of `container`, looked up in app, init and ephemeral containers (in that order, like upstream). */
export function findContainerStatus(statuses: PodContainerStatuses | undefined, container: string): ContainerStatus | undefined {
  for (const list of [statuses?.containerStatuses, statuses?.initContainerStatuses, statuses?.ephemeralContainerStatuses]) {
    const s = (list as ContainerStatus[] | undefined)?.find((c) => c.name === container);
    if (s) return s;
  }
  return undefined;
}

/**
 * The log instance a request for `container` reads, or the kubelet's error
 * text. With `previous`, the last terminated run: while the container waits
 * to restart that run is still the runtime's newest log file.
 *
 * @example
 * logInstanceFor('web', status, 'app', false) // → { instance: 'newest' } for a running container
 * logInstanceFor('web', status, 'app', true)  // → { error: 'previous terminated container "app" in pod "web" not found' } before any restart
 */
export function logInstanceFor(podName: string, statuses: PodContainerStatuses | undefined, container: string, previous: boolean): { instance: LogInstance } | { error: string } {
  const s = findContainerStatus(statuses, container);
  const what = `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)}`;
  if (!s) return { error: `${what} is not available` };
  const last = s.lastState?.terminated;
  const { waiting, running, terminated } = s.state ?? {};
  if (previous) {
    if (!last) return { error: `previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} not found` };
    return { instance: running || terminated ? 'beforeNewest' : 'newest' };
  }
  if (running) return { instance: 'newest' };
  if (terminated) {
    // A run that never started has no containerID: its predecessor's log is the one to show.
    if (terminated.containerID === '' && !last) return { error: `${what} is terminated` };
    return { instance: terminated.containerID === '' ? 'beforeNewest' : 'newest' };
  }
  if (last) return { instance: 'newest' };
  if (waiting) {
    switch (waiting.reason) {
      case 'ErrImagePull':
        return { error: `${what} is waiting to start: image can't be pulled` };
      case 'ImagePullBackOff':
        return { error: `${what} is waiting to start: trying and failing to pull image` };
      default:
        return { error: `${what} is waiting to start: ${waiting.reason ?? ''}` };
    }
  }
  return { error: `${what} is waiting to start - no logs yet` };
}

/**
 * Whether exec can run in `container` now: only a running container can
 * (upstream answers `container not found ("x")` otherwise).
 *
 * @example
 * execTargetError(status, 'app') // undefined when running, else 'container not found ("app")'
 */
export function execTargetError(statuses: PodContainerStatuses | undefined, container: string): string | undefined {
  return findContainerStatus(statuses, container)?.state?.running ? undefined : `container not found (${JSON.stringify(container)})`;
}

/** What a request wanted from a simulated container. */
export type StreamingVerb = 'logs' | 'exec' | 'attach' | 'portforward';

const CONSEQUENCE: Record<StreamingVerb, string> = {
  logs: 'it has no process, so it has no logs',
  exec: 'it has no process, so there is nothing to exec into',
  attach: 'it has no process, so there is nothing to attach to',
  portforward: 'it has no process, so nothing listens on its ports',
};

/**
 * The error for a container that skiff runs as a simulation (an image with no
 * built-in program and no `command`), with what to do about it.
 *
 * @example
 * simulatedContainerMessage('web', 'app', 'nginx:1.27', 'logs')
 * // 'container "app" in pod "web" is simulated by skiff (image "nginx:1.27" has no built-in program): it has no process, so it has no logs; …'
 */
export function simulatedContainerMessage(podName: string, container: string, image: string, verb: StreamingVerb): string {
  return (
    `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} is simulated by skiff (image ${JSON.stringify(image)} has no built-in program): ` +
    `${CONSEQUENCE[verb]}; give the container a command (or use a built-in image such as agnhost) to run it as a real process`
  );
}
