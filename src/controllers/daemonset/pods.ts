/**
 * Daemon pods: what a new one looks like (upstream `CreatePodTemplate`,
 * `ReplaceDaemonSetPodNodeNameNodeAffinity`, `GetPodFromTemplate`), which node
 * an existing one is meant for (`GetTargetNodeName`), whether it runs the
 * current template (`IsPodUpdated`), and readiness/availability
 * (`podutil.IsPodReady`, `IsPodAvailable`). Pure functions.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { daemonPodTolerations } from './predicate.js';

/** Label holding the ControllerRevision hash of a pod's template. */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** Label holding the DaemonSet template generation a pod was created from. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** Annotation upstream's API server keeps on DaemonSets (internal `templateGeneration`). */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/**
 * The template generation of `ds`: upstream's `deprecated.daemonset.template.generation`
 * annotation when present, else `metadata.generation` (skiff's API server keeps no
 * separate template generation). Undefined when neither parses.
 */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const a = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (a !== undefined) return /^-?\d+$/.test(a) ? Number(a) : undefined;
  return ds.metadata?.generation;
}

/** Upstream `IsPodUpdated`: the pod carries the current revision hash or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const templateMatches = generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  const hashMatches = hash.length > 0 && labels[REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

/**
 * Upstream `ReplaceDaemonSetPodNodeNameNodeAffinity`: the required node affinity
 * becomes the single term `matchFields metadata.name In [node]` (the controller has
 * already checked the template's own terms against the node); preferred terms and
 * pod (anti-)affinity stay. Returns a new object.
 */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, node: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] };
  const a: Affinity = structuredClone(affinity ?? {});
  a.nodeAffinity = { ...(a.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required };
  return a;
}

/**
 * Upstream `GetTargetNodeName`: `spec.nodeName` when bound, else the node named by a
 * `matchFields metadata.name In [x]` term of the required node affinity; undefined
 * when neither exists.
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In') return f.values?.length === 1 ? f.values[0] : undefined;
    }
  }
  return undefined;
}

/** The controller reference of an object (upstream `metav1.GetControllerOf`). */
export function hasController(o: { metadata?: { ownerReferences?: Array<{ controller?: boolean; uid: string; kind: string; name: string }> } }) {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The controller reference a DaemonSet puts on what it owns (upstream `metav1.NewControllerRef`). */
export function controllerRef(ds: DaemonSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata?.name ?? '', uid: ds.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/**
 * The pod the controller creates for `ds` on `node`: the template's labels (plus
 * `controller-revision-hash` and `pod-template-generation`), annotations and
 * finalizers, `generateName: <ds>-`, the controller reference, the automatic daemon
 * tolerations and the node-name affinity. Unbound: the scheduler binds it.
 *
 * @example newDaemonPod(ds, 'node-1', 'abc12').metadata.generateName // 'fluentd-'
 */
export function newDaemonPod(ds: DaemonSet, node: string, hash: string): Pod {
  const tpl = ds.spec?.template ?? {};
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  spec.tolerations = daemonPodTolerations(spec);
  spec.affinity = replaceNodeNameAffinity(spec.affinity, node);
  const labels: Record<string, string> = { ...(tpl.metadata?.labels ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  const meta: NonNullable<Pod['metadata']> = {
    generateName: `${ds.metadata?.name ?? ''}-`,
    namespace: ds.metadata?.namespace,
    labels,
    ownerReferences: [controllerRef(ds)],
  };
  if (tpl.metadata?.annotations) meta.annotations = { ...tpl.metadata.annotations };
  if (tpl.metadata?.finalizers) meta.finalizers = [...tpl.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
}

/** Condition `Ready=True` (one definition for every controller). */
export { isPodReady } from '../replicaset/pods.js';

/**
 * Ready for at least `minReadySeconds` at `nowMs` (upstream `IsPodAvailable`: with a
 * positive minReadySeconds the Ready transition must lie strictly more than that far back).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const at = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(at) && at + minReadySeconds * 1000 < nowMs;
}

/** Upstream `podByCreationTimestampAndPhase`: bound pods first, then oldest, then by name. */
export function compareDaemonPods(a: Pod, b: Pod): number {
  const ab = a.spec?.nodeName ? 0 : 1;
  const bb = b.spec?.nodeName ? 0 : 1;
  if (ab !== bb) return ab - bb;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
