/**
 * The status a ReplicaSet reports (upstream `replica_set_utils.go`):
 * replicas / fullyLabeledReplicas / readyReplicas / availableReplicas counted
 * over its active owned pods, and the `ReplicaFailure` condition set while
 * creating or deleting pods fails. Pure functions.
 */
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable, isPodReady, rfc3339 } from './pods.js';

/** True when every label of `want` is on `labels` (a template's labels as a selector). */
export function hasAllLabels(want: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(want ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

/** Sets `cond` unless a condition of its type with the same status and reason exists. */
export function setReplicaSetCondition(status: ReplicaSetStatus, cond: ReplicaSetCondition): void {
  const cur = status.conditions?.find((c) => c.type === cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

/**
 * The new status of `rs` given its active owned `pods` and the error (if any) of
 * the last create/delete round. `observedGeneration` is left for the writer.
 *
 * @example
 * calculateReplicaSetStatus(rs, pods, undefined, Date.now()).readyReplicas
 */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: readonly Pod[], manageError: Error | undefined, nowMs: number): ReplicaSetStatus {
  const status: ReplicaSetStatus = structuredClone(rs.status ?? { replicas: 0 });
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (hasAllLabels(templateLabels, p.metadata?.labels)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, nowMs)) available++;
    }
  }
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    setReplicaSetCondition(status, { type: 'ReplicaFailure', status: 'True', reason, message: manageError.message, lastTransitionTime: rfc3339(nowMs) });
  } else if (!manageError && failure) {
    status.conditions = status.conditions?.filter((c) => c.type !== 'ReplicaFailure');
    if (status.conditions?.length === 0) delete status.conditions;
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fully;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

/** True when writing `next` would change what `rs` reports (or its generation is unobserved). */
export function replicaSetStatusChanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const s = rs.status ?? { replicas: 0 };
  return (
    (s.replicas ?? 0) !== next.replicas ||
    (s.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (s.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    (rs.metadata?.generation ?? 0) !== (s.observedGeneration ?? 0) ||
    JSON.stringify(s.conditions ?? []) !== JSON.stringify(next.conditions ?? [])
  );
}

/**
 * Runs `fn` `count` times in batches of 1, 2, 4, … (upstream `slowStartBatch`), so a
 * failing create (quota, admission) costs one call, not hundreds. Stops after the
 * first batch with an error; returns how many calls succeeded and that error.
 */
export async function slowStartBatch(count: number, initialBatch: number, fn: () => Promise<void>): Promise<{ successes: number; error?: Error }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatch); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) {
      const e = failed[0]!.reason;
      return { successes, error: e instanceof Error ? e : new Error(String(e)) };
    }
    remaining -= batch;
  }
  return { successes };
}
