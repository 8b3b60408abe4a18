/**
 * The dependency graph of the garbage collector (upstream `graph_builder.go`):
 * every observed object by uid, and for every owner uid (observed or not) the uids
 * of the objects whose ownerReferences point at it. {@link changeTriggers} is the
 * pure rule that says which uids an observed change puts on the work queue.
 */
import type { KubeObject } from '../../client/client.js';
import type { ResourceInfo } from '../../api/resources.js';
import { isDeletingDependents, isOrphaning, type GcObject } from './plan.js';

/**
 * The GC's projection of an API object, or undefined when it has no uid or name.
 * Cluster-scoped objects get namespace ''.
 */
export function toGcObject(obj: KubeObject, info: ResourceInfo): GcObject | undefined {
  const m = obj.metadata;
  if (!m?.uid || !m.name) return undefined;
  return {
    uid: m.uid,
    info,
    namespace: info.namespaced ? (m.namespace ?? '') : '',
    name: m.name,
    ownerReferences: m.ownerReferences ?? [],
    deleting: Boolean(m.deletionTimestamp),
    finalizers: m.finalizers ?? [],
    resourceVersion: m.resourceVersion,
  };
}

/**
 * uid → object, and owner uid → dependent uids. Owners need not be observed: a
 * dependent's edge exists as long as its reference does.
 */
export class Graph {
  private readonly nodes = new Map<string, GcObject>();
  private readonly dependentsOf = new Map<string, Set<string>>();

  /** The object with `uid`, or undefined when it is not observed. */
  get(uid: string): GcObject | undefined {
    return this.nodes.get(uid);
  }

  /** Number of observed objects. */
  size(): number {
    return this.nodes.size;
  }

  /** Every observed object. */
  list(): GcObject[] {
    return [...this.nodes.values()];
  }

  /** The observed objects that reference `ownerUID`. */
  dependents(ownerUID: string): GcObject[] {
    const out: GcObject[] = [];
    for (const uid of this.dependentsOf.get(ownerUID) ?? []) {
      const n = this.nodes.get(uid);
      if (n) out.push(n);
    }
    return out;
  }

  /** Inserts or replaces `obj`; returns the previous version. */
  upsert(obj: GcObject): GcObject | undefined {
    const prev = this.nodes.get(obj.uid);
    if (prev) this.unlink(prev);
    this.nodes.set(obj.uid, obj);
    for (const r of obj.ownerReferences) {
      let set = this.dependentsOf.get(r.uid);
      if (!set) this.dependentsOf.set(r.uid, (set = new Set()));
      set.add(obj.uid);
    }
    return prev;
  }

  /** Removes the object with `uid`; returns it. Edges to it from its dependents stay. */
  remove(uid: string): GcObject | undefined {
    const prev = this.nodes.get(uid);
    if (!prev) return undefined;
    this.unlink(prev);
    this.nodes.delete(uid);
    return prev;
  }

  private unlink(obj: GcObject): void {
    for (const r of obj.ownerReferences) {
      const set = this.dependentsOf.get(r.uid);
      if (!set) continue;
      set.delete(obj.uid);
      if (set.size === 0) this.dependentsOf.delete(r.uid);
    }
  }
}

function sameRefs(a: GcObject, b: GcObject): boolean {
  return JSON.stringify(a.ownerReferences) === JSON.stringify(b.ownerReferences);
}

/**
 * The uids to (re)consider after an observed change, `prev` → `cur` (add and delete
 * have a missing side), judged against `graph` *after* the change was applied:
 * - the object itself when it starts orphaning or deleting its dependents, when its
 *   references change, or (when new) when an owner is not observed or is itself
 *   waiting for its dependents;
 * - all its dependents when it starts deleting them, or when it is gone (their
 *   reference may now dangle);
 * - its owners (before and after) that wait for their dependents, when its
 *   references change or it is gone (it may have stopped blocking them).
 */
export function changeTriggers(prev: GcObject | undefined, cur: GcObject | undefined, graph: Graph): string[] {
  const out = new Set<string>();
  const waitingOwners = (o: GcObject): void => {
    for (const r of o.ownerReferences) {
      const owner = graph.get(r.uid);
      if (owner && isDeletingDependents(owner)) out.add(owner.uid);
    }
  };
  if (!cur) {
    if (!prev) return [];
    for (const d of graph.dependents(prev.uid)) out.add(d.uid);
    waitingOwners(prev);
    return [...out];
  }
  const orphaning = isOrphaning(cur) && !(prev && isOrphaning(prev));
  const foreground = isDeletingDependents(cur) && !(prev && isDeletingDependents(prev));
  if (orphaning || foreground) out.add(cur.uid);
  if (foreground) for (const d of graph.dependents(cur.uid)) out.add(d.uid);
  if (!prev) {
    const ownerNeedsCheck = cur.ownerReferences.some((r) => {
      const owner = graph.get(r.uid);
      return !owner || isDeletingDependents(owner);
    });
    if (ownerNeedsCheck) out.add(cur.uid);
  } else if (!sameRefs(prev, cur)) {
    out.add(cur.uid);
    waitingOwners(prev);
    waitingOwners(cur);
  }
  return [...out];
}
