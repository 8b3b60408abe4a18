/**
 * Pod and Service predicates shared by the Endpoints and EndpointSlice
 * controllers (upstream `k8s.io/endpointslice/util` and `podutil.FindPort`):
 * which pods a Service selects, which pods belong in endpoints at all, how a
 * named `targetPort` resolves on one pod, and which pod changes matter to
 * which Services. Pure functions over API objects.
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { sameLabels } from '../../api/labels.js';
import { keyOf } from '../../client/indexer.js';
import { isPodReady } from '../replicaset/pods.js';

/**
 * True when the Service has a non-empty selector. A missing selector means "no pods"
 * (endpoints are managed out of band); an empty one behaves the same, because the
 * upstream API server stores `{}` as nil.
 */
export function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** True when every key of the Service's selector matches the labels (never for selector-less Services). */
export function selectorMatches(svc: Service, labels: Readonly<Record<string, string>> | undefined): boolean {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  for (const [k, v] of Object.entries(sel)) if (labels?.[k] !== v) return false;
  return true;
}

/** True when the Service has a ClusterIP (not headless, not unallocated). */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** Succeeded or Failed: the pod will never serve again. */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The pod's IPs: `status.podIPs`, else `status.podIP`. */
export function podIPs(pod: Pod): string[] {
  const list = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (list.length) return list;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/** True for an IPv6 textual address. */
export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/**
 * Upstream `ShouldPodBeInEndpoints`: not terminal, has an IP, and — unless
 * `includeTerminating` — not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** Upstream `ShouldSetHostname`: the pod has a hostname and its subdomain is this Service (same namespace). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/**
 * Upstream `FindPort`: a numeric `targetPort` as is; a named one is looked up in the
 * pod's containers (and restartable init containers) by name and protocol. Undefined
 * when the pod has no such port (the pod is then left out of that port's endpoints).
 *
 * @example
 * findPort(pod, { port: 80, targetPort: 'http', protocol: 'TCP' }) // 8080 if a container port "http" is 8080/TCP
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  const proto = svcPort.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === proto) return p.containerPort;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === proto) return p.containerPort;
  }
  return undefined;
}

/**
 * Upstream `podEndpointsChanged`: `podChanged` when the pod's endpoint may differ
 * (deletion timestamp, readiness, IPs); `labelsChanged` when the Services selecting it
 * may differ (labels, hostname, subdomain).
 */
export function podEndpointsChanged(oldPod: Pod, newPod: Pod): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged =
    !sameLabels(oldPod.metadata?.labels, newPod.metadata?.labels) ||
    (oldPod.spec?.hostname ?? '') !== (newPod.spec?.hostname ?? '') ||
    (oldPod.spec?.subdomain ?? '') !== (newPod.spec?.subdomain ?? '');
  const oldIPs = podIPs(oldPod);
  const newIPs = podIPs(newPod);
  const podChanged =
    (oldPod.metadata?.deletionTimestamp ?? '') !== (newPod.metadata?.deletionTimestamp ?? '') ||
    isPodReady(oldPod) !== isPodReady(newPod) ||
    oldIPs.length !== newIPs.length ||
    oldIPs.some((ip, i) => ip !== newIPs[i]) ||
    // skiff pods may be bound or finish after they got an IP; both change endpoints.
    (oldPod.spec?.nodeName ?? '') !== (newPod.spec?.nodeName ?? '') ||
    isPodTerminal(oldPod) !== isPodTerminal(newPod);
  return { podChanged, labelsChanged };
}

/** Keys of the Services (from `services`, all in the pod's namespace) whose selector matches `labels`. */
export function servicesSelecting(services: readonly Service[], labels: Readonly<Record<string, string>> | undefined): Set<string> {
  const out = new Set<string>();
  for (const svc of services) if (selectorMatches(svc, labels)) out.add(keyOf(svc));
  return out;
}

/**
 * Upstream `GetServicesToUpdateOnPodChange`: which Services must sync after a pod
 * changed from `oldPod` to `newPod`. `services` are the Services of the pod's namespace.
 * Nothing when neither the endpoint nor the membership can have changed; the union of
 * old and new memberships when the pod changed too; only the difference when only
 * labels changed.
 */
export function servicesToUpdateOnPodChange(services: readonly Service[], oldPod: Pod, newPod: Pod): Set<string> {
  if (oldPod.metadata?.resourceVersion && oldPod.metadata.resourceVersion === newPod.metadata?.resourceVersion) return new Set();
  const { podChanged, labelsChanged } = podEndpointsChanged(oldPod, newPod);
  if (!podChanged && !labelsChanged) return new Set();
  const now = servicesSelecting(services, newPod.metadata?.labels);
  if (!labelsChanged) return now;
  const before = servicesSelecting(services, oldPod.metadata?.labels);
  const out = new Set<string>();
  if (podChanged) {
    for (const k of now) out.add(k);
    for (const k of before) out.add(k);
  } else {
    for (const k of now) if (!before.has(k)) out.add(k);
    for (const k of before) if (!now.has(k)) out.add(k);
    // A hostname/subdomain change keeps memberships but changes the endpoint itself.
    if ((oldPod.spec?.hostname ?? '') !== (newPod.spec?.hostname ?? '') || (oldPod.spec?.subdomain ?? '') !== (newPod.spec?.subdomain ?? '')) {
      for (const k of now) out.add(k);
    }
  }
  return out;
}
