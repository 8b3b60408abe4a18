/**
 * Node health decisions of the lifecycle controller (upstream
 * `pkg/controller/nodelifecycle`), as pure functions: whether a node's agent
 * stopped posting (its Lease or status heartbeat is older than the grace
 * period) and the conditions to write then, and which of the controller-owned
 * taints a node should carry given its conditions and `spec.unschedulable`.
 */
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** Condition types set to Unknown when the agent goes silent, in upstream order. */
export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

/** Every taint key this controller adds and removes (others are never touched). */
export const MANAGED_TAINT_KEYS: ReadonlySet<string> = new Set([
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  TAINT_MEMORY_PRESSURE,
  TAINT_DISK_PRESSURE,
  TAINT_PID_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
]);

function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * The effective grace period for one node: the configured one, or the Lease's
 * own `leaseDurationSeconds` when that is longer (a skiff extension: large
 * simulated pools stretch their renew interval and announce it there).
 */
export function effectiveGraceMs(gracePeriodSeconds: number, leaseDurationSeconds: number | undefined): number {
  return Math.max(gracePeriodSeconds, leaseDurationSeconds ?? 0) * 1000;
}

/**
 * The conditions to write for a node whose agent has not been heard from for
 * `silentForMs`, or undefined when nothing changes (still within the grace
 * period, or already Unknown). Existing conditions become `Unknown` with reason
 * `NodeStatusUnknown` (heartbeat time kept); missing ones are added with reason
 * `NodeStatusNeverUpdated`.
 *
 * @example
 * unknownConditions(node, 41_000, 40_000, Date.now()) // → [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', … }, …]
 */
export function unknownConditions(node: Node, silentForMs: number, graceMs: number, nowMs: number): NodeCondition[] | undefined {
  if (silentForMs <= graceMs) return undefined;
  const now = isoSeconds(nowMs);
  const conds = [...(node.status?.conditions ?? [])];
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const i = conds.findIndex((c) => c.type === type);
    if (i < 0) {
      conds.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata?.creationTimestamp ?? now,
        lastTransitionTime: now,
      });
      changed = true;
    } else if (conds[i]!.status !== 'Unknown') {
      conds[i] = { ...conds[i]!, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now };
      changed = true;
    }
  }
  return changed ? conds : undefined;
}

function condStatus(node: Node, type: string): string | undefined {
  return node.status?.conditions?.find((c) => c.type === type)?.status;
}

/**
 * The controller-owned taints `node` should carry: NoSchedule taints from its
 * conditions and `spec.unschedulable` (upstream TaintNodesByCondition), and the
 * NoExecute `not-ready` (Ready=False) or `unreachable` (Ready=Unknown) taint.
 */
export function desiredManagedTaints(node: Node): Taint[] {
  const out: Taint[] = [];
  const ready = condStatus(node, 'Ready');
  if (ready === 'False') out.push({ key: TAINT_NOT_READY, effect: 'NoSchedule' });
  if (ready === 'Unknown') out.push({ key: TAINT_UNREACHABLE, effect: 'NoSchedule' });
  if (condStatus(node, 'MemoryPressure') === 'True') out.push({ key: TAINT_MEMORY_PRESSURE, effect: 'NoSchedule' });
  if (condStatus(node, 'DiskPressure') === 'True') out.push({ key: TAINT_DISK_PRESSURE, effect: 'NoSchedule' });
  if (condStatus(node, 'PIDPressure') === 'True') out.push({ key: TAINT_PID_PRESSURE, effect: 'NoSchedule' });
  if (condStatus(node, 'NetworkUnavailable') === 'True') out.push({ key: TAINT_NETWORK_UNAVAILABLE, effect: 'NoSchedule' });
  if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  if (ready === 'False') out.push({ key: TAINT_NOT_READY, effect: 'NoExecute' });
  if (ready === 'Unknown') out.push({ key: TAINT_UNREACHABLE, effect: 'NoExecute' });
  return out;
}

/**
 * The node's full taint list after reconciling the managed ones, or undefined
 * when it is already right. Taints of other keys keep their place; a managed
 * taint already present keeps its `timeAdded`; new NoExecute taints get
 * `timeAdded` = now.
 *
 * @example
 * planTaints(unreachableNode, now) // → [...userTaints, unreachable:NoSchedule, unreachable:NoExecute(timeAdded now)]
 */
export function planTaints(node: Node, nowMs: number): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const desired = desiredManagedTaints(node);
  const same = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
  const kept = current.filter((t) => !MANAGED_TAINT_KEYS.has(t.key) || desired.some((d) => same(d, t)));
  const added = desired
    .filter((d) => !current.some((t) => same(d, t)))
    .map((d) => (d.effect === 'NoExecute' ? { ...d, timeAdded: isoSeconds(nowMs) } : d));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}
