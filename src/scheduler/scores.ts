/**
 * Scoring (upstream score plugins of the default profile, with their default
 * weights): NodeResourcesFit LeastAllocated (1), NodeResourcesBalancedAllocation
 * (1), TaintToleration on PreferNoSchedule taints (3), preferred NodeAffinity (2),
 * InterPodAffinity (2, computed in `inter-pod-affinity.ts`), and spreading of pods with the same controlling owner across nodes (2, in the
 * place of PodTopologySpread's default hostname constraint). Each plugin scores
 * 0–100 after normalising over the feasible nodes; ties are broken at random.
 */
import type { NodeSelectorTerm, Toleration } from 'kubernetes-types/core/v1.js';
import { nodeSelectorTermMatches, taintTolerated } from '../api/scheduling.js';
import type { PodToSchedule } from './filters.js';
import type { NodeInfo } from './node-info.js';

/** Upstream `MaxNodeScore`. */
export const MAX_NODE_SCORE = 100;

function freeShare(requested: number, capacity: number): number {
  return capacity === 0 || requested > capacity ? 0 : Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Share of free capacity after placing the pod, averaged over cpu and memory (non-zero requests). */
export function leastAllocatedScore(p: PodToSchedule, n: NodeInfo): number {
  const cpu = freeShare(n.nonZeroRequested.milliCPU + p.requests.nonZeroMilliCPU, n.allocatable.milliCPU);
  const mem = freeShare(n.nonZeroRequested.memory + p.requests.nonZeroMemory, n.allocatable.memory);
  return Math.floor((cpu + mem) / 2);
}

/** 100 × (1 − std. deviation of the cpu and memory fractions), so nodes used evenly score higher. */
export function balancedAllocationScore(p: PodToSchedule, n: NodeInfo): number {
  const cpuCap = n.allocatable.milliCPU;
  const memCap = n.allocatable.memory;
  // With fewer than two resources there is nothing to balance.
  if (cpuCap === 0 || memCap === 0) return MAX_NODE_SCORE;
  const cpu = Math.min(1, (n.requested.milliCPU + p.requests.milliCPU) / cpuCap);
  const mem = Math.min(1, (n.requested.memory + p.requests.memory) / memCap);
  return Math.floor((1 - Math.abs(cpu - mem) / 2) * MAX_NODE_SCORE);
}

/** Raw TaintToleration score: untolerated PreferNoSchedule taints (fewer is better). */
export function preferNoScheduleCount(p: PodToSchedule, n: NodeInfo, tolerations: readonly Toleration[] = preferNoScheduleTolerations(p)): number {
  const taints = n.node?.spec?.taints;
  if (!taints || taints.length === 0) return 0;
  let count = 0;
  for (const t of taints) if (t.effect === 'PreferNoSchedule' && !taintTolerated(t, tolerations)) count++;
  return count;
}

/** The pod's tolerations that can tolerate a PreferNoSchedule taint. */
export function preferNoScheduleTolerations(p: PodToSchedule): Toleration[] {
  const out: Toleration[] = [];
  for (const t of p.pod.spec?.tolerations ?? []) if (!t.effect || t.effect === 'PreferNoSchedule') out.push(t);
  return out;
}

/** Raw NodeAffinity score: sum of the weights of matching preferred terms. */
export function preferredAffinityWeight(p: PodToSchedule, n: NodeInfo): number {
  const terms = p.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!terms) return 0;
  let sum = 0;
  for (const t of terms) if (n.node && t.weight !== 0 && nodeSelectorTermMatches(t.preference as NodeSelectorTerm, n.node)) sum += t.weight;
  return sum;
}

/** Raw spreading score: pods on the node with the same controlling owner (fewer is better). */
export function sameOwnerCount(p: PodToSchedule, n: NodeInfo): number {
  return n.ownerCount(p.owner);
}

/** Upstream `DefaultNormalizeScore`: scale to 0–100 by the maximum; `reverse` makes fewer better. */
export function normalize(scores: number[], reverse: boolean): number[] {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  const out = new Array<number>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const v = max === 0 ? 0 : Math.floor((MAX_NODE_SCORE * scores[i]!) / max);
    out[i] = reverse ? MAX_NODE_SCORE - v : v;
  }
  return out;
}

/**
 * Weighted total score of each node (same order as `nodes`). `interPodAffinity`: the
 * InterPodAffinity plugin's normalised scores (weight 2), when it did not skip.
 */
export function scoreNodes(p: PodToSchedule, nodes: readonly NodeInfo[], interPodAffinity?: readonly number[]): number[] {
  const k = nodes.length;
  const total = new Array<number>(k);
  const taints = new Array<number>(k);
  const affinity = new Array<number>(k);
  const spread = new Array<number>(k);
  const tolerations = preferNoScheduleTolerations(p);
  for (let i = 0; i < k; i++) {
    const n = nodes[i]!;
    total[i] = leastAllocatedScore(p, n) + balancedAllocationScore(p, n);
    taints[i] = preferNoScheduleCount(p, n, tolerations);
    affinity[i] = preferredAffinityWeight(p, n);
    spread[i] = p.owner ? sameOwnerCount(p, n) : 0;
  }
  const t = normalize(taints, true);
  const a = normalize(affinity, false);
  const s = normalize(spread, true);
  for (let i = 0; i < k; i++) total[i] = total[i]! + 3 * t[i]! + 2 * a[i]! + 2 * s[i]! + 2 * (interPodAffinity?.[i] ?? 0);
  return total;
}

/**
 * Index of a node with the highest score, chosen uniformly among ties
 * (upstream `selectHost`'s reservoir sampling). `random` returns [0, 1).
 */
export function selectHost(scores: readonly number[], random: () => number = Math.random): number {
  let best = -1;
  let bestScore = -Infinity;
  let ties = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s > bestScore) {
      best = i;
      bestScore = s;
      ties = 1;
    } else if (s === bestScore) {
      ties++;
      if (Math.floor(random() * ties) === 0) best = i;
    }
  }
  return best;
}
