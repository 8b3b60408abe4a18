/**
 * Adoption and release by controller owner references (upstream
 * `pkg/controller/controller_ref_manager.go`): an owner claims the objects its
 * selector matches that have no controller, and lets go of the ones it controls
 * that stopped matching. {@link planClaims} decides; the patch bodies make the
 * change safe against a lagging cache (strategic merge by owner uid, plus the
 * object's own uid). Used by the ReplicaSet (pods) and Deployment (ReplicaSets)
 * controllers.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../client/client.js';
import { controllerOf } from './pods.js';

/** What an owner does with each candidate object. */
export interface ClaimPlan<T> {
  /** Already controlled by the owner and still matching: keep. */
  owned: T[];
  /** Orphans that match: adopt (then they count as owned). */
  adopt: T[];
  /** Controlled by the owner but no longer matching: release. */
  release: T[];
}

/**
 * Sorts `candidates` into owned / adopt / release for `owner`. Objects controlled by
 * someone else are ignored; a deleting owner adopts and releases nothing; objects
 * being deleted are never adopted.
 *
 * @example
 * const { owned, adopt, release } = planClaims(rs, (p) => matchesLabelSelector(sel, p.metadata?.labels), pods);
 */
export function planClaims<T extends KubeObject>(owner: KubeObject, matches: (obj: T) => boolean, candidates: readonly T[]): ClaimPlan<T> {
  const plan: ClaimPlan<T> = { owned: [], adopt: [], release: [] };
  const uid = owner.metadata?.uid;
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  for (const obj of candidates) {
    const ref = controllerOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches(obj)) plan.owned.push(obj);
      else if (!ownerDeleting) plan.release.push(obj);
      continue;
    }
    if (ownerDeleting || !matches(obj) || obj.metadata?.deletionTimestamp) continue;
    plan.adopt.push(obj);
  }
  return plan;
}

/** Strategic merge patch that adds `ref` as the controller of the object with uid `objUid`. */
export function adoptPatch(ref: OwnerReference, objUid: string): unknown {
  return { metadata: { ownerReferences: [ref], uid: objUid } };
}

/** Strategic merge patch that removes the owner reference with uid `ownerUid`. */
export function releasePatch(ownerUid: string, objUid: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: objUid } };
}
