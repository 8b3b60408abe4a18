/**
 * Scoring (upstream score plugins of the default profile, with their default
 * weights): NodeResourcesFit LeastAllocated (1), NodeResourcesBalancedAllocation
 * (1), TaintToleration on PreferNoSchedule taints (3), preferred NodeAffinity (2),
 * and spreading of pods with the same controlling owner across nodes (2, in the
 * place of PodTopologySpread's default hostname constraint). Each plugin scores
 * 0–100 after normalising over the feasible nodes; ties are broken at random.
 */
import type { NodeSelectorTerm } from 'kubernetes-types/core/v1.js';
import { nodeSelectorTermMatches, taintTolerated } from '../api/scheduling.js';
import type { PodToSchedule } from './filters.js';
import type { NodeInfo } from './node-info.js';

/** Upstream `MaxNodeScore`. */
export const MAX_NODE_SCORE = 100;

/** Share of free capacity after placing the pod, averaged over cpu and memory (non-zero requests). */
export function leastAllocatedScore(p: PodToSchedule, n: NodeInfo): number {
  const one = (requested: number, capacity: number): number => (capacity === 0 || requested > capacity ? 0 : Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity));
  const cpu = one(n.nonZeroRequested.milliCPU + p.requests.nonZeroMilliCPU, n.allocatable.milliCPU);
  const mem = one(n.nonZeroRequested.memory + p.requests.nonZeroMemory, n.allocatable.memory);
  return Math.floor((cpu + mem) / 2);
}

/** 100 × (1 − std. deviation of the cpu and memory fractions), so nodes used evenly score higher. */
export function balancedAllocationScore(p: PodToSchedule, n: NodeInfo): number {
  const fractions: number[] = [];
  const frac = (requested: number, capacity: number): void => {
    if (capacity === 0) return;
    fractions.push(Math.min(1, requested / capacity));
  };
  frac(n.requested.milliCPU + p.requests.milliCPU, n.allocatable.milliCPU);
  frac(n.requested.memory + p.requests.memory, n.allocatable.memory);
  let std = 0;
  if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
  return Math.floor((1 - std) * MAX_NODE_SCORE);
}

/** Raw TaintToleration score: untolerated PreferNoSchedule taints (fewer is better). */
export function preferNoScheduleCount(p: PodToSchedule, n: NodeInfo): number {
  const tolerations = (p.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  let count = 0;
  for (const t of n.node?.spec?.taints ?? []) if (t.effect === 'PreferNoSchedule' && !taintTolerated(t, tolerations)) count++;
  return count;
}

/** Raw NodeAffinity score: sum of the weights of matching preferred terms. */
export function preferredAffinityWeight(p: PodToSchedule, n: NodeInfo): number {
  const terms = p.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
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
  const max = Math.max(0, ...scores);
  if (max === 0) return scores.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return scores.map((s) => {
    const v = Math.floor((MAX_NODE_SCORE * s) / max);
    return reverse ? MAX_NODE_SCORE - v : v;
  });
}

/** Weighted total score of each node (same order as `nodes`). */
export function scoreNodes(p: PodToSchedule, nodes: readonly NodeInfo[]): number[] {
  const least = nodes.map((n) => leastAllocatedScore(p, n));
  const balanced = nodes.map((n) => balancedAllocationScore(p, n));
  const taints = normalize(
    nodes.map((n) => preferNoScheduleCount(p, n)),
    true,
  );
  const affinity = normalize(
    nodes.map((n) => preferredAffinityWeight(p, n)),
    false,
  );
  const spread = p.owner
    ? normalize(
        nodes.map((n) => sameOwnerCount(p, n)),
        true,
      )
    : nodes.map(() => MAX_NODE_SCORE);
  return nodes.map((_, i) => least[i]! + balanced[i]! + 3 * taints[i]! + 2 * affinity[i]! + 2 * spread[i]!);
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
