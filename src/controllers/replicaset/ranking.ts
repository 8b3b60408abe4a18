/**
 * Which pods a ReplicaSet deletes first when it scales down (upstream
 * `ActivePodsWithRanks` in `pkg/controller/controller_utils.go`, with the
 * PodDeletionCost and LogarithmicScaleDown features on, as in 1.32), and
 * `getPodsToDelete` of `pkg/controller/replicaset`. Pure functions.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodActive, isPodReady, podReadyCondition, timeMs } from './pods.js';

/** The annotation that orders deletions among otherwise equal pods (lower cost goes first). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** The deletion cost of a pod: the annotation as an int32, 0 when absent or invalid. */
export function deletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** Highest restart count of regular containers, and of restartable (sidecar) init containers. */
function maxRestarts(pod: Pod): { regular: number; sidecar: number } {
  let regular = 0;
  let sidecar = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always').map((c) => c.name));
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

/** Go's `afterOrZero`: a missing time sorts first, else the later time first. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

/** floor(log2(age in ns)) of each time, compared (upstream `logarithmicRankDiff`). */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const rank = (t: number): number => {
    const ns = (now - t) * 1e6;
    return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
  };
  return rank(t1) - rank(t2);
}

/** A pod with its rank: how many active pods of the same owner family share its node. */
export interface RankedPod {
  pod: Pod;
  rank: number;
}

/**
 * True when `a` should be deleted before `b`. In order: unassigned before assigned;
 * Pending < Unknown < Running; not ready before ready; lower deletion cost; more pods
 * of the family on the same node; ready more recently (log2 buckets); more restarts;
 * created more recently (log2 buckets, then uid).
 */
export function deleteBefore(a: RankedPod, b: RankedPod, nowMs: number): boolean {
  const pi = a.pod;
  const pj = b.pod;
  const ni = pi.spec?.nodeName ?? '';
  const nj = pj.spec?.nodeName ?? '';
  if (ni !== nj && (!ni || !nj)) return !ni;
  const oi = PHASE_ORDINAL[pi.status?.phase ?? ''] ?? 0;
  const oj = PHASE_ORDINAL[pj.status?.phase ?? ''] ?? 0;
  if (oi !== oj) return oi < oj;
  const ri = isPodReady(pi);
  const rj = isPodReady(pj);
  if (ri !== rj) return !ri;
  const ci = deletionCost(pi);
  const cj = deletionCost(pj);
  if (ci !== cj) return ci < cj;
  if (a.rank !== b.rank) return a.rank > b.rank;
  const uidLess = (): boolean => (pi.metadata?.uid ?? '') < (pj.metadata?.uid ?? '');
  if (ri && rj) {
    const t1 = timeMs(podReadyCondition(pi)?.lastTransitionTime);
    const t2 = timeMs(podReadyCondition(pj)?.lastTransitionTime);
    if (t1 !== t2) {
      if (t1 === undefined || t2 === undefined) return afterOrZero(t1, t2);
      const d = logarithmicRankDiff(t1, t2, nowMs);
      return d === 0 ? uidLess() : d < 0;
    }
  }
  const mi = maxRestarts(pi);
  const mj = maxRestarts(pj);
  if (mi.regular !== mj.regular) return mi.regular > mj.regular;
  if (mi.sidecar !== mj.sidecar) return mi.sidecar > mj.sidecar;
  const c1 = timeMs(pi.metadata?.creationTimestamp);
  const c2 = timeMs(pj.metadata?.creationTimestamp);
  if (c1 !== c2) {
    if (c1 === undefined || c2 === undefined) return afterOrZero(c1, c2);
    const d = logarithmicRankDiff(c1, c2, nowMs);
    return d === 0 ? uidLess() : d < 0;
  }
  return false;
}

/**
 * The `diff` pods to delete out of `pods` (the owner's active pods). `related` are the
 * pods of every ReplicaSet with the same controller (a Deployment's old and new sets):
 * a pod whose node holds more of them goes first.
 *
 * @example
 * podsToDelete(rsPods, deploymentPods, 2, Date.now()) // the two "cheapest" pods
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, nowMs: number): Pod[] {
  if (diff >= pods.length) return pods.slice(0, Math.max(0, diff));
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked: RankedPod[] = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (deleteBefore(a, b, nowMs) ? -1 : deleteBefore(b, a, nowMs) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}
