/**
 * The Endpoints planner (upstream `Controller.syncService` of
 * `pkg/controller/endpoint`, decision half): what one sync does to the
 * `Endpoints` object named after a Service — nothing, create it, replace it,
 * or delete it. Pure; the executor in `controller.ts` does the write.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { ANNOTATION_LAST_CHANGE_TRIGGER_TIME, ANNOTATION_OVER_CAPACITY, LABEL_HEADLESS, LABEL_SKIP_MIRROR } from '../endpointslice/labels.js';
import { hasSelector, isServiceIPSet } from '../endpointslice/pods.js';
import { capacityAnnotationCorrect, repackSubsets, subsetsEqual, truncateSubsets, unpackedSubsets } from './subsets.js';

/** What one sync does. `write` objects are complete (create) or based on `current` (update, a compare-and-swap). */
export type EndpointsAction = { kind: 'none' } | { kind: 'create'; endpoints: Endpoints } | { kind: 'update'; endpoints: Endpoints } | { kind: 'delete' };

/** Inputs of {@link planEndpoints}. */
export interface EndpointsPlanInput {
  /** The Service, or undefined when it is gone. */
  service: Service | undefined;
  /** The pods the Service selects. */
  pods: readonly Pod[];
  /** The current Endpoints object of the same name, if any. */
  current: Endpoints | undefined;
  /** Whether `current` was written by this controller (only those are ever deleted). */
  managed: boolean;
  /** The trigger-time annotation value; undefined removes it. */
  triggerTime?: string;
}

function withoutKeys(m: Record<string, string> | undefined, ...keys: string[]): Record<string, string> {
  const out: Record<string, string> = { ...(m ?? {}) };
  for (const k of keys) delete out[k];
  return out;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * Decides the Endpoints of one Service:
 * - Service gone, selector-less or ExternalName: delete the Endpoints if this controller
 *   manages it (hand-made Endpoints of selector-less Services are left alone);
 * - otherwise the repacked subsets of the selected pods (truncated to 1000 addresses with
 *   `endpoints.kubernetes.io/over-capacity: truncated`), the Service's labels plus
 *   `service.kubernetes.io/headless` for headless Services and
 *   `endpointslice.kubernetes.io/skip-mirror: "true"` (KEP-752: managed Endpoints are
 *   never mirrored), and the trigger-time annotation; written only when subsets, labels
 *   or the capacity annotation differ (unlike upstream, a truncated Endpoints is not
 *   rewritten on every sync).
 *
 * @example
 * planEndpoints({ service, pods, current, managed: true, triggerTime }) // { kind: 'update', endpoints }
 */
export function planEndpoints(input: EndpointsPlanInput): EndpointsAction {
  const { service: svc, current } = input;
  if (!svc || svc.spec?.type === 'ExternalName' || !hasSelector(svc)) {
    return current && input.managed ? { kind: 'delete' } : { kind: 'none' };
  }
  const repacked = repackSubsets(unpackedSubsets(svc, input.pods));
  const svcLabels = withoutKeys(svc.metadata?.labels, LABEL_HEADLESS, LABEL_SKIP_MIRROR);
  const headless = !isServiceIPSet(svc);

  // Compare against what would be written (truncated), so an over-capacity Endpoints is stable.
  const { subsets, truncated } = truncateSubsets(repacked);
  if (current) {
    const currentLabels = withoutKeys(current.metadata?.labels, LABEL_HEADLESS, LABEL_SKIP_MIRROR);
    const markers =
      current.metadata?.labels?.[LABEL_SKIP_MIRROR] === 'true' && (current.metadata?.labels?.[LABEL_HEADLESS] !== undefined) === headless;
    const capacityOK = truncated ? current.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY] === 'truncated' : capacityAnnotationCorrect(current.metadata?.annotations, current.subsets, ANNOTATION_OVER_CAPACITY);
    if (subsetsEqual(current.subsets, subsets) && sameMap(currentLabels, svcLabels) && markers && capacityOK) return { kind: 'none' };
  }

  const annotations = withoutKeys(current?.metadata?.annotations, ANNOTATION_LAST_CHANGE_TRIGGER_TIME, ANNOTATION_OVER_CAPACITY);
  if (input.triggerTime) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = input.triggerTime;
  if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
  const labels: Record<string, string> = { ...svcLabels, [LABEL_SKIP_MIRROR]: 'true' };
  if (headless) labels[LABEL_HEADLESS] = '';

  const endpoints: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: current
      ? { ...current.metadata, managedFields: undefined, labels, annotations }
      : { name: svc.metadata?.name, namespace: svc.metadata?.namespace, labels, annotations },
  };
  if (subsets.length) endpoints.subsets = subsets;
  return current ? { kind: 'update', endpoints } : { kind: 'create', endpoints };
}
