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

/**
 * The moment a taint's `tolerationSeconds` count from, chosen so that no pod is
 * evicted early. `firstSeen` is when the controller first saw the taint; when
 * it saw the taint being added (`sawAdded`), that is the answer, as in the
 * upstream taint manager. A taint found already in place (after a controller
 * restart) counts from its `timeAdded`, which keeps its deadline: written with
 * whole seconds, it counts from the end of its second, never later than
 * `firstSeen`; a missing, invalid or future `timeAdded` gives `firstSeen`.
 * (`timeAdded` is stamped before the write, so it is never used for a taint seen
 * being added: it can lie before the moment the taint became visible.)
 *
 * @example
 * taintAddedAt(t, seenAt, true, now) // → seenAt
 * taintAddedAt({ ...t, timeAdded: '2025-01-01T00:00:00Z' }, seenAt, false, now) // → min(seenAt, Date.parse('2025-01-01T00:00:00.999Z'))
 */
export function taintAddedAt(t: Taint, firstSeen: number, sawAdded: boolean, nowMs: number): number {
  if (sawAdded) return firstSeen;
  const at = t.timeAdded ? Date.parse(t.timeAdded) : NaN;
  if (!Number.isFinite(at) || at > nowMs) return firstSeen;
  // Truncation to the second would otherwise start the clock up to a second early.
  const latest = /\.\d+/.test(t.timeAdded!) ? at : at + 999;
  return Math.min(latest, firstSeen);
}
