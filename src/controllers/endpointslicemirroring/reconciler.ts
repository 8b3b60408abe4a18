/**
 * The mirroring planner (upstream `pkg/controller/endpointslicemirroring`
 * reconciler): turns a hand-made `Endpoints` object into EndpointSlices — one
 * slice per subset port list and address family, at most 1000 addresses per
 * subset — reusing the slices already mirrored. Pure; `controller.ts` writes.
 */
import type { EndpointAddress, EndpointPort as CorePort, Endpoints } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { EndpointSet, endpointsEqualBeyondKey, portMapKey } from '../endpointslice/endpoint-set.js';
import { ANNOTATION_LAST_APPLIED, ANNOTATION_LAST_CHANGE_TRIGGER_TIME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MIRRORING_CONTROLLER_NAME } from '../endpointslice/labels.js';
import type { SlicePlan } from '../endpointslice/reconciler.js';
import { newControllerRef } from '../replicaset/pods.js';

/** Upstream `--mirroring-max-endpoints-per-subset` default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SUBSET = 1000;

/** A mirroring plan: the slice writes, plus what had to be skipped (for events). */
export interface MirrorPlan extends SlicePlan {
  /** Addresses that are not valid IPs. */
  invalidAddresses: number;
  /** Addresses skipped in total (invalid or beyond the per-subset limit). */
  skippedAddresses: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** `IPv4`, `IPv6`, or undefined for something that is not an IP address. */
export function addressTypeOf(ip: string): 'IPv4' | 'IPv6' | undefined {
  if (IPV4.test(ip)) return 'IPv4';
  if (/^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':') && ip.split('::').length <= 2) return 'IPv6';
  return undefined;
}

/** An Endpoints address as a slice endpoint (upstream `addressToEndpoint`). */
export function addressToEndpoint(a: EndpointAddress, ready: boolean): Endpoint {
  const ep: Endpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname) ep.hostname = a.hostname;
  if (a.targetRef) ep.targetRef = structuredClone(a.targetRef);
  if (a.nodeName) ep.nodeName = a.nodeName;
  return ep;
}

/** Endpoints ports as slice ports (upstream `epPortsToEpsPorts`). */
export function slicePorts(ports: readonly CorePort[] | undefined): EndpointPort[] {
  return (ports ?? []).map((p) => {
    const out: EndpointPort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
    if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
    return out;
  });
}

/** The labels a mirrored slice carries: the Endpoints' labels, service-name and managed-by. */
export function mirroredLabels(ep: Endpoints): Record<string, string> {
  return { ...(ep.metadata?.labels ?? {}), [LABEL_SERVICE_NAME]: ep.metadata?.name ?? '', [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER_NAME };
}

/** The annotations a mirrored slice carries: the Endpoints' ones but the trigger time and last-applied config. */
export function mirroredAnnotations(ep: Endpoints): Record<string, string> {
  const out: Record<string, string> = { ...(ep.metadata?.annotations ?? {}) };
  delete out[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
  delete out[ANNOTATION_LAST_APPLIED];
  return out;
}

/** A mirrored slice (upstream `newEndpointSlice`): owned by the Endpoints; named `name` or generated. */
export function newMirroredSlice(ep: Endpoints, ports: EndpointPort[], addressType: string, name?: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      ...(name ? { name } : { generateName: `${ep.metadata?.name ?? ''}-` }),
      namespace: ep.metadata?.namespace,
      labels: mirroredLabels(ep),
      annotations: mirroredAnnotations(ep),
      ownerReferences: [newControllerRef(ep, 'v1', 'Endpoints')],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => x[k] === y[k]);
}

/**
 * Plans the mirrored slices of `ep` given the slices already mirrored for it. Ready
 * addresses become `ready: true` endpoints, not-ready ones `ready: false`; each subset
 * contributes at most `maxPerSubset` addresses; invalid IPs are skipped and counted.
 * Per (family, port list) one slice is kept (extra ones deleted) and updated only when
 * its endpoints, labels or annotations differ; creates paired with deletes of the same
 * family become updates.
 *
 * @example
 * planMirroredSlices(endpoints, existing) // { create: [...], update: [], delete: [], invalidAddresses: 0, skippedAddresses: 0 }
 */
export function planMirroredSlices(ep: Endpoints, existing: readonly EndpointSlice[], maxPerSubset = DEFAULT_MAX_ENDPOINTS_PER_SUBSET): MirrorPlan {
  const desired = new Map<string, { addressType: string; ports: EndpointPort[]; set: EndpointSet }>();
  let invalid = 0;
  let skipped = 0;
  for (const ss of ep.subsets ?? []) {
    const ports = slicePorts(ss.ports);
    const keyFor = (t: string): string => `${t}/${portMapKey(ports)}`;
    for (const t of ['IPv4', 'IPv6']) if (!desired.has(keyFor(t))) desired.set(keyFor(t), { addressType: t, ports, set: new EndpointSet() });
    const total = (ss.addresses?.length ?? 0) + (ss.notReadyAddresses?.length ?? 0);
    let added = 0;
    const all: Array<[EndpointAddress, boolean]> = [...(ss.addresses ?? []).map((a) => [a, true] as [EndpointAddress, boolean]), ...(ss.notReadyAddresses ?? []).map((a) => [a, false] as [EndpointAddress, boolean])];
    for (const [a, ready] of all) {
      if (added >= maxPerSubset) break;
      const t = addressTypeOf(a.ip);
      if (!t) {
        invalid++;
        continue;
      }
      desired.get(keyFor(t))!.set.insert(addressToEndpoint(a, ready));
      added++;
    }
    skipped += total - added;
  }

  const existingByKey = new Map<string, EndpointSlice[]>();
  const sorted = [...existing].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const s of sorted) {
    const k = `${s.addressType}/${portMapKey(s.ports)}`;
    const list = existingByKey.get(k);
    if (list) list.push(s);
    else existingByKey.set(k, [s]);
  }

  const plan: MirrorPlan = { create: [], update: [], delete: [], invalidAddresses: invalid, skippedAddresses: skipped };
  for (const [k, d] of desired) {
    const slices = existingByKey.get(k) ?? [];
    if (d.set.size === 0) {
      plan.delete.push(...slices);
      continue;
    }
    const first = slices[0];
    plan.delete.push(...slices.slice(1));
    if (first && unchanged(first, d.set, ep)) continue;
    const next = newMirroredSlice(ep, d.ports, d.addressType, first?.metadata?.name);
    if (first) next.metadata = { ...next.metadata, uid: first.metadata?.uid, resourceVersion: first.metadata?.resourceVersion };
    while (d.set.size > 0 && next.endpoints.length < maxPerSubset) next.endpoints.push(d.set.pop() as Endpoint);
    (first ? plan.update : plan.create).push(next);
  }
  for (const [k, slices] of existingByKey) if (!desired.has(k)) plan.delete.push(...slices);

  recycle(plan);
  if (ep.metadata?.deletionTimestamp) plan.create = [];
  return plan;
}

/** True when `slice` already holds exactly the desired endpoints, labels and annotations. */
function unchanged(slice: EndpointSlice, desired: EndpointSet, ep: Endpoints): boolean {
  const seen = new Set<Endpoint>();
  for (const e of slice.endpoints ?? []) {
    const want = desired.get(e);
    if (!want || seen.has(want) || !endpointsEqualBeyondKey(want, e) || (want.hostname ?? '') !== (e.hostname ?? '')) return false;
    seen.add(want);
  }
  return seen.size === desired.size && sameMap(slice.metadata?.labels, mirroredLabels(ep)) && sameMap(slice.metadata?.annotations, mirroredAnnotations(ep));
}

/** Upstream `recycleSlices`: a create and a delete of the same address type become one update. */
function recycle(plan: MirrorPlan): void {
  for (const t of ['IPv4', 'IPv6']) {
    const creates = plan.create.filter((s) => s.addressType === t);
    const deletes = plan.delete.filter((s) => s.addressType === t);
    for (let i = 0; i < creates.length && i < deletes.length; i++) {
      const c = creates[i] as EndpointSlice;
      const d = deletes[i] as EndpointSlice;
      plan.create.splice(plan.create.indexOf(c), 1);
      plan.delete.splice(plan.delete.indexOf(d), 1);
      const meta = { ...c.metadata, name: d.metadata?.name, uid: d.metadata?.uid, resourceVersion: d.metadata?.resourceVersion };
      delete meta.generateName;
      c.metadata = meta;
      plan.update.push(c);
    }
  }
}
