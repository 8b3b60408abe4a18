/**
 * The scheduler's per-node bookkeeping (upstream `framework.NodeInfo`): the Node,
 * its parsed allocatable, and running totals of what the pods assigned to it
 * (including assumed ones) request, the host ports they hold and how many
 * belong to each owner. Totals change incrementally as pods come and go, so a
 * scheduling decision never re-reads every pod.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { resourceValue } from '../api/quantity.js';
import { emptyResources, isScalarResource, podHostPorts, podRequests, type HostPort, type PodRequests, type Resources } from './resources.js';
import { placedPodTerms, type PlacedPodTerms } from './inter-pod-affinity.js';

/** What the scheduler keeps of one pod. */
export interface PodInfo {
  /** `namespace/name`. */
  key: string;
  uid: string;
  nodeName: string;
  requests: PodRequests;
  ports: HostPort[];
  /** UID of the controlling owner, if any (for spreading). */
  owner?: string;
  /** `spec.priority`, default 0. */
  priority: number;
  namespace: string;
  labels: Readonly<Record<string, string>> | undefined;
  /** Has a deletionTimestamp (topology spread does not count it). */
  terminating: boolean;
  /** Its pod (anti-)affinity terms, when it has any (InterPodAffinity checks and scores newcomers against them). */
  terms?: PlacedPodTerms;
}

/** Projects a pod for the cache; `nodeName` defaults to `spec.nodeName`. */
export function podInfoOf(pod: Pod, nodeName = pod.spec?.nodeName ?? ''): PodInfo {
  const m = pod.metadata ?? {};
  return {
    key: `${m.namespace ?? ''}/${m.name ?? ''}`,
    uid: m.uid ?? '',
    nodeName,
    requests: podRequests(pod.spec ?? { containers: [] }),
    ports: podHostPorts(pod),
    owner: m.ownerReferences?.find((r) => r.controller)?.uid,
    priority: pod.spec?.priority ?? 0,
    namespace: m.namespace ?? '',
    labels: m.labels,
    terminating: !!m.deletionTimestamp,
    ...(pod.spec?.affinity?.podAffinity || pod.spec?.affinity?.podAntiAffinity ? { terms: placedPodTerms(pod) } : {}),
  };
}

/** Allocatable of a node; `pods` is the pod capacity. */
export interface Allocatable extends Resources {
  pods: number;
}

/** Parses `status.allocatable` (missing values count as 0, as upstream). */
export function allocatableOf(node: Node | undefined): Allocatable {
  const a: Allocatable = { ...emptyResources(), pods: 0 };
  for (const [name, q] of Object.entries(node?.status?.allocatable ?? {})) {
    const v = resourceValue(name, q as string);
    if (name === 'cpu') a.milliCPU = v;
    else if (name === 'memory') a.memory = v;
    else if (name === 'ephemeral-storage') a.ephemeralStorage = v;
    else if (name === 'pods') a.pods = v;
    else if (isScalarResource(name)) a.scalar.set(name, v);
  }
  return a;
}

const ANY_IP = '0.0.0.0';

/** One node and the running totals of the pods on it. */
export class NodeInfo {
  /** The Node object; undefined while only pods refer to it (deleted, or not yet seen). */
  node: Node | undefined;
  allocatable: Allocatable = { ...emptyResources(), pods: 0 };
  /** Sum of the pods' requests. */
  readonly requested: Resources = emptyResources();
  /** Sum of the pods' non-zero cpu/memory requests (for scoring). */
  readonly nonZeroRequested = { milliCPU: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  /** `protocol/port` → hostIP → number of pods holding it. */
  private readonly ports = new Map<string, Map<string, number>>();
  private readonly owners = new Map<string, number>();

  constructor(
    readonly name: string,
    node?: Node,
  ) {
    if (node) this.setNode(node);
  }

  /** Replaces the Node object (and re-parses allocatable). */
  setNode(node: Node | undefined): void {
    this.node = node;
    this.allocatable = allocatableOf(node);
  }

  /** Adds (or replaces) a pod and its requests. */
  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    this.apply(p, 1);
  }

  /** Removes a pod; returns it. */
  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    this.apply(p, -1);
    return p;
  }

  /** Pods on this node with the same controlling owner UID. */
  ownerCount(uid: string | undefined): number {
    return uid ? (this.owners.get(uid) ?? 0) : 0;
  }

  /**
   * Whether any wanted host port collides with one in use (upstream
   * `HostPortInfo.CheckConflict`): same protocol and port, and either side binds
   * 0.0.0.0 or both bind the same IP.
   */
  portsConflict(wanted: readonly HostPort[]): boolean {
    for (const w of wanted) {
      const used = this.ports.get(`${w.protocol}/${w.port}`);
      if (!used || used.size === 0) continue;
      if (w.hostIP === ANY_IP || used.has(ANY_IP) || used.has(w.hostIP)) return true;
    }
    return false;
  }

  private apply(p: PodInfo, sign: 1 | -1): void {
    const r = p.requests;
    this.requested.milliCPU += sign * r.milliCPU;
    this.requested.memory += sign * r.memory;
    this.requested.ephemeralStorage += sign * r.ephemeralStorage;
    for (const [k, v] of r.scalar) {
      const n = (this.requested.scalar.get(k) ?? 0) + sign * v;
      if (n === 0) this.requested.scalar.delete(k);
      else this.requested.scalar.set(k, n);
    }
    this.nonZeroRequested.milliCPU += sign * r.nonZeroMilliCPU;
    this.nonZeroRequested.memory += sign * r.nonZeroMemory;
    for (const hp of p.ports) {
      const k = `${hp.protocol}/${hp.port}`;
      let m = this.ports.get(k);
      if (!m) this.ports.set(k, (m = new Map()));
      const n = (m.get(hp.hostIP) ?? 0) + sign;
      if (n <= 0) m.delete(hp.hostIP);
      else m.set(hp.hostIP, n);
      if (m.size === 0) this.ports.delete(k);
    }
    if (p.owner) {
      const n = (this.owners.get(p.owner) ?? 0) + sign;
      if (n <= 0) this.owners.delete(p.owner);
      else this.owners.set(p.owner, n);
    }
  }
}
