/**
 * The `FailedScheduling` message (upstream `framework.FitError.Error` plus the
 * DefaultPreemption PostFilter): `0/N nodes are available: <counts of each reason,
 * sorted as strings>. preemption: 0/N nodes are available: <counts>.` followed by
 * the outer separator's period, which is why real messages end in `..`.
 */
import type { FilterStatus } from './filters.js';

/** Why a pod fit no node. */
export interface Diagnosis {
  /** Every Node in the cache. */
  numAllNodes: number;
  /** Set when a PreFilter rejected the pod outright (then no node was filtered). */
  preFilterMsg?: string;
  /** Explicit statuses of the nodes that were filtered. */
  statuses: Map<string, FilterStatus>;
  /** Status of every node not in `statuses` (upstream `AbsentNodesStatus`), e.g. nodes a PreFilter excluded. */
  absent?: FilterStatus;
}

/** Upstream `SeparatorFormat` (" %v."). */
function sep(msg: string): string {
  return ` ${msg}.`;
}

/**
 * `FitError.Error()`: reasons counted over nodes (a node with two reasons counts
 * for both), absent nodes counted with the absent status, strings `"<n> <reason>"`
 * sorted lexically and joined with ", ".
 *
 * @example
 * fitErrorMessage({ numAllNodes: 2, statuses: new Map([['a', { plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Insufficient cpu'] }]]), absent: …})
 * // '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) ….'
 */
export function fitErrorMessage(d: Diagnosis, postFilterMsg?: string): string {
  let msg = `0/${d.numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += sep(d.preFilterMsg);
  else {
    const counts = new Map<string, number>();
    for (const s of d.statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absentNodes = d.numAllNodes - d.statuses.size;
    if (d.absent && absentNodes > 0) for (const r of d.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + absentNodes);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    if (parts.length) msg += sep(parts.join(', '));
  }
  if (postFilterMsg) msg += sep(postFilterMsg);
  return msg;
}

/** Upstream status strings of the preemption dry run. */
export const PREEMPTION = {
  notHelpful: 'Preemption is not helpful for scheduling',
  noVictims: 'No preemption victims found for incoming pod',
  policyNever: 'not eligible due to preemptionPolicy=Never.',
} as const;

/** What the preemption dry run needs to know of one node that might be freed. */
export interface PreemptionProbe {
  /** Whether the node holds pods of lower priority than the incoming pod. */
  hasLowerPriorityPods(nodeName: string): boolean;
  /** The filter status once those pods are gone (undefined: the pod would fit). */
  refilterWithoutLowerPriority(nodeName: string): FilterStatus | undefined;
}

/**
 * The DefaultPreemption PostFilter message, `preemption: …`. Only nodes rejected
 * with a resolvable status (`Unschedulable`) are candidates; the others are
 * "not helpful". A candidate without lower-priority pods has "no victims".
 * skiff does not evict: a node where evicting would help is reported with the
 * reasons it still fails for, or as having no victims.
 */
export function preemptionMessage(d: Diagnosis, preemptionPolicy: string | undefined, probe: PreemptionProbe): string {
  if (preemptionPolicy === 'Never') return `preemption: ${PREEMPTION.policyNever}`;
  const statuses = new Map<string, FilterStatus>();
  if (!d.preFilterMsg) {
    for (const [node, s] of d.statuses) {
      if (s.code !== 'Unschedulable') continue;
      const again = probe.hasLowerPriorityPods(node) ? probe.refilterWithoutLowerPriority(node) : undefined;
      statuses.set(node, again ?? { plugin: 'DefaultPreemption', code: 'UnschedulableAndUnresolvable', reasons: [PREEMPTION.noVictims] });
    }
  }
  const inner: Diagnosis = {
    numAllNodes: d.numAllNodes,
    statuses,
    absent: { plugin: 'DefaultPreemption', code: 'UnschedulableAndUnresolvable', reasons: [PREEMPTION.notHelpful] },
  };
  return `preemption: ${fitErrorMessage(inner)}`;
}

/** Upstream truncates event messages to 1024 characters, ending in " ...". */
export function truncateMessage(msg: string, max = 1024): string {
  return msg.length <= max ? msg : `${msg.slice(0, max - 4)} ...`;
}
