/**
 * Revision history cleanup (upstream `sync.go#cleanupDeployment`): beyond
 * `revisionHistoryLimit`, the oldest revisions go, but only ReplicaSets with no
 * replicas (spec and status), an observed generation and no deletion under way.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { byRevision, replicasOf } from './util.js';

/**
 * Names of the old ReplicaSets to delete.
 *
 * @example
 * planHistoryCleanup(d /* revisionHistoryLimit 1 *\/, [rev1, rev2, rev3]) // ['web-rev1', 'web-rev2'] if both are empty
 */
export function planHistoryCleanup(d: Deployment, oldRSs: readonly ReplicaSet[]): string[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  const sorted = [...alive].sort(byRevision);
  const out: string[] = [];
  for (let i = 0; i < diff; i++) {
    const rs = sorted[i]!;
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue;
    if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    out.push(rs.metadata?.name ?? '');
  }
  return out;
}
