/**
 * The EndpointSlice planner (upstream `k8s.io/endpointslice` `Reconciler`):
 * from a Service, the pods it selects and the slices this controller already
 * manages for it, decide which slices to create, update and delete — keeping
 * existing slices, updating endpoints in place, filling the fullest slices
 * first, grouping endpoints by their resolved port list, and recycling a slice
 * about to be deleted instead of creating a new one. Pure: the executor in
 * `controller.ts` does the writes.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isPodReady, newControllerRef } from '../replicaset/pods.js';
import { EndpointSet, endpointsEqualBeyondKey, portMapKey } from './endpoint-set.js';
import { ANNOTATION_LAST_CHANGE_TRIGGER_TIME, LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_TOPOLOGY_ZONE } from './labels.js';
import { findPort, isIPv6, isServiceIPSet, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from './pods.js';

/** `IPv4` or `IPv6` (skiff never writes the FQDN type). */
export type AddressType = 'IPv4' | 'IPv6';

/** Upstream `--max-endpoints-per-slice` default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

/** What {@link planEndpointSlices} decides. Slices to create carry `generateName`, the others their name. */
export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** Inputs of {@link planEndpointSlices}. */
export interface SlicePlanInput {
  service: Service;
  /** Pods the Service selects (any state; the planner filters). */
  pods: readonly Pod[];
  /** Node lookup, for the `zone` of endpoints. */
  node: (name: string) => Node | undefined;
  /** Slices labelled for this Service and managed by `controllerName` (not being deleted). */
  existing: readonly EndpointSlice[];
  /** Default {@link DEFAULT_MAX_ENDPOINTS_PER_SLICE}. */
  maxEndpointsPerSlice?: number;
  /** The managed-by value, e.g. `endpointslice-controller.k8s.io`. */
  controllerName: string;
  /** The trigger-time annotation value for written slices; undefined removes it. */
  triggerTime?: string;
}

/** Address types the Service's endpoints are published in (upstream `getAddressTypesForService`). */
export function addressTypesForService(svc: Service): AddressType[] {
  const out = new Set<AddressType>();
  for (const fam of svc.spec?.ipFamilies ?? []) {
    if (fam === 'IPv4') out.add('IPv4');
    if (fam === 'IPv6') out.add('IPv6');
  }
  if (out.size) return [...out];
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return [isIPv6(ip) ? 'IPv6' : 'IPv4'];
  // Headless without families (an old API server): assume both, as upstream.
  return ['IPv4', 'IPv6'];
}

/** The ports a pod offers for the Service, with named targetPorts resolved on that pod (upstream `getEndpointPorts`). */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const ports = svc.spec?.ports ?? [];
  const out: EndpointPort[] = [];
  if (ports.length === 0 && svc.spec?.clusterIP === 'None') return out;
  for (const sp of ports) {
    const num = findPort(pod, sp);
    if (num === undefined) continue;
    const p: EndpointPort = { name: sp.name ?? '', port: num, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/**
 * One endpoint for a pod (upstream `podToEndpoint`): `serving` = pod Ready;
 * `terminating` = being deleted; `ready` = serving and not terminating, or always
 * with `publishNotReadyAddresses`. Addresses of the other family are dropped.
 */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) ep.zone = zone;
  return ep;
}

function isReservedLabel(k: string): boolean {
  return k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * The labels a managed slice must carry (upstream `setEndpointSliceLabels`): the
 * Service's labels (reserved keys excepted), `service.kubernetes.io/headless` when it
 * has no ClusterIP, the service-name and managed-by labels. `changed` reports whether
 * the slice's non-reserved labels differ from the Service's.
 */
export function sliceLabels(slice: EndpointSlice | undefined, svc: Service, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const current: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata?.labels ?? {})) if (!isReservedLabel(k)) current[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!isReservedLabel(k)) labels[k] = v;
  const changed = !sameMap(current, labels);
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = controllerName;
  return { labels, changed };
}

/** The controller reference of a slice to its Service. */
export function serviceOwnerRef(svc: Service): OwnerReference {
  return newControllerRef(svc, 'v1', 'Service');
}

/** A new, empty slice for the Service (upstream `newEndpointSlice`); named by the API server from `generateName`. */
export function newEndpointSlice(svc: Service, ports: EndpointPort[], addressType: AddressType, controllerName: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata?.name ?? ''}-`,
      namespace: svc.metadata?.namespace,
      labels: sliceLabels(undefined, svc, controllerName).labels,
      ownerReferences: [serviceOwnerRef(svc)],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** True when `slice` has an owner reference to this Service (v1 Service with its UID). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

function copySlice(s: EndpointSlice): EndpointSlice {
  return structuredClone(s);
}

/** Upstream `getSliceToFill`: the slice that ends up closest to full after adding `n` endpoints. */
export function sliceToFill(slices: readonly EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestDiff = max;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints?.length ?? 0));
    if (diff >= 0 && diff < bestDiff) {
      bestDiff = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

/** Upstream `reconcileByPortMapping`: one group of slices sharing a port list. */
function reconcilePortMapping(svc: Service, existing: readonly EndpointSlice[], desired: EndpointSet, ports: EndpointPort[], addressType: AddressType, max: number, controllerName: string): SlicePlan {
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Drop endpoints no longer desired, update changed ones in place, refresh labels.
  for (const slice of existing) {
    const name = slice.metadata?.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let endpointUpdated = false;
    for (const ep of slice.endpoints ?? []) {
      const want = desired.get(ep);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) endpointUpdated = true;
      desired.delete(ep);
    }
    const { labels, changed } = sliceLabels(slice, svc, controllerName);
    if (endpointUpdated || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.add(name);
      else {
        const next = copySlice(slice);
        next.endpoints = kept;
        next.metadata = { ...next.metadata, labels };
        byName.set(name, next);
        toUpdate.add(name);
      }
    } else if (changed) {
      const next = copySlice(slice);
      next.metadata = { ...next.metadata, labels };
      byName.set(name, next);
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  // 2. Fill the slices being updated anyway, fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n) as EndpointSlice).sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of slices) {
      while (desired.size > 0 && s.endpoints.length < max) s.endpoints.push(desired.pop() as Endpoint);
    }
  }

  // 3. Fit the rest into one unchanged slice if possible, else into new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let target: EndpointSlice | undefined;
    if (desired.size < max && unchanged.size > 0) {
      const pick = sliceToFill(
        [...unchanged].map((n) => byName.get(n) as EndpointSlice),
        desired.size,
        max,
      );
      if (pick) {
        target = copySlice(pick);
        byName.set(target.metadata?.name ?? '', target);
      }
    }
    if (!target) target = newEndpointSlice(svc, ports, addressType, controllerName);
    while (desired.size > 0 && target.endpoints.length < max) target.endpoints.push(desired.pop() as Endpoint);
    const name = target.metadata?.name;
    if (name) {
      toUpdate.add(name);
      unchanged.delete(name);
    } else create.push(target);
  }

  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n) as EndpointSlice),
    delete: [...toDelete].map((n) => byName.get(n) as EndpointSlice),
  };
}

function ownerRefString(o: OwnerReference): string {
  return JSON.stringify([o.apiVersion, o.kind, o.name, o.uid, o.controller ?? null, o.blockOwnerDeletion ?? null]);
}

/** Upstream `placeholderSliceCompare`: namespace, labels, owner references, type, ports and endpoints. */
function samePlaceholder(a: EndpointSlice, b: EndpointSlice): boolean {
  return (
    (a.metadata?.namespace ?? '') === (b.metadata?.namespace ?? '') &&
    sameMap(a.metadata?.labels ?? {}, b.metadata?.labels ?? {}) &&
    JSON.stringify((a.metadata?.ownerReferences ?? []).map(ownerRefString)) === JSON.stringify((b.metadata?.ownerReferences ?? []).map(ownerRefString)) &&
    a.addressType === b.addressType &&
    (a.ports ?? []).length === 0 &&
    (b.ports ?? []).length === 0 &&
    (a.endpoints ?? []).length === 0 &&
    (b.endpoints ?? []).length === 0
  );
}

/** Upstream `reconcileByAddressType`. */
function reconcileAddressType(input: SlicePlanInput, existing: readonly EndpointSlice[], addressType: AddressType, max: number): SlicePlan {
  const svc = input.service;
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      plan.delete.push(s);
      continue;
    }
    const k = portMapKey(s.ports);
    const list = existingByPorts.get(k);
    if (list) list.push(s);
    else existingByPorts.set(k, [s]);
  }

  const desiredByPorts = new Map<string, { ports: EndpointPort[]; set: EndpointSet }>();
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const k = portMapKey(ports);
    let d = desiredByPorts.get(k);
    if (!d) desiredByPorts.set(k, (d = { ports, set: new EndpointSet() }));
    // Upstream skips pods whose Node is unknown; skiff keeps them (pods may be placed by
    // hand, without Node objects) and only loses the zone.
    const node = pod.spec?.nodeName ? input.node(pod.spec.nodeName) : undefined;
    const ep = podToEndpoint(pod, node, svc, addressType);
    if (ep.addresses.length > 0) d.set.insert(ep);
  }

  for (const [k, d] of desiredByPorts) {
    const r = reconcilePortMapping(svc, existingByPorts.get(k) ?? [], d.set, d.ports, addressType, max, input.controllerName);
    plan.create.push(...r.create);
    plan.update.push(...r.update);
    plan.delete.push(...r.delete);
  }
  for (const [k, slices] of existingByPorts) if (!desiredByPorts.has(k)) plan.delete.push(...slices);

  // A Service with no endpoints still gets one (empty) slice, so consumers can tell "no endpoints" from "not synced".
  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = newEndpointSlice(svc, [], addressType, input.controllerName);
    const only = plan.delete[0];
    if (plan.delete.length === 1 && only && samePlaceholder(only, placeholder)) plan.delete = [];
    else plan.create.push(placeholder);
  }
  return plan;
}

function setTriggerTime(slice: EndpointSlice, triggerTime: string | undefined): void {
  const annotations = { ...(slice.metadata?.annotations ?? {}) };
  if (triggerTime) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = triggerTime;
  else delete annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
  slice.metadata = { ...slice.metadata, annotations };
}

/**
 * Plans the EndpointSlices of one Service (upstream `Reconciler.Reconcile` +
 * `finalize`): slices of unsupported address types or not owned by this Service are
 * deleted; per address type and port list, existing slices are kept and updated in
 * place; new slices hold at most `maxEndpointsPerSlice` endpoints; a create paired with
 * a delete becomes an update of the slice being deleted; a Service being deleted gets
 * no new slices. Every written slice carries the trigger-time annotation (or loses it).
 *
 * @example
 * const plan = planEndpointSlices({ service, pods, node: (n) => nodes.get(n), existing, controllerName: ENDPOINTSLICE_CONTROLLER_NAME });
 * // plan.create → POST with generateName, plan.update → PUT, plan.delete → DELETE
 */
export function planEndpointSlices(input: SlicePlanInput): SlicePlan {
  const max = input.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  const svc = input.service;
  const types = addressTypesForService(svc);
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byType = new Map<string, EndpointSlice[]>();
  const sorted = [...input.existing].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const s of sorted) {
    if (!types.includes(s.addressType as AddressType)) {
      plan.delete.push(s);
      continue;
    }
    const list = byType.get(s.addressType);
    if (list) list.push(s);
    else byType.set(s.addressType, [s]);
  }
  // Pods in name order make the plan deterministic.
  const pods = [...input.pods].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const t of types) {
    const r = reconcileAddressType({ ...input, pods }, byType.get(t) ?? [], t, max);
    const final = finalize(svc, r);
    plan.create.push(...final.create);
    plan.update.push(...final.update);
    plan.delete.push(...final.delete);
  }
  if (svc.metadata?.deletionTimestamp) plan.create = [];
  for (const s of [...plan.create, ...plan.update]) setTriggerTime(s, input.triggerTime);
  return plan;
}

/** Upstream `finalize` (planning half): turn create+delete pairs into updates of the slice being deleted. */
function finalize(svc: Service, plan: SlicePlan): SlicePlan {
  const create = [...plan.create];
  const update = [...plan.update];
  const del = [...plan.delete];
  for (let i = 0; i < del.length && create.length > 0; ) {
    const victim = del[i] as EndpointSlice;
    const slice = create[create.length - 1] as EndpointSlice;
    if (victim.addressType === slice.addressType && ownedBy(victim, svc)) {
      const meta = { ...slice.metadata, name: victim.metadata?.name };
      delete meta.generateName;
      // Keep the identity (uid, resourceVersion) of the slice being replaced so the PUT is a compare-and-swap.
      slice.metadata = { ...meta, uid: victim.metadata?.uid, resourceVersion: victim.metadata?.resourceVersion, annotations: victim.metadata?.annotations };
      create.pop();
      update.push(slice);
      del.splice(i, 1);
    } else i++;
  }
  return { create, update, delete: del };
}
