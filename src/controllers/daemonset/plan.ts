/**
 * The DaemonSet controller's decisions as pure functions over a snapshot of
 * the world (upstream `manage`/`podsShouldBeOnNode`, `rollingUpdate`,
 * `updateDaemonSetStatus`, `syncNodes`' slow start). The predicate verdict of
 * every node is computed once per sync ({@link nodeVerdicts}) and handed to
 * every planner, so creates, deletes and status use the same answer.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { daemonSetPredicate, type NodeVerdict } from './predicate.js';
import { REVISION_HASH_LABEL, compareDaemonPods, isPodAvailable, isPodReady, isPodUpdated, targetNodeName, templateGeneration } from './pods.js';

/** Verdict of every existing node, by name. */
export type NodeVerdicts = Map<string, NodeVerdict>;
/** The DaemonSet's pods by target node. */
export type NodePods = Map<string, Pod[]>;

/**
 * Runs the predicate once for every node. `cache` keeps verdicts by Node object across
 * calls; the caller must drop it when the DaemonSet's pod template changes.
 */
export function nodeVerdicts(nodes: readonly Node[], ds: DaemonSet, cache?: WeakMap<Node, NodeVerdict>): NodeVerdicts {
  const out: NodeVerdicts = new Map();
  let judge: ((n: Node) => NodeVerdict) | undefined;
  for (const n of nodes) {
    const name = n.metadata?.name;
    if (!name) continue;
    let v = cache?.get(n);
    if (!v) {
      v = (judge ??= daemonSetPredicate(ds))(n);
      cache?.set(n, v);
    }
    out.set(name, v);
  }
  return out;
}

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
}

/** Whether `groupPodsByNode` counts a pod on its node: a terminal pod already being deleted is left out. */
export function countsOnNode(p: Pod): boolean {
  return !(p.metadata?.deletionTimestamp && isTerminal(p));
}

/**
 * Upstream `getNodesToDaemonPods`: the pods grouped by target node (bound node, else
 * the node-name affinity). Terminal pods already being deleted are left out unless
 * `includeDeletedTerminal`; pods with no target node are left out.
 */
export function groupPodsByNode(pods: readonly Pod[], includeDeletedTerminal = false): NodePods {
  const out: NodePods = new Map();
  for (const p of pods) {
    if (!includeDeletedTerminal && !countsOnNode(p)) continue;
    const node = targetNodeName(p);
    if (!node) continue;
    const list = out.get(node);
    if (list) list.push(p);
    else out.set(node, [p]);
  }
  return out;
}

/** Upstream `intstr.GetScaledValueFromIntOrPercent`: an int as is, `N%` of `total` rounded up or down. Throws on nonsense. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) throw new Error('nil value for IntOrString');
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** Upstream `SurgeCount`: 0 unless RollingUpdate with a maxSurge. */
export function surgeCount(ds: DaemonSet, n: number): number {
  const us = ds.spec?.updateStrategy;
  if ((us?.type ?? 'RollingUpdate') !== 'RollingUpdate' || us?.rollingUpdate?.maxSurge === undefined) return 0;
  return scaledValue(us.rollingUpdate.maxSurge, n, true);
}

/** Upstream `UnavailableCount`: 0 unless RollingUpdate. */
export function unavailableCount(ds: DaemonSet, n: number): number {
  const us = ds.spec?.updateStrategy;
  if ((us?.type ?? 'RollingUpdate') !== 'RollingUpdate' || !us?.rollingUpdate) return 0;
  return scaledValue(us.rollingUpdate.maxUnavailable ?? 1, n, true);
}

/** Upstream `AllowsSurge`: more than one pod per node may exist during an update. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) > 0;
  } catch {
    return false;
  }
}

/** A failed daemon pod the planner wants gone, and the node it ran on. */
export interface FailedPod {
  pod: Pod;
  node: string;
}

/** What {@link planManage} decided. */
export interface ManagePlan {
  /** Nodes that need a new daemon pod. */
  nodesNeedingPods: string[];
  /** Pods to delete gracefully (excess, ineligible node, succeeded, failed). */
  podsToDelete: Pod[];
  /** Failed pods among `podsToDelete` (each deserves a `FailedDaemonPod` event and a back-off step). */
  failedPods: FailedPod[];
  /** Pods whose node no longer exists: deleted at once (grace 0), as upstream's pod GC does for orphans. */
  orphanedPods: Pod[];
  /** Failed pods held back by back-off: look again after this many ms. */
  retryAfterMs?: number;
}

/**
 * Upstream `manage` + `podsShouldBeOnNode` + `getUnscheduledPodsWithoutNode`, for every
 * node. `failedBackoffMs(node)` tells how long a failed pod on `node` must still wait
 * before being deleted (0: delete now).
 */
export function planManage(
  ds: DaemonSet,
  verdicts: NodeVerdicts,
  byNode: NodePods,
  hash: string,
  nowMs: number,
  failedBackoffMs: (node: string) => number = () => 0,
): ManagePlan {
  const plan: ManagePlan = { nodesNeedingPods: [], podsToDelete: [], failedPods: [], orphanedPods: [] };
  const surge = allowsSurge(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const [node, { shouldRun, shouldContinueRunning }] of verdicts) {
    const pods = byNode.get(node);
    if (shouldRun && !pods) {
      plan.nodesNeedingPods.push(node);
      continue;
    }
    if (!pods) continue;
    if (!shouldContinueRunning) {
      for (const p of pods) if (!p.metadata?.deletionTimestamp) plan.podsToDelete.push(p);
      continue;
    }
    const running: Pod[] = [];
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') {
        const wait = failedBackoffMs(node);
        if (wait > 0) {
          plan.retryAfterMs = Math.min(plan.retryAfterMs ?? Infinity, wait);
          continue;
        }
        plan.failedPods.push({ pod: p, node });
        plan.podsToDelete.push(p);
      } else if (p.status?.phase === 'Succeeded') {
        plan.podsToDelete.push(p);
      } else running.push(p);
    }
    running.sort(compareDaemonPods);
    if (!surge) {
      // Keep the oldest running pod; an empty node gets its pod once the others are gone.
      plan.podsToDelete.push(...running.slice(1));
      continue;
    }
    if (running.length <= 1) {
      if (running.length === 0 && shouldRun) plan.nodesNeedingPods.push(node);
      continue;
    }
    // Surging: keep at most the oldest new pod and the oldest old pod.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const p of running) {
      if (p.metadata?.labels?.[REVISION_HASH_LABEL] === hash) {
        if (!oldestNew) {
          oldestNew = p;
          continue;
        }
      } else if (!oldestOld) {
        oldestOld = p;
        continue;
      }
      plan.podsToDelete.push(p);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, nowMs))) plan.podsToDelete.push(oldestOld);
  }
  for (const [node, pods] of byNode) {
    if (verdicts.has(node)) continue;
    for (const p of pods) plan.orphanedPods.push(p);
  }
  return plan;
}

/** What {@link planRollingUpdate} decided. */
export interface RollingUpdatePlan {
  podsToDelete: Pod[];
  nodesNeedingPods: string[];
  maxUnavailable: number;
  maxSurge: number;
  desiredNumberScheduled: number;
}

function hasOutdatedPod(byNode: NodePods, hash: string, generation: number | undefined): boolean {
  for (const pods of byNode.values()) {
    for (const p of pods) if (!p.metadata?.deletionTimestamp && !isPodUpdated(p, hash, generation)) return true;
  }
  return false;
}

/** Upstream `findUpdatedPodsOnNode`: at most one live new and one live old pod, else not ok. */
function findUpdatedPodsOnNode(pods: readonly Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * Upstream `rollingUpdate` (with `updatedDesiredNodeCounts`). Without surge: delete
 * old pods while fewer than maxUnavailable desired nodes lack an available pod (old
 * unavailable pods always go); the manage pass creates their replacements. With
 * surge: create new pods beside old ones (at most maxSurge waiting at once; at once
 * where the old pod is unavailable) and delete an old pod when its new one is available.
 */
export function planRollingUpdate(ds: DaemonSet, verdicts: NodeVerdicts, byNode: NodePods, hash: string, nowMs: number): RollingUpdatePlan {
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let desired = 0;
  for (const v of verdicts.values()) if (v.shouldRun) desired++;
  let maxUnavailable = unavailableCount(ds, desired);
  const maxSurge = surgeCount(ds, desired);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const base = { maxUnavailable, maxSurge, desiredNumberScheduled: desired };
  // Every decision below acts on an old pod: with none left there is nothing to roll,
  // and thousands of node names need not be sorted to find that out.
  if (!hasOutdatedPod(byNode, hash, generation)) return { ...base, podsToDelete: [], nodesNeedingPods: [] };
  const nodes = new Map<string, Pod[]>(byNode);
  for (const [name, v] of verdicts) if (v.shouldRun && !nodes.has(name)) nodes.set(name, []);
  const names = [...nodes.keys()].sort();
  const available = (p: Pod): boolean => isPodAvailable(p, minReady, nowMs);

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const name of names) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(nodes.get(name)!, hash, generation);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          replacements.push(oldPod);
          numUnavailable++;
        } else if (numUnavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { ...base, podsToDelete: [...replacements, ...candidates.slice(0, remaining)], nodesNeedingPods: [] };
  }

  const toDelete: Pod[] = [];
  const shouldNotRun: Pod[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const name of names) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(nodes.get(name)!, hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod) {
      if (available(oldPod)) numAvailable++;
    } else if (newPod && available(newPod)) numAvailable++;
    if (!oldPod) continue;
    const shouldRun = verdicts.get(name)?.shouldRun ?? false;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun) toDelete.push(oldPod);
        else allowedNodes.push(name);
      } else if (!shouldRun) {
        shouldNotRun.push(oldPod);
      } else if (numSurge < maxSurge) {
        candidateNodes.push(name);
      }
      continue;
    }
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    toDelete.push(oldPod);
  }
  // With surge the owner expects full availability: a pod on a node that no longer
  // qualifies goes only once enough pods elsewhere are available.
  const deletable = Math.min(numAvailable - desired, shouldNotRun.length);
  if (deletable > 0) toDelete.push(...shouldNotRun.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  return { ...base, podsToDelete: toDelete, nodesNeedingPods: [...allowedNodes, ...candidateNodes.slice(0, remainingSurge)] };
}

/** The counters of `DaemonSetStatus` the controller computes. */
export interface DaemonSetCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

/**
 * Upstream `updateDaemonSetStatus`: for every node the predicate wants, whether it has
 * a pod and whether the oldest one is ready, available and updated; pods on nodes it
 * does not want are misscheduled.
 */
export function computeStatus(ds: DaemonSet, verdicts: NodeVerdicts, byNode: NodePods, hash: string, nowMs: number): DaemonSetCounts {
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const c: DaemonSetCounts = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0, numberUnavailable: 0 };
  for (const [name, v] of verdicts) {
    const pods = byNode.get(name) ?? [];
    if (!v.shouldRun) {
      if (pods.length > 0) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (pods.length === 0) continue;
    c.currentNumberScheduled++;
    const pod = pods.length === 1 ? pods[0]! : [...pods].sort(compareDaemonPods)[0]!;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, nowMs)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/**
 * Slow-start batch sizes for `n` creations (upstream `syncNodes`): 1, 2, 4, … summing
 * to `n`; the executor stops after the first batch with a failure.
 *
 * @example slowStartBatches(10) // [1, 2, 4, 3]
 */
export function slowStartBatches(n: number, initial = 1): number[] {
  const out: number[] = [];
  let size = Math.min(n, initial);
  for (let pos = 0; pos < n; ) {
    out.push(size);
    pos += size;
    size = Math.min(2 * size, n - pos);
  }
  return out;
}
