/**
 * Pod-to-node matching shared by the scheduler and the DaemonSet controller
 * (upstream `k8s.io/component-helpers/scheduling/corev1` and
 * `pkg/apis/core/v1/helper`): taints and tolerations, `nodeSelector`, and
 * required node affinity with `matchExpressions` and `matchFields`.
 * Pure functions over plain API objects.
 */
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';

/**
 * Whether `toleration` tolerates `taint` (upstream `Toleration.ToleratesTaint`):
 * effects must match unless the toleration's is empty; an empty key with
 * `Exists` tolerates everything; `Exists` ignores the value; `Equal` (the
 * default operator) compares values.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const op = toleration.operator ?? 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (toleration.value ?? '') === (taint.value ?? '');
  return false;
}

/** Whether any toleration tolerates `taint`. */
export function taintTolerated(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** Taints that keep pods off a node (upstream `DoNotScheduleTaintsFilterFunc`): NoSchedule and NoExecute. */
export function doNotScheduleTaint(t: Pick<Taint, 'effect'>): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}

/**
 * The first taint, among those `filter` keeps, that no toleration tolerates
 * (upstream `FindMatchingUntoleratedTaint`), or undefined.
 * Example: `findUntoleratedTaint(node.spec.taints, pod.spec.tolerations, (t) => t.effect !== 'PreferNoSchedule')`.
 */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter: (t: Taint) => boolean = () => true,
): Taint | undefined {
  return (taints ?? []).find((t) => filter(t) && !taintTolerated(t, tolerations));
}

function parseInt64(v: string): number | undefined {
  return /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** One `NodeSelectorRequirement` against a map of values (labels, or fields for `matchFields`). */
export function nodeSelectorRequirementMatches(req: NodeSelectorRequirement, values: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(values, req.key);
  const v = has ? values[req.key]! : undefined;
  const list = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && list.includes(v!);
    case 'NotIn':
      return !has || !list.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || list.length !== 1) return false;
      const a = parseInt64(v!);
      const b = parseInt64(list[0]!);
      if (a === undefined || b === undefined) return false;
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/**
 * One term: every `matchExpressions` against the labels and every `matchFields`
 * against `metadata.name` (the only field supported upstream). A term with
 * neither matches nothing.
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const fieldValues = { 'metadata.name': node.metadata?.name ?? '' };
  return exprs.every((r) => nodeSelectorRequirementMatches(r, labels)) && fields.every((r) => nodeSelectorRequirementMatches(r, fieldValues));
}

/** A NodeSelector: the terms are ORed. */
export function nodeSelectorMatches(sel: NodeSelector, node: Node): boolean {
  return sel.nodeSelectorTerms.some((t) => nodeSelectorTermMatches(t, node));
}

/**
 * Whether the pod's `nodeSelector` and required node affinity admit `node`
 * (upstream `GetRequiredNodeAffinity(pod).Match(node)`). Preferred affinity
 * never restricts.
 */
export function podFitsNodeAffinity(spec: Pick<PodSpec, 'nodeSelector' | 'affinity'>, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required ? nodeSelectorMatches(required, node) : true;
}

/** The node's Ready condition status: `True`, `False` or `Unknown` (missing → `Unknown`). */
export function nodeReadyStatus(node: Node): 'True' | 'False' | 'Unknown' {
  const c = node.status?.conditions?.find((x) => x.type === 'Ready');
  return c?.status === 'True' ? 'True' : c?.status === 'False' ? 'False' : 'Unknown';
}
