/**
 * What a Deployment reports (upstream `sync.go#calculateStatus` and
 * `progress.go`): the replica counters summed over its ReplicaSets, the
 * `Available` condition (minimum availability = replicas - maxUnavailable), the
 * `Progressing` condition (new ReplicaSet created / found / updated / available,
 * paused / resumed, ProgressDeadlineExceeded) and when to look again for a
 * stuck rollout. Pure functions; `nowMs` is injected.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { canonical } from './hash.js';
import {
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  Reasons,
  removeCondition,
  replicasOf,
  setCondition,
  sumAvailableReplicas,
  sumReadyReplicas,
  sumSpecReplicas,
  sumStatusReplicas,
} from './util.js';
import { rfc3339, timeMs } from '../replicaset/pods.js';

/** Drops zero counters (Go's `omitempty`) so equal statuses compare equal. */
function normalized(s: DeploymentStatus | undefined): unknown {
  const c: Record<string, unknown> = { ...(s ?? {}) };
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration']) if (!c[k]) delete c[k];
  return canonical(c) ?? {};
}

/** True when the two statuses say the same thing. */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}

/**
 * Counters and the `Available` condition for `d` over `allRSs` (upstream `calculateStatus`).
 * Other conditions are carried over from `d.status`.
 */
export function calculateStatus(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, nowMs: number): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const total = sumSpecReplicas(allRSs.filter((x): x is ReplicaSet => !!x));
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = structuredClone(d.status.conditions);
  const now = rfc3339(nowMs);
  if (available >= replicasOf(d) - maxUnavailable(d)) setCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  else setCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  return status;
}

/** Every replica updated and available, and the spec observed (upstream `DeploymentComplete`). */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** More updated, fewer old, more ready or more available replicas than before (upstream `DeploymentProgressing`). */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last updated more than progressDeadlineSeconds ago (upstream `DeploymentTimedOut`). */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === Reasons.NewRSAvailable) return false;
  if (c.reason === Reasons.TimedOut) return true;
  const from = timeMs(c.lastUpdateTime) ?? 0;
  return from + (d.spec?.progressDeadlineSeconds ?? 600) * 1000 < nowMs;
}

/** The outcome of a rollout status sync: the status to write (undefined: unchanged) and when to check again. */
export interface RolloutStatusPlan {
  status?: DeploymentStatus;
  requeueAfter?: number;
}

/**
 * The status after a rollout step (upstream `syncRolloutStatus`): counters, then the
 * Progressing condition (NewReplicaSetAvailable when complete, ReplicaSetUpdated while
 * progressing, ProgressDeadlineExceeded after the deadline), then ReplicaFailure copied
 * from the ReplicaSets. When nothing changed, a still-rolling Deployment is looked at
 * again when its deadline could pass.
 */
export function planRolloutStatus(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, nowMs: number): RolloutStatusPlan {
  const s = calculateStatus(d, allRSs, newRS, nowMs);
  const now = rfc3339(nowMs);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(d.status, 'Progressing');
  const isComplete = (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && cur?.reason === Reasons.NewRSAvailable;
  if (hasProgressDeadline(d) && !isComplete) {
    const rsName = newRS?.metadata?.name;
    if (deploymentComplete(d, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata?.name}" has successfully progressed.`;
      setCondition(s, newCondition('Progressing', 'True', Reasons.NewRSAvailable, msg, now));
    } else if (deploymentProgressing(d, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`;
      const c = newCondition('Progressing', 'True', Reasons.ReplicaSetUpdated, msg, now);
      // Progress refreshes lastUpdateTime even with the same reason.
      if (cur) {
        if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, 'Progressing');
      }
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, nowMs)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata?.name}" has timed out progressing.`;
      setCondition(s, newCondition('Progressing', 'False', Reasons.TimedOut, msg, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(s, { type: 'ReplicaFailure', status: failure.status, reason: failure.reason, message: failure.message, lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime });
  else removeCondition(s, 'ReplicaFailure');
  if (s.conditions?.length === 0) delete s.conditions;
  if (statusEqual(d.status, s)) return { requeueAfter: stuckRequeue(d, s, nowMs) };
  return { status: s };
}

function replicaFailure(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): { status: string; reason?: string; message?: string; lastTransitionTime?: string } | undefined {
  const find = (rs: ReplicaSet | undefined) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  const fromNew = find(newRS);
  if (fromNew) return fromNew;
  for (const rs of allRSs) {
    if (rs && rs === newRS) continue;
    const c = find(rs);
    if (c) return c;
  }
  return undefined;
}

/** Upstream `requeueStuckDeployment`: ms until the deadline could pass (+1 s), or undefined. */
export function stuckRequeue(d: Deployment, s: DeploymentStatus, nowMs: number): number | undefined {
  const cur = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !cur) return undefined;
  if (deploymentComplete(d, s) || cur.reason === Reasons.TimedOut) return undefined;
  const after = (timeMs(cur.lastUpdateTime) ?? 0) + (d.spec?.progressDeadlineSeconds ?? 600) * 1000 - nowMs;
  return after < 1000 ? 1000 : after + 1000;
}

/**
 * Upstream `checkPausedConditions` (mutates `d.status`): a paused Deployment gets
 * Progressing=Unknown/DeploymentPaused, a resumed one DeploymentResumed, unless the
 * rollout already timed out. Returns true when the status changed.
 */
export function applyPausedCondition(d: Deployment, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cur = getCondition(d.status, 'Progressing');
  if (cur?.reason === Reasons.TimedOut) return false;
  const pausedCond = cur?.reason === Reasons.Paused;
  const status = (d.status ??= {});
  const now = rfc3339(nowMs);
  if (d.spec?.paused && !pausedCond) {
    setCondition(status, newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused', now));
    return true;
  }
  if (!d.spec?.paused && pausedCond) {
    setCondition(status, newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed', now));
    return true;
  }
  return false;
}
