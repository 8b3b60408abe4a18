/**
 * Should this node run this DaemonSet's pod? (upstream `NodeShouldRunDaemonPod`
 * in `pkg/controller/daemon/daemon_controller.go`). One pure predicate decides
 * creates, deletes and every status counter, so behaviour and status cannot
 * drift apart. The pod it judges is the template plus the automatic daemon
 * tolerations, exactly as the pods the controller creates.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { doNotScheduleTaint, findUntoleratedTaint, podFitsNodeAffinity } from '../../api/scheduling.js';

/** The verdict for one (node, DaemonSet) pair. */
export interface NodeVerdict {
  /** A daemon pod should be created on (and counted as desired for) this node. */
  shouldRun: boolean;
  /** An existing daemon pod may stay (false: delete it). */
  shouldContinueRunning: boolean;
}

/** Tolerations every daemon pod gets (upstream `AddOrUpdateDaemonPodTolerations`), in upstream order. */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** Added only to hostNetwork pods. */
export const NETWORK_UNAVAILABLE_TOLERATION: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

/** Same key, operator, value and effect (upstream `Toleration.MatchToleration`). */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/** Upstream `AddOrUpdateTolerationInPodSpec`: replaces a matching toleration in place, else appends. */
function addOrUpdateToleration(list: Toleration[], t: Toleration): Toleration[] {
  let replaced = false;
  const out = list.map((x) => {
    if (!sameToleration(x, t)) return x;
    replaced = true;
    return { ...t };
  });
  if (!replaced) out.push({ ...t });
  return out;
}

/**
 * The tolerations of `spec` plus the automatic daemon tolerations (network-unavailable
 * only for hostNetwork pods). Returns a new array; `spec` is not modified.
 *
 * @example daemonPodTolerations({ containers: [] }).length // 6
 */
export function daemonPodTolerations(spec: Pick<PodSpec, 'tolerations' | 'hostNetwork'>): Toleration[] {
  let out = [...(spec.tolerations ?? [])];
  for (const t of DAEMON_TOLERATIONS) out = addOrUpdateToleration(out, t);
  if (spec.hostNetwork) out = addOrUpdateToleration(out, NETWORK_UNAVAILABLE_TOLERATION);
  return out;
}

/**
 * Upstream `NodeShouldRunDaemonPod`: the template's `nodeName` (if any) must name the
 * node, its nodeSelector and required node affinity must match, and every
 * NoSchedule/NoExecute taint must be tolerated for `shouldRun`; an untolerated
 * NoExecute taint also ends `shouldContinueRunning`, while an untolerated NoSchedule
 * taint lets existing pods stay. Node readiness and `spec.unschedulable` play no part
 * (daemon pods tolerate the `unschedulable` taint).
 *
 * @example nodeShouldRunDaemonPod(node, ds) // { shouldRun: true, shouldContinueRunning: true }
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeVerdict {
  return daemonSetPredicate(ds)(node);
}

/**
 * {@link nodeShouldRunDaemonPod} with the pod's tolerations computed once, for
 * judging many nodes against one DaemonSet.
 *
 * @example const shouldRun = daemonSetPredicate(ds); nodes.map(shouldRun)
 */
export function daemonSetPredicate(ds: DaemonSet): (node: Node) => NodeVerdict {
  const spec = ds.spec?.template?.spec;
  const tolerations = daemonPodTolerations(spec ?? {});
  const evicts = (t: Taint): boolean => t.effect === 'NoExecute';
  return (node) => {
    const name = node.metadata?.name ?? '';
    if (spec?.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
    if (spec && !podFitsNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
    const taints = node.spec?.taints;
    if (!taints?.length || !findUntoleratedTaint(taints, tolerations, doNotScheduleTaint)) return { shouldRun: true, shouldContinueRunning: true };
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, evicts) };
  };
}
