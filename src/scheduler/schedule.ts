/**
 * One scheduling decision (upstream `schedulePod` in `schedule_one.go`): the
 * NodeAffinity PreFilter narrows the candidates to the nodes named by
 * `matchFields metadata.name In [...]` (how every DaemonSet pod is pinned, so
 * those pods cost one node lookup), then the filters run over the candidates
 * starting where the last scan stopped, until enough feasible nodes are found
 * (`percentageOfNodesToScore` adaptive default), and the best-scoring feasible
 * node wins. Pure apart from the round-robin start index in `state`.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { SchedulerCache } from './cache.js';
import type { Diagnosis } from './fit-error.js';
import { DEFAULT_FILTERS, runFilters, type FilterPlugin, type FilterStatus, type PodToSchedule } from './filters.js';
import type { NodeInfo } from './node-info.js';
import { scoreNodes, selectHost } from './scores.js';
import { interPodAffinityScores, preFilterInterPodAffinity, type NamespaceLabels } from './inter-pod-affinity.js';
import { preFilterTopologySpread } from './topology-spread.js';

/** Where the next full scan starts (upstream `nextStartNodeIndex`). */
export interface ScheduleState {
  nextStartNodeIndex: number;
}

/** The outcome of one attempt. */
export type ScheduleOutcome = { kind: 'fit'; node: string } | { kind: 'unschedulable'; diagnosis: Diagnosis } | { kind: 'error'; message: string };

/** Upstream `ErrNoNodesAvailable`. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
/** Upstream NodeAffinity `errReasonConflict`. */
export const AFFINITY_CONFLICT = 'pod affinity terms conflict';

/**
 * The NodeAffinity PreFilter: the node names every required term pins the pod to
 * through `matchFields metadata.name In`, `'conflict'` when the terms admit no
 * name, or undefined when some term does not restrict by name (all nodes).
 *
 * @example
 * nodeNamesFromAffinity(daemonSetPod.spec) // Set { 'node-7' }
 */
export function nodeNamesFromAffinity(spec: Pick<PodSpec, 'affinity'> | undefined): Set<string> | 'conflict' | undefined {
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((x) => s.has(x))) : s;
    }
    if (!termNames) return undefined;
    names = names ? new Set([...names, ...termNames]) : termNames;
  }
  return names && names.size === 0 ? 'conflict' : names;
}

/** Upstream `numFeasibleNodesToFind` with the adaptive default percentage (50 − n/125, at least 5%, at least 100 nodes). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < 100) return numAllNodes;
  let pct = percentage;
  if (pct === 0) pct = Math.max(5, 50 - Math.floor(numAllNodes / 125));
  return Math.max(100, Math.floor((numAllNodes * pct) / 100));
}

/** Options of {@link schedulePod}. */
export interface ScheduleOptions {
  filters?: readonly FilterPlugin[];
  /** Random source in [0, 1) for tie breaks. */
  random?: () => number;
  /** `percentageOfNodesToScore`; 0 = adaptive (default). */
  percentageOfNodesToScore?: number;
  /** Namespace labels, for pod affinity terms with a namespaceSelector. */
  namespaces?: NamespaceLabels;
}

/**
 * Decides where `p` goes.
 *
 * @example
 * const out = schedulePod(p, cache, { nextStartNodeIndex: 0 });
 * if (out.kind === 'fit') bind(out.node);
 */
export function schedulePod(p: PodToSchedule, cache: SchedulerCache, state: ScheduleState, opts: ScheduleOptions = {}): ScheduleOutcome {
  const all = cache.nodeCount();
  if (all === 0) return { kind: 'error', message: NO_NODES_AVAILABLE };
  const filters = opts.filters ?? DEFAULT_FILTERS;
  const statuses = new Map<string, FilterStatus>();
  const diagnosis: Diagnosis = { numAllNodes: all, statuses };
  p.spread = preFilterTopologySpread(p.pod, cache);
  p.interPod = preFilterInterPodAffinity(p.pod, cache, opts.namespaces);
  const pinned = nodeNamesFromAffinity(p.pod.spec);
  if (pinned === 'conflict') {
    diagnosis.preFilterMsg = AFFINITY_CONFLICT;
    diagnosis.absent = { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: [AFFINITY_CONFLICT] };
    return { kind: 'unschedulable', diagnosis };
  }

  const feasible: NodeInfo[] = [];
  if (pinned) {
    diagnosis.absent = { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't satisfy plugin(s) [NodeAffinity]"] };
    for (const name of pinned) {
      const n = cache.node(name);
      if (!n) continue;
      const s = runFilters(p, n, filters);
      if (s) statuses.set(name, s);
      else feasible.push(n);
    }
  } else {
    const want = numFeasibleNodesToFind(all, opts.percentageOfNodesToScore);
    const start = state.nextStartNodeIndex % all;
    let processed = 0;
    for (let i = 0; i < all && feasible.length < want; i++) {
      const n = cache.nodeAt((start + i) % all);
      processed++;
      const s = runFilters(p, n, filters);
      if (s) statuses.set(n.name, s);
      else feasible.push(n);
    }
    state.nextStartNodeIndex = (start + processed) % all;
  }

  if (feasible.length === 0) return { kind: 'unschedulable', diagnosis };
  if (feasible.length === 1) return { kind: 'fit', node: feasible[0]!.name };
  const scores = scoreNodes(p, feasible, interPodAffinityScores(p.pod, feasible, cache, opts.namespaces));
  return { kind: 'fit', node: feasible[selectHost(scores, opts.random)]!.name };
}
