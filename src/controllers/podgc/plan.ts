/**
 * What the pod garbage collector removes (upstream `pkg/controller/podgc`), as a
 * pure function of the pods, the nodes the informer knows, and when each
 * orphan was first seen:
 * - terminated pods (Succeeded/Failed) beyond `terminatedPodThreshold`, oldest first;
 * - orphaned pods, bound to a node that no longer exists, once they have been
 *   orphans for the quarantine time (the controller re-checks the node with a GET);
 * - terminating pods that were never scheduled (nothing will ever finish them);
 * - terminating pods on a NotReady node tainted `node.kubernetes.io/out-of-service`.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';

/** The out-of-service taint (non-graceful node shutdown). */
export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

export interface PodGCInput {
  pods: readonly Pod[];
  nodes: ReadonlyMap<string, Node>;
  /** Orphan pod key → when it was first seen orphaned (ms); updated by the planner's caller. */
  orphanSince: ReadonlyMap<string, number>;
  now: number;
  /** Upstream `--terminated-pod-gc-threshold` (12,500); 0 turns that part off. */
  terminatedPodThreshold: number;
  /** How long a pod must stay orphaned before it is collected. Upstream 40 s. */
  quarantineMs: number;
}

export interface PodGCPlan {
  /** Terminated pods over the threshold, oldest first. */
  terminated: Pod[];
  /** Orphans past quarantine (still to be confirmed by reading the node). */
  orphaned: Pod[];
  /** Orphans seen now, to start their quarantine clock. */
  newOrphans: string[];
  unscheduledTerminating: Pod[];
  outOfServiceTerminating: Pod[];
}

/** `namespace/name` of a pod. */
export function podKey(p: Pod): string {
  return `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
}

function isTerminated(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function nodeReady(n: Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Upstream `byEvictionAndCreationTimestamp`: evicted pods first, then the oldest. */
function olderFirst(a: Pod, b: Pod): number {
  const ea = a.status?.reason === 'Evicted' ? 0 : 1;
  const eb = b.status?.reason === 'Evicted' ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return ta - tb || podKey(a).localeCompare(podKey(b));
}

/**
 * The plan for one pass.
 *
 * @example
 * planPodGC({ pods, nodes, orphanSince, now: Date.now(), terminatedPodThreshold: 12500, quarantineMs: 40_000 })
 */
export function planPodGC(input: PodGCInput): PodGCPlan {
  const plan: PodGCPlan = { terminated: [], orphaned: [], newOrphans: [], unscheduledTerminating: [], outOfServiceTerminating: [] };
  const terminated = input.pods.filter(isTerminated);
  if (input.terminatedPodThreshold > 0 && terminated.length > input.terminatedPodThreshold) {
    plan.terminated = [...terminated].sort(olderFirst).slice(0, terminated.length - input.terminatedPodThreshold);
  }
  const taken = new Set(plan.terminated.map(podKey));
  for (const p of input.pods) {
    const key = podKey(p);
    if (taken.has(key)) continue;
    const nodeName = p.spec?.nodeName;
    if (!nodeName) {
      if (p.metadata?.deletionTimestamp) plan.unscheduledTerminating.push(p);
      continue;
    }
    const node = input.nodes.get(nodeName);
    if (!node) {
      const since = input.orphanSince.get(key);
      if (since === undefined) plan.newOrphans.push(key);
      else if (input.now - since >= input.quarantineMs) plan.orphaned.push(p);
      continue;
    }
    if (p.metadata?.deletionTimestamp && !nodeReady(node) && node.spec?.taints?.some((t) => t.key === OUT_OF_SERVICE_TAINT)) {
      plan.outOfServiceTerminating.push(p);
    }
  }
  return plan;
}
