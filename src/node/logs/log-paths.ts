/**
 * Where a node keeps container logs, as the kubelet lays them out under the
 * node's own root (`<dataDir>/nodes/<node>/`, which is `/` for that node's
 * hostPath volumes): `/var/log/pods/<ns>_<pod>_<uid>/<container>/<restartCount>.log`,
 * plus the `/var/log/containers/<pod>_<ns>_<container>-<id>.log` symlinks log
 * collectors such as fluentd tail.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The identifying bits of a pod. */
export interface PodLogRef {
  namespace: string;
  name: string;
  uid: string;
}

/** `<nodeRoot>/var/log/pods/<ns>_<pod>_<uid>` */
export function podLogDir(nodeRoot: string, pod: PodLogRef): string {
  return join(nodeRoot, 'var', 'log', 'pods', `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** `<nodeRoot>/var/log/pods/<ns>_<pod>_<uid>/<container>` */
export function containerLogDir(nodeRoot: string, pod: PodLogRef, container: string): string {
  return join(podLogDir(nodeRoot, pod), container);
}

/** The log file of one container instance: `…/<container>/<restartCount>.log`. */
export function containerLogFile(nodeRoot: string, pod: PodLogRef, container: string, restartCount: number): string {
  return join(containerLogDir(nodeRoot, pod, container), `${restartCount}.log`);
}

/** `<nodeRoot>/var/log/containers/<pod>_<ns>_<container>-<containerId>.log` (a symlink to the instance's file). */
export function containerLogLink(nodeRoot: string, pod: PodLogRef, container: string, containerId: string): string {
  return join(nodeRoot, 'var', 'log', 'containers', `${pod.name}_${pod.namespace}_${container}-${containerId}.log`);
}

/**
 * Which instance's log to read, given the instance numbers on disk: the newest
 * one, or with `previous` the one before it.
 *
 * @example
 * pickLogInstance([0, 1, 2], false) // 2
 * pickLogInstance([0, 1, 2], true)  // 1
 * pickLogInstance([0], true)        // undefined
 */
export function pickLogInstance(instances: readonly number[], previous: boolean): number | undefined {
  const sorted = [...instances].sort((a, b) => a - b);
  return sorted[sorted.length - (previous ? 2 : 1)];
}

/** Instance numbers with a log file in `dir` (none when the directory does not exist). */
export function logInstances(dir: string): number[] {
  try {
    return readdirSync(dir)
      .map((f) => /^(\d+)\.log$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
  } catch {
    return [];
  }
}
