/**
 * The pods of every DaemonSet, grouped by target node, kept current from pod events.
 * Upstream's `getNodesToDaemonPods` lists and groups a DaemonSet's pods on every sync; at
 * thousands of nodes a sync runs several times a second while pods start, so here the
 * grouping follows each pod event instead (O(1) per event) and a sync reads it as it is.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../../client/indexer.js';
import { countsOnNode, type NodePods } from './plan.js';
import { hasController, targetNodeName } from './pods.js';

interface OwnerPods {
  /** Every pod the owner controls, by pod key. */
  pods: Map<string, Pod>;
  /** Those with a target node, by node; as `groupPodsByNode`, terminal pods being deleted are left out. */
  byNode: NodePods;
}

const EMPTY: OwnerPods = { pods: new Map(), byNode: new Map() };

/**
 * `groupPodsByNode(pods controlled by uid)`, maintained incrementally. What it returns is
 * the live state: callers read it synchronously and never change it.
 *
 * @example
 * const index = new DaemonPodIndex();
 * index.upsert(undefined, pod);
 * index.byNode(ds.metadata.uid).get('node-1'); // [pod]
 */
export class DaemonPodIndex {
  private readonly owners = new Map<string, OwnerPods>();

  /** A pod was added (`old` undefined) or changed from `old` to `pod`. */
  upsert(old: Pod | undefined, pod: Pod): void {
    if (old) this.remove(old);
    const uid = hasController(pod)?.uid;
    if (!uid) return;
    let o = this.owners.get(uid);
    if (!o) this.owners.set(uid, (o = { pods: new Map(), byNode: new Map() }));
    o.pods.set(keyOf(pod), pod);
    const node = targetNodeName(pod);
    if (!node || !countsOnNode(pod)) return;
    const list = o.byNode.get(node);
    if (list) list.push(pod);
    else o.byNode.set(node, [pod]);
  }

  /** A pod is gone (its last known state). */
  remove(pod: Pod): void {
    const uid = hasController(pod)?.uid;
    if (!uid) return;
    const o = this.owners.get(uid);
    if (!o) return;
    const key = keyOf(pod);
    const stored = o.pods.get(key);
    if (!stored) return;
    o.pods.delete(key);
    const node = targetNodeName(stored);
    const list = node === undefined ? undefined : o.byNode.get(node);
    if (list) {
      const i = list.indexOf(stored);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) o.byNode.delete(node!);
    }
    if (o.pods.size === 0) this.owners.delete(uid);
  }

  /** The pods controlled by `uid`. */
  pods(uid: string): Iterable<Pod> {
    return (this.owners.get(uid) ?? EMPTY).pods.values();
  }

  /** The pods controlled by `uid` by target node. */
  byNode(uid: string): NodePods {
    return (this.owners.get(uid) ?? EMPTY).byNode;
  }
}
