/**
 * The InterPodAffinity filter (upstream `plugins/interpodaffinity`, required terms only):
 * the incoming pod's `requiredDuringSchedulingIgnoredDuringExecution` pod affinity and
 * anti-affinity, and the required anti-affinity of pods already placed, against it.
 *
 * The PreFilter counts, per topology pair (`topologyKey=value` of a node), the placed
 * pods that the terms match; the filter then judges a node by its own pairs alone.
 * A term's namespaces are its `namespaces`, those its `namespaceSelector` selects (an
 * empty selector: all), or the pod's own namespace when it names neither; a term
 * without `labelSelector` matches no pod, as upstream. `matchLabelKeys` and
 * `mismatchLabelKeys` are not applied. Preferred terms only score upstream, and skiff
 * does not score them.
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject, matchesSelector, type Selector } from '../api/labels.js';
import type { SchedulerCache } from './cache.js';
import type { Verdict } from './filters.js';
import type { NodeInfo, PodInfo } from './node-info.js';
import { MAX_NODE_SCORE } from './scores.js';

/** A required term, parsed (upstream `framework.AffinityTerm`). */
export interface AffinityTerm {
  /** Namespaces named outright (and, for the incoming pod, those its namespaceSelector selects). */
  namespaces: Set<string>;
  /** True when an empty `namespaceSelector` selects every namespace. */
  allNamespaces: boolean;
  /** Namespace labels still to match (an existing pod's non-empty namespaceSelector); null: none. */
  namespaceSelector: Selector | null;
  /** null: no labelSelector, which matches no pod. */
  selector: Selector | null;
  topologyKey: string;
}

/** Upstream reason strings. */
export const INTER_POD_REASONS = {
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
} as const;

/** A label selector as the scheduler reads it: one that does not parse selects nothing (null). */
export function parseSelector(sel: PodAffinityTerm['labelSelector']): Selector | null {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    // The API server validates selectors; one that still fails to parse selects nothing.
    return null;
  }
}

/** Parses required terms of a pod in `namespace` (upstream `newAffinityTerm`). */
export function affinityTerms(terms: readonly PodAffinityTerm[] | undefined, namespace: string): AffinityTerm[] {
  return (terms ?? []).map((t) => {
    const namespaces = new Set(t.namespaces ?? []);
    const nsSel = t.namespaceSelector;
    if (namespaces.size === 0 && !nsSel) namespaces.add(namespace);
    const empty = !!nsSel && Object.keys(nsSel.matchLabels ?? {}).length === 0 && (nsSel.matchExpressions ?? []).length === 0;
    return { namespaces, allNamespaces: empty, namespaceSelector: nsSel && !empty ? parseSelector(nsSel) : null, selector: parseSelector(t.labelSelector), topologyKey: t.topologyKey };
  });
}

/** A preferred term and its weight (upstream `WeightedAffinityTerm`). */
export interface WeightedTerm extends AffinityTerm {
  weight: number;
}

/** Parses preferred terms of a pod in `namespace`. */
export function weightedTerms(terms: readonly WeightedPodAffinityTerm[] | undefined, namespace: string): WeightedTerm[] {
  return (terms ?? []).map((w) => ({ ...affinityTerms([w.podAffinityTerm], namespace)[0]!, weight: w.weight }));
}

/** The pod (anti-)affinity terms of a placed pod that newcomers are checked or scored against. */
export interface PlacedPodTerms {
  /** Required anti-affinity: a newcomer it matches may not share the topology. */
  antiAffinity?: AffinityTerm[];
  /** Required affinity: a newcomer it matches scores `hardPodAffinityWeight` on the topology. */
  requiredAffinity?: AffinityTerm[];
  preferredAffinity?: WeightedTerm[];
  preferredAntiAffinity?: WeightedTerm[];
}

/** The terms of `pod` that matter once it is placed; empty for a pod without pod (anti-)affinity. */
export function placedPodTerms(pod: Pod): PlacedPodTerms {
  const a = pod.spec?.affinity;
  if (!a?.podAffinity && !a?.podAntiAffinity) return {};
  const ns = pod.metadata?.namespace ?? '';
  const out: PlacedPodTerms = {};
  if (a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) out.antiAffinity = affinityTerms(a.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, ns);
  if (a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) out.requiredAffinity = affinityTerms(a.podAffinity.requiredDuringSchedulingIgnoredDuringExecution, ns);
  if (a.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) out.preferredAffinity = weightedTerms(a.podAffinity.preferredDuringSchedulingIgnoredDuringExecution, ns);
  if (a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) out.preferredAntiAffinity = weightedTerms(a.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, ns);
  return out;
}

/** What a term looks at in a pod. */
export interface PodIdentity {
  namespace: string;
  labels: Readonly<Record<string, string>> | undefined;
}

/** Upstream `AffinityTerm.Matches`: the pod's namespace is one of the term's, and its labels match. */
export function termMatches(t: AffinityTerm, pod: PodIdentity, nsLabels: Readonly<Record<string, string>> | undefined): boolean {
  const inNamespace = t.allNamespaces || t.namespaces.has(pod.namespace) || (t.namespaceSelector !== null && matchesSelector(t.namespaceSelector, nsLabels));
  return inNamespace && matchesSelector(t.selector, pod.labels);
}

/** The map key of a topology pair (`topologyKey`, node label value). */
export function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** Adds `weight` to the pair `key`=its value on a node with `nodeLabels`; a node without the key adds nothing. */
function addToPair(m: Map<string, number>, nodeLabels: Readonly<Record<string, string>> | undefined, key: string, weight: number): void {
  const v = nodeLabels?.[key];
  if (v === undefined) return;
  const k = pairKey(key, v);
  m.set(k, (m.get(k) ?? 0) + weight);
}

/** The PreFilter's counts for one incoming pod (upstream `preFilterState`). */
export interface InterPodState {
  affinityTerms: AffinityTerm[];
  antiAffinityTerms: AffinityTerm[];
  /** Placed pods matching all affinity terms, per topology pair of their node. */
  affinityCounts: Map<string, number>;
  /** Placed pods matching each anti-affinity term, per topology pair of their node. */
  antiAffinityCounts: Map<string, number>;
  /** Placed pods whose required anti-affinity matches the incoming pod, per topology pair. */
  existingAntiAffinityCounts: Map<string, number>;
  /** The incoming pod matches all its own affinity terms (it may be the first of a group). */
  matchesOwnAffinity: boolean;
}

/** Namespaces and their labels, for namespaceSelectors. */
export interface NamespaceLabels {
  labelsOf(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Every namespace's name and labels. */
  all(): Iterable<{ name: string; labels: Readonly<Record<string, string>> | undefined }>;
}

export const NO_NAMESPACES: NamespaceLabels = { labelsOf: () => undefined, all: () => [] };

/** The incoming pod's namespaceSelectors become namespace names (upstream `mergeAffinityTermNamespacesIfNotEmpty`). */
function resolveNamespaceSelectors(terms: readonly AffinityTerm[], namespaces: NamespaceLabels): void {
  for (const t of terms) {
    if (t.namespaceSelector === null) continue;
    for (const n of namespaces.all()) if (matchesSelector(t.namespaceSelector, n.labels)) t.namespaces.add(n.name);
    t.namespaceSelector = null;
  }
}

/**
 * Upstream PreFilter: undefined (Skip) when neither the pod has required terms nor any
 * placed pod has required anti-affinity — the common case, which costs nothing.
 */
export function preFilterInterPodAffinity(pod: Pod, cache: SchedulerCache, namespaces: NamespaceLabels = NO_NAMESPACES): InterPodState | undefined {
  const pa = pod.spec?.affinity;
  const withAnti = cache.podsWithRequiredAntiAffinity();
  if (!pa?.podAffinity && !pa?.podAntiAffinity && withAnti.size === 0) return undefined;
  const ns = pod.metadata?.namespace ?? '';
  const aff = affinityTerms(pa?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution, ns);
  const anti = affinityTerms(pa?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, ns);
  if (aff.length === 0 && anti.length === 0 && withAnti.size === 0) return undefined;
  resolveNamespaceSelectors([...aff, ...anti], namespaces);
  const me: PodIdentity = { namespace: ns, labels: pod.metadata?.labels };
  const state: InterPodState = {
    affinityTerms: aff,
    antiAffinityTerms: anti,
    affinityCounts: new Map(),
    antiAffinityCounts: new Map(),
    existingAntiAffinityCounts: new Map(),
    matchesOwnAffinity: aff.every((t) => termMatches(t, me, undefined)),
  };
  const bump = (m: Map<string, number>, nodeName: string, key: string): void => addToPair(m, cache.node(nodeName)?.node?.metadata?.labels, key, 1);
  const myNsLabels = namespaces.labelsOf(ns);
  for (const other of withAnti) {
    for (const t of other.terms?.antiAffinity ?? []) if (termMatches(t, me, myNsLabels)) bump(state.existingAntiAffinityCounts, other.nodeName, t.topologyKey);
  }
  if (aff.length > 0 || anti.length > 0) {
    for (const n of cache.nodes()) {
      for (const other of n.pods.values()) {
        const them: PodIdentity = { namespace: other.namespace, labels: other.labels };
        if (aff.length > 0 && aff.every((t) => termMatches(t, them, undefined))) for (const t of aff) bump(state.affinityCounts, n.name, t.topologyKey);
        for (const t of anti) if (termMatches(t, them, undefined)) bump(state.antiAffinityCounts, n.name, t.topologyKey);
      }
    }
  }
  return state;
}

/** The reason `node` (by its labels) fails the state's terms, or undefined when it passes (upstream Filter). */
export function interPodAffinityVerdict(state: InterPodState, nodeLabels: Readonly<Record<string, string>>): Verdict {
  // Pod affinity: every term's topology on the node, each with a matching pod (or the first of its group).
  let podsExist = true;
  for (const t of state.affinityTerms) {
    const v = nodeLabels[t.topologyKey];
    if (v === undefined) return { code: 'UnschedulableAndUnresolvable', reason: INTER_POD_REASONS.affinity };
    if ((state.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (!podsExist && !(state.affinityCounts.size === 0 && state.matchesOwnAffinity)) return { code: 'UnschedulableAndUnresolvable', reason: INTER_POD_REASONS.affinity };
  if (state.antiAffinityCounts.size > 0) {
    for (const t of state.antiAffinityTerms) {
      const v = nodeLabels[t.topologyKey];
      if (v !== undefined && (state.antiAffinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0) return { code: 'Unschedulable', reason: INTER_POD_REASONS.antiAffinity };
    }
  }
  if (state.existingAntiAffinityCounts.size > 0) {
    for (const [k, v] of Object.entries(nodeLabels)) {
      if ((state.existingAntiAffinityCounts.get(pairKey(k, v)) ?? 0) > 0) return { code: 'Unschedulable', reason: INTER_POD_REASONS.existingAntiAffinity };
    }
  }
  return undefined;
}

/** Upstream `hardPodAffinityWeight`: what a placed pod's required affinity term adds for a newcomer it matches. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

/**
 * Upstream PreScore, Score and NormalizeScore: each topology pair collects the weights of
 * the incoming pod's preferred terms that placed pods in it match (anti-affinity
 * subtracts), and of placed pods' preferred terms (and, at {@link HARD_POD_AFFINITY_WEIGHT},
 * required affinity terms) that match the incoming pod; a node scores the sum over its
 * own pairs, scaled to 0-100 between the lowest and highest. Undefined (Skip) when
 * nothing scores.
 */
export function interPodAffinityScores(pod: Pod, nodes: readonly NodeInfo[], cache: SchedulerCache, namespaces: NamespaceLabels = NO_NAMESPACES): number[] | undefined {
  const a = pod.spec?.affinity;
  const ns = pod.metadata?.namespace ?? '';
  const prefAff = weightedTerms(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, ns);
  const prefAnti = weightedTerms(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, ns);
  const ownTerms = prefAff.length > 0 || prefAnti.length > 0;
  if (!ownTerms && cache.podsWithAffinity().size === 0) return undefined;
  resolveNamespaceSelectors([...prefAff, ...prefAnti], namespaces);
  const me: PodIdentity = { namespace: ns, labels: pod.metadata?.labels };
  const myNsLabels = namespaces.labelsOf(ns);
  const topo = new Map<string, number>();
  const add = (nodeLabels: Readonly<Record<string, string>>, key: string, weight: number): void => addToPair(topo, nodeLabels, key, weight);
  const process = (other: PodInfo): void => {
    const nodeLabels = cache.node(other.nodeName)?.node?.metadata?.labels;
    if (!nodeLabels) return;
    const them: PodIdentity = { namespace: other.namespace, labels: other.labels };
    for (const t of prefAff) if (termMatches(t, them, undefined)) add(nodeLabels, t.topologyKey, t.weight);
    for (const t of prefAnti) if (termMatches(t, them, undefined)) add(nodeLabels, t.topologyKey, -t.weight);
    const terms = other.terms;
    if (!terms) return;
    for (const t of terms.requiredAffinity ?? []) if (termMatches(t, me, myNsLabels)) add(nodeLabels, t.topologyKey, HARD_POD_AFFINITY_WEIGHT);
    for (const t of terms.preferredAffinity ?? []) if (termMatches(t, me, myNsLabels)) add(nodeLabels, t.topologyKey, t.weight);
    for (const t of terms.preferredAntiAffinity ?? []) if (termMatches(t, me, myNsLabels)) add(nodeLabels, t.topologyKey, -t.weight);
  };
  // Without terms of its own, only placed pods with terms can add anything.
  if (ownTerms) for (const n of cache.nodes()) for (const other of n.pods.values()) process(other);
  else for (const other of cache.podsWithAffinity()) process(other);
  if (topo.size === 0) return undefined;
  const raw = nodes.map((n) => {
    let s = 0;
    for (const [k, v] of Object.entries(n.node?.metadata?.labels ?? {})) s += topo.get(pairKey(k, v)) ?? 0;
    return s;
  });
  const min = Math.min(...raw);
  const spread = Math.max(...raw) - min;
  return raw.map((s) => (spread > 0 ? Math.floor((MAX_NODE_SCORE * (s - min)) / spread) : 0));
}
