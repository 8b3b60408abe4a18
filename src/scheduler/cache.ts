/**
 * The scheduler cache (upstream `internal/cache`): every Node and every assigned
 * pod, filed under its node, plus the pods this scheduler has *assumed* onto a
 * node while their binding is in flight or not yet seen by the informer. An
 * assumed pod counts against its node like any other, so two pods decided a
 * millisecond apart never both take the last slot. The informer's view of a
 * pod replaces the assumption when it arrives.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { sameLabels } from '../api/labels.js';
import { NodeInfo, podInfoOf, type PodInfo } from './node-info.js';

interface Entry {
  info: PodInfo;
  assumed: boolean;
}

/** Whether a pod has finished and no longer holds resources. */
export function podTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Nodes and assigned pods. Not thread-safe by design: JavaScript runs one decision at a time. */
export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  /** Infos that have a Node, in a stable order for round-robin scans. */
  private readonly order: NodeInfo[] = [];
  private readonly position = new Map<string, number>();
  private readonly pods = new Map<string, Entry>();
  /** Placed pods with required anti-affinity (upstream `PodsWithRequiredAntiAffinity`). */
  private readonly withAntiAffinity = new Set<PodInfo>();
  /** Placed pods with any pod (anti-)affinity term (upstream `PodsWithAffinity`). */
  private readonly withAffinity = new Set<PodInfo>();

  /** Number of Nodes. */
  nodeCount(): number {
    return this.order.length;
  }

  /** The i-th node in scan order (0 ≤ i < nodeCount()). */
  nodeAt(i: number): NodeInfo {
    return this.order[i]!;
  }

  /** Every node that has a Node object, in scan order. */
  nodes(): readonly NodeInfo[] {
    return this.order;
  }

  /** The placed (or assumed) pods that have required pod anti-affinity terms. */
  podsWithRequiredAntiAffinity(): ReadonlySet<PodInfo> {
    return this.withAntiAffinity;
  }

  /** The placed (or assumed) pods that have any pod (anti-)affinity term. */
  podsWithAffinity(): ReadonlySet<PodInfo> {
    return this.withAffinity;
  }

  /** The NodeInfo of a Node that exists, or undefined. */
  node(name: string): NodeInfo | undefined {
    const ni = this.infos.get(name);
    return ni?.node ? ni : undefined;
  }

  /** Adds or replaces a Node. */
  setNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    let ni = this.infos.get(name);
    if (!ni) this.infos.set(name, (ni = new NodeInfo(name)));
    ni.setNode(node);
    if (!this.position.has(name)) {
      this.position.set(name, this.order.length);
      this.order.push(ni);
    }
  }

  /** Removes a Node; its pods stay counted until they go (upstream keeps such "ghost" node infos). */
  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (!ni) return;
    ni.setNode(undefined);
    const i = this.position.get(name);
    if (i !== undefined) {
      const last = this.order.pop()!;
      if (last !== ni) {
        this.order[i] = last;
        this.position.set(last.name, i);
      }
      this.position.delete(name);
    }
    if (ni.pods.size === 0) this.infos.delete(name);
  }

  /**
   * Records the informer's view of a pod: assigned and running pods are counted on
   * their node (confirming an assumption), terminal or unassigned ones are dropped
   * unless assumed.
   */
  setPod(pod: Pod): void {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const nodeName = pod.spec?.nodeName;
    const cur = this.pods.get(key);
    if (!nodeName || podTerminal(pod)) {
      if (cur && !(cur.assumed && !nodeName)) this.removePod(key);
      return;
    }
    // Pod resources do not change once assigned: a known pod on the same node is only confirmed
    // (its labels may change, and pod affinity reads them; topology spread skips terminating pods).
    if (cur && cur.info.nodeName === nodeName && cur.info.uid === pod.metadata?.uid && sameLabels(cur.info.labels, pod.metadata?.labels) && cur.info.terminating === !!pod.metadata?.deletionTimestamp) {
      cur.assumed = false;
      return;
    }
    this.place(podInfoOf(pod), false);
  }

  /** Forgets a pod (deleted). */
  removePod(key: string): PodInfo | undefined {
    const cur = this.pods.get(key);
    if (!cur) return undefined;
    this.pods.delete(key);
    this.withAntiAffinity.delete(cur.info);
    this.withAffinity.delete(cur.info);
    const ni = this.infos.get(cur.info.nodeName);
    ni?.removePod(key);
    if (ni && !ni.node && ni.pods.size === 0) this.infos.delete(ni.name);
    return cur.info;
  }

  /** Counts `info` on `info.nodeName` before the binding is confirmed. */
  assume(info: PodInfo): void {
    this.place(info, true);
  }

  /** Drops an assumption (the binding failed); a confirmed pod is left alone. */
  forget(key: string): void {
    if (this.pods.get(key)?.assumed) this.removePod(key);
  }

  /** True while `key` is assumed and not yet confirmed by the informer. */
  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  /** The cached pod under `key`. */
  pod(key: string): PodInfo | undefined {
    return this.pods.get(key)?.info;
  }

  private place(info: PodInfo, assumed: boolean): void {
    const cur = this.pods.get(info.key);
    if (cur) {
      this.withAntiAffinity.delete(cur.info);
      this.withAffinity.delete(cur.info);
      const old = this.infos.get(cur.info.nodeName);
      old?.removePod(info.key);
      if (old && !old.node && old.pods.size === 0) this.infos.delete(old.name);
    }
    let ni = this.infos.get(info.nodeName);
    if (!ni) this.infos.set(info.nodeName, (ni = new NodeInfo(info.nodeName)));
    ni.addPod(info);
    if (info.terms) this.withAffinity.add(info);
    if (info.terms?.antiAffinity) this.withAntiAffinity.add(info);
    this.pods.set(info.key, { info, assumed });
  }
}
