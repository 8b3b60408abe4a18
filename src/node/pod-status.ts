/**
 * The kubelet's `generateAPIPodStatus` as a pure function: from what the
 * runtime reports (container states) and the addresses the agent allocated, the
 * `status` the API should show — phase, the five kubelet-owned conditions in
 * upstream order, pod/host IPs, startTime, container statuses — keeping
 * `lastTransitionTime` of conditions whose status did not change and any
 * condition the kubelet does not own (e.g. `DisruptionTarget`).
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { RuntimePodStatus } from './runtime.js';
import { jsonEqual } from '../api/patch/json.js';

/** Conditions the node agent owns, in the order the kubelet writes them. */
export const AGENT_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const;

/** Addresses the agent allocated for the pod. */
export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

/** RFC 3339 without fractions, as `metav1.Time` serialises. */
export function apiTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function unready(statuses: readonly ContainerStatus[]): string[] {
  return statuses.filter((c) => !c.ready).map((c) => c.name);
}

function initDone(rt: RuntimePodStatus, pod: Pod): { done: boolean; incomplete: string[] } {
  const wanted = pod.spec?.initContainers ?? [];
  const statuses = rt.initContainerStatuses ?? [];
  const incomplete = wanted
    .map((c) => c.name)
    .filter((name) => {
      const s = statuses.find((x) => x.name === name);
      // Sidecars (restartPolicy Always) count as initialised once started.
      const sidecar = wanted.find((w) => w.name === name)?.restartPolicy === 'Always';
      if (sidecar) return !s?.started;
      return s?.state?.terminated?.exitCode !== 0;
    });
  return { done: incomplete.length === 0, incomplete };
}

/** The pod phase from container states (upstream `getPhase`, restartPolicy Always semantics for live pods). */
export function podPhase(pod: Pod, rt: RuntimePodStatus): NonNullable<PodStatus['phase']> {
  if (rt.terminalPhase) return rt.terminalPhase;
  if (!initDone(rt, pod).done) return 'Pending';
  const cs = rt.containerStatuses;
  const expected = pod.spec?.containers?.length ?? 0;
  if (cs.length < expected) return 'Pending';
  const waitingNeverRan = cs.filter((c) => c.state?.waiting && !c.lastState?.terminated).length;
  if (waitingNeverRan > 0) return 'Pending';
  return 'Running';
}

function condition(type: string, ok: boolean, now: string, reason?: string, message?: string): PodCondition {
  const c: PodCondition = { type, status: ok ? 'True' : 'False', lastProbeTime: null as unknown as string, lastTransitionTime: now };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

/**
 * The API status for `pod` given the runtime's view `rt`.
 *
 * @example
 * podStatusFor(pod, simulated.podStatus(pod)!, { podIP: '127.128.1.4', hostIP: '127.0.1.1' }, Date.now())
 * // → { phase: 'Running', conditions: [PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled], podIP, … }
 */
export function podStatusFor(pod: Pod, rt: RuntimePodStatus, addr: PodAddresses, nowMs: number): PodStatus {
  const now = apiTime(nowMs);
  const old = pod.status ?? {};
  const phase = podPhase(pod, rt);
  const init = initDone(rt, pod);
  const notReady = unready(rt.containerStatuses);
  const allPresent = rt.containerStatuses.length >= (pod.spec?.containers?.length ?? 0);
  const containersReady = phase !== 'Succeeded' && phase !== 'Failed' && allPresent && notReady.length === 0;
  const missing = (pod.spec?.containers ?? []).map((c) => c.name).filter((n) => !rt.containerStatuses.some((s) => s.name === n));
  const notReadyNames = [...notReady, ...missing];
  const notReadyMsg = `containers with unready status: [${notReadyNames.join(' ')}]`;
  const terminalReason = phase === 'Succeeded' ? 'PodCompleted' : undefined;
  const fresh: PodCondition[] = [
    condition('PodReadyToStartContainers', rt.sandboxReady, now),
    condition('Initialized', init.done, now, terminalReason ?? 'ContainersNotInitialized', terminalReason ? undefined : `containers with incomplete status: [${init.incomplete.join(' ')}]`),
    condition('Ready', containersReady, now, terminalReason ?? 'ContainersNotReady', terminalReason ? undefined : notReadyMsg),
    condition('ContainersReady', containersReady, now, terminalReason ?? 'ContainersNotReady', terminalReason ? undefined : notReadyMsg),
  ];
  const oldConds = old.conditions ?? [];
  const conditions: PodCondition[] = fresh.map((c) => {
    const prev = oldConds.find((o) => o.type === c.type);
    return prev && prev.status === c.status && prev.lastTransitionTime ? { ...c, lastTransitionTime: prev.lastTransitionTime } : c;
  });
  const scheduled = oldConds.find((o) => o.type === 'PodScheduled');
  conditions.push(scheduled ?? condition('PodScheduled', true, now));
  // Conditions owned by others (DisruptionTarget, readiness gates) are kept as they are.
  for (const c of oldConds) if (!(AGENT_CONDITIONS as readonly string[]).includes(c.type)) conditions.push(c);

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: addr.hostIP,
    hostIPs: [{ ip: addr.hostIP }],
    podIP: addr.podIP,
    podIPs: [{ ip: addr.podIP }],
    startTime: old.startTime ?? rt.startTime,
    containerStatuses: rt.containerStatuses,
  };
  if (rt.initContainerStatuses?.length) status.initContainerStatuses = rt.initContainerStatuses;
  if (old.qosClass) status.qosClass = old.qosClass;
  if (rt.message) status.message = rt.message;
  if (rt.reason) status.reason = rt.reason;
  if (old.nominatedNodeName) status.nominatedNodeName = old.nominatedNodeName;
  return status;
}

/** Whether writing `next` would change the pod's status (compared as JSON, key order aside). */
export function statusDiffers(current: PodStatus | undefined, next: PodStatus): boolean {
  return !jsonEqual(current ?? {}, next);
}
