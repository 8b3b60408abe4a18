/**
 * The replica arithmetic of a Deployment, as plans of ReplicaSet resizes
 * (upstream `rolling.go`, `recreate.go` and `sync.go#scale`): how far the new
 * ReplicaSet may grow within maxSurge, how far old ones may shrink within
 * maxUnavailable (unhealthy replicas first), and proportional scaling of every
 * active ReplicaSet when the Deployment is resized mid-rollout. Pure functions;
 * the executor applies the ops in order.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import {
  byCreation,
  bySizeNewer,
  bySizeOlder,
  filterActive,
  findActiveOrLatest,
  intAnnotation,
  isRollingUpdate,
  isSaturated,
  MAX_REPLICAS_ANNOTATION,
  maxSurge,
  maxUnavailable,
  replicasOf,
  scaledValue,
  sumAvailableReplicas,
  sumSpecReplicas,
} from './util.js';

/** Resize ReplicaSet `name` to `to` replicas. */
export interface ScaleOp {
  name: string;
  to: number;
  /**
   * Event verb; when set, the ReplicaSet is written even if its size is unchanged (its
   * replica annotations may be stale), as upstream `scaleReplicaSet`. When unset the op
   * is skipped for an unchanged size and the verb follows the direction.
   */
  operation?: 'up' | 'down' | '';
}

function withReplicas(rs: ReplicaSet, n: number): ReplicaSet {
  return { ...rs, spec: { ...rs.spec!, replicas: n } };
}

/**
 * The size the new ReplicaSet should grow to now (upstream `NewRSNewReplicas`):
 * RollingUpdate: up to `replicas + maxSurge` pods in all, never past `replicas`;
 * Recreate: `replicas`.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const want = replicasOf(d);
  if (!isRollingUpdate(d)) return want;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', want, true);
  const current = sumSpecReplicas(allRSs);
  const maxTotal = want + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, want - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/**
 * How the old ReplicaSets shrink in one rolling-update step (upstream
 * `reconcileOldReplicaSets`): at most `all - minAvailable - newRSUnavailable` pods go;
 * first replicas that are not available (oldest ReplicaSet first), then available ones
 * while more than `replicas - maxUnavailable` stay available.
 *
 * @example
 * // 10 replicas, 25%/25%: old has 10 available, new has 3 not yet available → old 10→8
 * planOldReplicaSetsScaleDown(d, oldRSs, newRS)
 */
export function planOldReplicaSetsScaleDown(d: Deployment, oldRSs: readonly ReplicaSet[], newRS: ReplicaSet): ScaleOp[] {
  let olds = filterActive(oldRSs);
  const oldPods = sumSpecReplicas(olds);
  if (oldPods === 0) return [];
  const allPods = sumSpecReplicas([...olds, newRS]);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const ops: ScaleOp[] = [];
  // Unhealthy replicas first: removing them costs no availability.
  olds = [...olds].sort(byCreation);
  let cleaned = 0;
  olds = olds.map((rs) => {
    if (cleaned >= maxScaledDown) return rs;
    const spec = replicasOf(rs);
    const avail = rs.status?.availableReplicas ?? 0;
    if (spec === 0 || spec === avail) return rs;
    const n = Math.min(maxScaledDown - cleaned, spec - avail);
    cleaned += n;
    ops.push({ name: rs.metadata?.name ?? '', to: spec - n });
    return withReplicas(rs, spec - n);
  });
  const available = sumAvailableReplicas([...olds, newRS]);
  if (available <= minAvailable) return ops;
  const total = available - minAvailable;
  let done = 0;
  for (const rs of [...olds].sort(byCreation)) {
    if (done >= total) break;
    const spec = replicasOf(rs);
    if (spec === 0) continue;
    const n = Math.min(spec, total - done);
    ops.push({ name: rs.metadata?.name ?? '', to: spec - n });
    done += n;
  }
  return ops;
}

/** Upstream `getReplicaSetFraction`: this ReplicaSet's share of a resize, from its max-replicas annotation. */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const want = replicasOf(d);
  if (want === 0) return -replicasOf(rs);
  const maxNow = want + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? 0;
  if (before === 0) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  const size = (replicasOf(rs) * maxNow) / before;
  const rounded = size < 0 ? Math.trunc(size - 0.5) : Math.trunc(size + 0.5);
  return rounded - replicasOf(rs);
}

/** Upstream `GetProportion`: the fraction, bounded by what is still left to add or remove. */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Resizes for a scaling event or a paused Deployment (upstream `scale`): one active
 * ReplicaSet takes the whole count; a saturated new ReplicaSet empties the old ones;
 * otherwise (RollingUpdate) the difference to `replicas + maxSurge` is spread over the
 * active ReplicaSets in proportion to their size, the rest to the largest.
 *
 * @example
 * // 10→15 replicas (25% surge) mid-rollout, old 8 / new 5 annotated max-replicas 13: old 8→12, new 5→7
 * planScale(d, newRS, [old])
 */
export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleOp[] {
  const want = replicasOf(d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) return replicasOf(single) === want ? [] : [{ name: single.metadata?.name ?? '', to: want }];
  if (isSaturated(d, newRS)) return filterActive(oldRSs).map((rs) => ({ name: rs.metadata?.name ?? '', to: 0 }));
  if (!isRollingUpdate(d)) return [];
  const all = filterActive([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(all);
  let operation: 'up' | 'down' | '' = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return replicasOf(rs);
    const p = proportion(rs, d, toAdd, added);
    added += p;
    return replicasOf(rs) + p;
  });
  if (toAdd !== 0 && sizes.length) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  return all.map((rs, i) => ({ name: rs.metadata?.name ?? '', to: sizes[i]!, operation }));
}

/** Recreate, step one: every active old ReplicaSet to 0. */
export function planRecreateScaleDown(oldRSs: readonly ReplicaSet[]): ScaleOp[] {
  return filterActive(oldRSs).map((rs) => ({ name: rs.metadata?.name ?? '', to: 0 }));
}
