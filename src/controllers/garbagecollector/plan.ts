/**
 * The decisions of the garbage collector as pure functions (upstream
 * `pkg/controller/garbagecollector`: `classifyReferences`, `attemptToDeleteItem`,
 * `processDeletingDependentsItem`, `attemptToOrphanWorker`): given one object,
 * the state of its owners and its dependents, say what to do. The executor in
 * `garbagecollector.ts` does the I/O.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ResourceInfo } from '../../api/resources.js';

/** The finalizer that makes the GC remove the owner's references from its dependents first. */
export const ORPHAN_FINALIZER = 'orphan';
/** The finalizer that makes the GC delete the blocking dependents first. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Where an object lives: enough to GET, PATCH or DELETE it. */
export interface ObjectId {
  uid: string;
  info: ResourceInfo;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** What the GC knows about one object (a node of its graph). */
export interface GcObject extends ObjectId {
  ownerReferences: OwnerReference[];
  /** `metadata.deletionTimestamp` is set. */
  deleting: boolean;
  finalizers: string[];
  /** The resourceVersion it was read at, when known. */
  resourceVersion?: string;
}

/** True when `o` is being deleted in the foreground (waits for its blocking dependents). */
export function isDeletingDependents(o: Pick<GcObject, 'deleting' | 'finalizers'>): boolean {
  return o.deleting && o.finalizers.includes(FOREGROUND_FINALIZER);
}

/** True when `o` is being deleted with the `orphan` finalizer. */
export function isOrphaning(o: Pick<GcObject, 'deleting' | 'finalizers'>): boolean {
  return o.deleting && o.finalizers.includes(ORPHAN_FINALIZER);
}

/**
 * The state of one owner as seen by a dependent: `absent` (not found, or found with
 * another uid), `present` (and whether it waits for its dependents' deletion), or
 * `unresolvable` (a kind skiff does not serve, or a namespaced owner of a
 * cluster-scoped object: never a reason to delete).
 */
export type OwnerState =
  | { state: 'absent' }
  | { state: 'present'; deletingDependents: boolean }
  | { state: 'unresolvable'; reason: string };

/** A dependent's owner references, sorted by the state of the owner they point at. */
export interface ClassifiedReferences {
  /** The owner exists and is not being deleted in the foreground. */
  solid: OwnerReference[];
  /** The owner does not exist. */
  dangling: OwnerReference[];
  /** The owner exists, is being deleted and carries `foregroundDeletion`. */
  waitingForDependentsDeletion: OwnerReference[];
  /** The owner's kind is unknown; such references hold the dependent. */
  unresolvable: OwnerReference[];
}

/**
 * Sorts `refs` by the state `lookup` reports for each owner.
 *
 * @example
 * classifyReferences([ref], () => ({ state: 'absent' })).dangling; // [ref]
 */
export function classifyReferences(refs: readonly OwnerReference[], lookup: (ref: OwnerReference) => OwnerState): ClassifiedReferences {
  const out: ClassifiedReferences = { solid: [], dangling: [], waitingForDependentsDeletion: [], unresolvable: [] };
  for (const ref of refs) {
    const s = lookup(ref);
    if (s.state === 'absent') out.dangling.push(ref);
    else if (s.state === 'unresolvable') out.unresolvable.push(ref);
    else if (s.deletingDependents) out.waitingForDependentsDeletion.push(ref);
    else out.solid.push(ref);
  }
  return out;
}

/** One dependent of the item being planned, with the reference that points at the item. */
export interface DependentView {
  id: ObjectId;
  /** `blockOwnerDeletion` of the dependent's reference to the item. */
  blockOwnerDeletion: boolean;
  deleting: boolean;
  deletingDependents: boolean;
}

/** A deletion propagation policy. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** One step the executor performs, in order; it stops at the first failure. */
export type GcAction =
  | { type: 'removeOwnerReferences'; target: ObjectId; ownerUIDs: string[]; reason: 'orphan' | 'dangling' }
  | { type: 'unblockOwnerReferences'; target: ObjectId }
  | { type: 'removeFinalizer'; target: ObjectId; finalizer: typeof ORPHAN_FINALIZER | typeof FOREGROUND_FINALIZER }
  /** Deletes with a uid precondition, and a resourceVersion one when given (the object must not have changed since it was planned). */
  | { type: 'delete'; target: ObjectId; propagationPolicy: PropagationPolicy; resourceVersion?: string }
  | { type: 'enqueue'; uids: string[] };

/** The input of {@link plan}: the item (as read live), its dependents (from the graph) and its owners' states. */
export interface PlanInput {
  item: GcObject;
  dependents: DependentView[];
  /** State of each owner of the item; consulted only when the item's fate depends on its owners. */
  owners: (ref: OwnerReference) => OwnerState;
}

/** What {@link plan} decided, with the classification it used (for logs and tests). */
export interface Plan {
  actions: GcAction[];
  classified?: ClassifiedReferences;
}

/**
 * True when {@link plan} will consult the owners of `item` (so the executor only
 * resolves owners, with live GETs, when it matters).
 */
export function needsOwnerLookup(item: GcObject): boolean {
  return !item.deleting && item.ownerReferences.length > 0;
}

/** The propagation policy that honours the finalizers an object already carries. */
export function policyFromFinalizers(finalizers: readonly string[]): PropagationPolicy {
  if (finalizers.includes(ORPHAN_FINALIZER)) return 'Orphan';
  if (finalizers.includes(FOREGROUND_FINALIZER)) return 'Foreground';
  return 'Background';
}

/**
 * Decides what the GC does with one object:
 * - being deleted with `orphan`: strip the item's uid from every dependent's owner
 *   references, then remove the `orphan` finalizer;
 * - being deleted with `foregroundDeletion`: when no dependent blocks (a reference with
 *   `blockOwnerDeletion: true`), remove the finalizer; else make the blocking dependents
 *   reconsider themselves (they see a waiting owner and delete themselves);
 * - being deleted otherwise: nothing (the deletion is a one-way trip);
 * - with a solid owner: patch away dangling and waiting references, if any;
 * - with an owner waiting for its dependents and dependents of its own: delete in the
 *   foreground (unblocking its own references first if a dependent deletes in the
 *   foreground too, to break cycles);
 * - otherwise with owners, all gone or waiting: delete, honouring its own finalizers
 *   (Background by default).
 * An unresolvable owner reference (unknown kind) holds the item as a solid one would,
 * without any patch.
 */
export function plan(input: PlanInput): Plan {
  const { item, dependents } = input;
  const self = idOf(item);
  if (isOrphaning(item)) {
    const actions: GcAction[] = dependents.map((d) => ({ type: 'removeOwnerReferences', target: d.id, ownerUIDs: [item.uid], reason: 'orphan' }));
    actions.push({ type: 'removeFinalizer', target: self, finalizer: ORPHAN_FINALIZER });
    return { actions };
  }
  if (isDeletingDependents(item)) {
    const blocking = dependents.filter((d) => d.blockOwnerDeletion);
    if (blocking.length === 0) return { actions: [{ type: 'removeFinalizer', target: self, finalizer: FOREGROUND_FINALIZER }] };
    const uids = blocking.filter((d) => !d.deletingDependents).map((d) => d.id.uid);
    return { actions: uids.length ? [{ type: 'enqueue', uids }] : [] };
  }
  if (!needsOwnerLookup(item)) return { actions: [] };
  const classified = classifyReferences(item.ownerReferences, input.owners);
  const { solid, dangling, waitingForDependentsDeletion: waiting, unresolvable } = classified;
  if (solid.length > 0 || unresolvable.length > 0) {
    const ownerUIDs = [...dangling, ...waiting].map((r) => r.uid);
    // With only unresolvable references left we keep the object as it is: removing the
    // resolvable ones would lose information upstream keeps while it retries.
    if (ownerUIDs.length === 0 || solid.length === 0) return { actions: [], classified };
    return { actions: [{ type: 'removeOwnerReferences', target: self, ownerUIDs, reason: 'dangling' }], classified };
  }
  if (waiting.length > 0 && dependents.length > 0) {
    const actions: GcAction[] = [];
    if (dependents.some((d) => d.deletingDependents)) actions.push({ type: 'unblockOwnerReferences', target: self });
    actions.push({ type: 'delete', target: self, propagationPolicy: 'Foreground', resourceVersion: item.resourceVersion });
    return { actions, classified };
  }
  return { actions: [{ type: 'delete', target: self, propagationPolicy: policyFromFinalizers(item.finalizers), resourceVersion: item.resourceVersion }], classified };
}

/** The {@link ObjectId} part of an object. */
export function idOf(o: ObjectId): ObjectId {
  return { uid: o.uid, info: o.info, namespace: o.namespace, name: o.name };
}

/** `refs` without the references to `ownerUIDs` (the same array when nothing matches). */
export function withoutOwners(refs: readonly OwnerReference[], ownerUIDs: readonly string[]): OwnerReference[] {
  const drop = new Set(ownerUIDs);
  return refs.some((r) => drop.has(r.uid)) ? refs.filter((r) => !drop.has(r.uid)) : [...refs];
}

/** `refs` with `blockOwnerDeletion` cleared on every reference that set it. */
export function unblockedOwners(refs: readonly OwnerReference[]): OwnerReference[] {
  return refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
}

/** The view of `dependent` as a dependent of the owner `ownerUID`. */
export function dependentView(dependent: GcObject, ownerUID: string): DependentView {
  const ref = dependent.ownerReferences.find((r) => r.uid === ownerUID);
  return {
    id: idOf(dependent),
    blockOwnerDeletion: ref?.blockOwnerDeletion === true,
    deleting: dependent.deleting,
    deletingDependents: isDeletingDependents(dependent),
  };
}
