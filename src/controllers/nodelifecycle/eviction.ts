/**
 * Taint-based eviction decisions (upstream `pkg/controller/tainteviction`), as
 * a pure function: given a pod's tolerations and its node's NoExecute taints,
 * evict now, evict at a deadline, or never.
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../../api/scheduling.js';

/** What to do with one pod on a NoExecute-tainted node. */
export type EvictionDecision =
  | { action: 'keep' }
  | { action: 'evict' }
  | { action: 'wait'; at: number };

/**
 * For each taint the first toleration that tolerates it (upstream
 * `GetMatchingTolerations`); undefined when some taint is not tolerated.
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): Toleration[] | undefined {
  const used: Toleration[] = [];
  for (const t of taints) {
    const tol = tolerations.find((x) => toleratesTaint(x, t));
    if (!tol) return undefined;
    used.push(tol);
  }
  return used;
}

/**
 * The smallest `tolerationSeconds` among `used` in ms: 0 when one is ≤ 0 (or
 * the list is empty), -1 when none is bounded (tolerated forever).
 */
export function minTolerationMs(used: readonly Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

/**
 * Decides for one pod. `noExecute` are the node's NoExecute taints;
 * `taintSince(taint)` is when each was put on the node (its `timeAdded`, or
 * when the controller first saw it). An untolerated taint evicts at once;
 * otherwise the pod goes `min(tolerationSeconds)` after the earliest of the
 * taints it tolerates only for a while.
 *
 * @example
 * evictionDecision([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
 *   [unreachable], () => t0, now) // → { action: 'wait', at: t0 + 300_000 }
 */
export function evictionDecision(tolerations: readonly Toleration[] | undefined, noExecute: readonly Taint[], taintSince: (t: Taint) => number, nowMs: number): EvictionDecision {
  if (noExecute.length === 0) return { action: 'keep' };
  const tols = tolerations ?? [];
  const used = matchingTolerations(noExecute, tols);
  if (!used) return { action: 'evict' };
  const min = minTolerationMs(used);
  if (min < 0) return { action: 'keep' };
  let start = Infinity;
  noExecute.forEach((t, i) => {
    const s = used[i]!.tolerationSeconds;
    if (s !== undefined && s !== null) start = Math.min(start, taintSince(t));
  });
  if (start === Infinity) start = nowMs;
  const at = start + min;
  return at <= nowMs ? { action: 'evict' } : { action: 'wait', at };
}

/** When a taint was added: its `timeAdded` when valid and not in the future, else `fallback`. */
export function taintAddedAt(t: Taint, fallback: number, nowMs: number): number {
  const at = t.timeAdded ? Date.parse(t.timeAdded) : NaN;
  return Number.isFinite(at) && at <= nowMs ? at : fallback;
}
