/**
 * The PodTopologySpread filter (upstream `plugins/podtopologyspread`, hard constraints:
 * `whenUnsatisfiable: DoNotSchedule`). The PreFilter counts, per topology domain, the
 * pods in the pod's namespace that each constraint's selector matches (terminating pods
 * aside), over the nodes that carry every constraint's topology key and pass its node
 * inclusion policies (`nodeAffinityPolicy` Honor and `nodeTaintsPolicy` Ignore by
 * default). A node then fits when, for every constraint, placing the pod there keeps
 * `matching pods in its domain + (1 if the pod matches) - global minimum <= maxSkew`,
 * the global minimum being 0 while there are fewer eligible domains than `minDomains`.
 * `ScheduleAnyway` constraints only score upstream, and skiff does not score them.
 */
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { matchesSelector, newRequirement, type Selector } from '../api/labels.js';
import { doNotScheduleTaint, findUntoleratedTaint, podFitsNodeAffinity } from '../api/scheduling.js';
import type { SchedulerCache } from './cache.js';
import type { Verdict } from './filters.js';
import { pairKey, parseSelector } from './inter-pod-affinity.js';

/** Upstream reason strings. */
export const SPREAD_REASONS = {
  constraints: "node(s) didn't match pod topology spread constraints",
  missingLabel: "node(s) didn't match pod topology spread constraints (missing required label)",
} as const;

/** A hard constraint, parsed. */
interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  /** null: no labelSelector, which matches no pod. */
  selector: Selector | null;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

/** The PreFilter's counts for one incoming pod (upstream `preFilterState`). */
export interface SpreadState {
  constraints: Constraint[];
  /** Matching pods per `topologyKey\0value` of an eligible node (0 for an eligible domain without any). */
  counts: Map<string, number>;
  /** Per topology key: the number of eligible domains and the smallest count among them. */
  domains: Map<string, { num: number; min: number }>;
  /** Per constraint: whether the incoming pod itself matches its selector. */
  selfMatch: boolean[];
}

/** The selector of a constraint, with `matchLabelKeys` added as `key in (the pod's value)`. */
function constraintSelector(c: TopologySpreadConstraint, podLabels: Readonly<Record<string, string>>): Selector | null {
  let sel = parseSelector(c.labelSelector);
  if (sel === null) return null;
  for (const key of c.matchLabelKeys ?? []) {
    const v = podLabels[key];
    if (v === undefined) continue;
    const r = newRequirement(key, 'in', [v]);
    if (typeof r !== 'string') sel = [...sel, r];
  }
  return sel;
}

/** Upstream PreFilter: undefined (Skip) when the pod has no DoNotSchedule constraint. */
export function preFilterTopologySpread(pod: Pod, cache: SchedulerCache): SpreadState | undefined {
  const hard = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
  if (hard.length === 0) return undefined;
  const labels = pod.metadata?.labels ?? {};
  const ns = pod.metadata?.namespace ?? '';
  const constraints: Constraint[] = hard.map((c) => ({
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    minDomains: c.minDomains ?? 1,
    selector: constraintSelector(c, labels),
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
  }));
  const counts = new Map<string, number>();
  for (const n of cache.nodes()) {
    const node = n.node!;
    const nodeLabels = node.metadata?.labels ?? {};
    // Only nodes that carry every constraint's topology key take part.
    if (!constraints.every((c) => nodeLabels[c.topologyKey] !== undefined)) continue;
    for (const c of constraints) {
      if (c.honorNodeAffinity && !podFitsNodeAffinity(pod.spec ?? {}, node)) continue;
      if (c.honorNodeTaints && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, doNotScheduleTaint)) continue;
      let matching = 0;
      for (const other of n.pods.values()) if (!other.terminating && other.namespace === ns && matchesSelector(c.selector, other.labels)) matching++;
      const k = pairKey(c.topologyKey, nodeLabels[c.topologyKey]!);
      counts.set(k, (counts.get(k) ?? 0) + matching);
    }
  }
  const domains = new Map<string, { num: number; min: number }>();
  for (const [k, num] of counts) {
    const key = k.slice(0, k.indexOf('\u0000'));
    const d = domains.get(key);
    if (d) {
      d.num++;
      d.min = Math.min(d.min, num);
    } else domains.set(key, { num: 1, min: num });
  }
  return { constraints, counts, domains, selfMatch: constraints.map((c) => matchesSelector(c.selector, labels)) };
}

/** The reason a node (by its labels) fails the constraints, or undefined when it passes (upstream Filter). */
export function topologySpreadVerdict(state: SpreadState, nodeLabels: Readonly<Record<string, string>>): Verdict {
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i]!;
    const value = nodeLabels[c.topologyKey];
    if (value === undefined) return { code: 'UnschedulableAndUnresolvable', reason: SPREAD_REASONS.missingLabel };
    const d = state.domains.get(c.topologyKey);
    const min = !d || d.num < c.minDomains ? 0 : d.min;
    const skew = (state.counts.get(pairKey(c.topologyKey, value)) ?? 0) + (state.selfMatch[i] ? 1 : 0) - min;
    if (skew > c.maxSkew) return { code: 'Unschedulable', reason: SPREAD_REASONS.constraints };
  }
  return undefined;
}
