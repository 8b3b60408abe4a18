/**
 * The subsets of a legacy `Endpoints` object (upstream
 * `pkg/controller/endpoint` and `pkg/api/v1/endpoints` `RepackSubsets`): one
 * address per selected pod and Service port, ready or not ready by the
 * upstream rules, then repacked into the canonical form where each subset is a
 * set of addresses offering the same set of ports. Also the 1000-address
 * truncation. Pure functions.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import { findPort, isIPv6, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from '../endpointslice/pods.js';
import { isPodReady } from '../replicaset/pods.js';

/** Upstream `maxCapacity`: addresses an Endpoints object holds at most. */
export const MAX_ENDPOINTS_CAPACITY = 1000;

/**
 * The address of `pod` for `svc` (upstream `podToEndpointAddressForService`): the pod IP
 * of the Service's primary family (from `ipFamilies`, else the ClusterIP, else the pod
 * IP), with nodeName, targetRef and — when the pod's subdomain is the Service — hostname.
 * Undefined when the pod has no IP of that family.
 */
export function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  const fam = svc.spec?.ipFamilies?.[0];
  if (fam) v6 = fam === 'IPv6';
  else if (svc.spec?.clusterIP && svc.spec.clusterIP !== 'None') v6 = isIPv6(svc.spec.clusterIP);
  else v6 = isIPv6(pod.status?.podIP ?? '');
  const ip = podIPs(pod).find((a) => isIPv6(a) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname!;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
  return addr;
}

/**
 * The unpacked subsets of a Service over `pods` (the pods it selects): for every pod in
 * endpoints (terminating pods only with `publishNotReadyAddresses`) and every Service
 * port its pod resolves, one subset with the address as ready (pod Ready, or
 * `publishNotReadyAddresses`) or not ready. A headless Service without ports gets
 * port-less subsets. Feed the result to {@link repackSubsets}.
 */
export function unpackedSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const out: EndpointSubset[] = [];
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const ready = tolerateUnready || isPodReady(pod);
    const add = (p: EndpointPort[]): void => {
      out.push(ready ? { addresses: [addr], ports: p } : { notReadyAddresses: [addr], ports: p });
    };
    if (ports.length === 0) {
      if (svc.spec?.clusterIP === 'None') add([]);
      continue;
    }
    for (const sp of ports) {
      const num = findPort(pod, sp);
      if (num === undefined) continue;
      const epp: EndpointPort = { ...(sp.name ? { name: sp.name } : {}), port: num, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol !== undefined) epp.appProtocol = sp.appProtocol;
      add([epp]);
    }
  }
  return out;
}

/** Addresses are the same when IP and target UID are. */
function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointPort): string {
  return JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? null]);
}

/** Upstream `LessEndpointAddress`: by IP bytes, then target UID (no target first). */
export function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return Buffer.compare(Buffer.from(a.ip), Buffer.from(b.ip));
  const ua = a.targetRef ? a.targetRef.uid ?? '' : undefined;
  const ub = b.targetRef ? b.targetRef.uid ?? '' : undefined;
  if (ua === ub) return 0;
  if (ub === undefined) return 1;
  if (ua === undefined) return -1;
  return ua < ub ? -1 : 1;
}

const SENTINEL = '\u0000none';

/**
 * Upstream `RepackSubsets`: expands subsets to (address, port) pairs, deduplicates
 * addresses by IP and target UID (not ready wins over ready for the same port), and
 * regroups them so that each subset holds the addresses sharing exactly the same ports
 * with the same readiness. Port-less subsets (headless) survive. Addresses and ports are
 * sorted; subsets are in a stable order (upstream sorts by an md5 of their dump).
 *
 * @example
 * repackSubsets([{ addresses: [a], ports: [http] }, { addresses: [a], ports: [https] }])
 * // [{ addresses: [a], ports: [http, https] }]
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, boolean> }>();
  const map = (addr: EndpointAddress, port: EndpointPort | undefined, ready: boolean): void => {
    const ak = addressKey(addr);
    if (!allAddrs.has(ak)) allAddrs.set(ak, structuredClone(addr));
    const pk = port ? portKey(port) : SENTINEL;
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { port, addrs: new Map() }));
    const was = entry.addrs.get(ak);
    if (was === undefined || was) entry.addrs.set(ak, ready);
  };
  for (const ss of subsets) {
    const ports: Array<EndpointPort | undefined> = ss.ports?.length ? ss.ports : [undefined];
    for (const p of ports) {
      for (const a of ss.addresses ?? []) map(a, p, true);
      for (const a of ss.notReadyAddresses ?? []) map(a, p, false);
    }
  }
  // Group ports by the exact (address, readiness) set that offers them.
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const sig = JSON.stringify([...addrs].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { addrs, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.addrs) (r ? ready : notReady).push(allAddrs.get(ak) as EndpointAddress);
    ready.sort(compareAddresses);
    notReady.sort(compareAddresses);
    const ss: EndpointSubset = {};
    if (ready.length) ss.addresses = ready;
    if (notReady.length) ss.notReadyAddresses = notReady;
    if (g.ports.length) ss.ports = [...g.ports].sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    out.push(ss);
  }
  return out.sort((a, b) => {
    const ka = canonicalSubset(a);
    const kb = canonicalSubset(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function canonicalAddress(a: EndpointAddress): unknown[] {
  const r = a.targetRef;
  return [a.ip, a.hostname ?? '', a.nodeName ?? '', r ? [r.kind ?? '', r.namespace ?? '', r.name ?? '', r.uid ?? '', r.apiVersion ?? '', r.fieldPath ?? ''] : null];
}

/** A canonical string of a subset, blind to targetRef resourceVersions and to empty-vs-missing lists. */
function canonicalSubset(s: EndpointSubset): string {
  return JSON.stringify([(s.addresses ?? []).map(canonicalAddress), (s.notReadyAddresses ?? []).map(canonicalAddress), (s.ports ?? []).map(portKey)]);
}

/** Upstream `endpointSubsetsEqualIgnoreResourceVersion`: equal subsets, ignoring target resourceVersions. */
export function subsetsEqual(a: readonly EndpointSubset[] | undefined, b: readonly EndpointSubset[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((s, i) => canonicalSubset(s) === canonicalSubset(y[i] as EndpointSubset));
}

function countAddresses(subsets: readonly EndpointSubset[]): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

/**
 * Upstream `truncateEndpoints`: when the subsets hold more than `max` addresses, keeps
 * ready addresses first and cuts each subset in proportion to its share (rounded up).
 * Returns the new subsets and whether anything was cut.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  const { ready, notReady } = countAddresses(subsets);
  if (ready + notReady <= max) return { subsets: [...subsets], truncated: false };
  const truncateReady = ready > max;
  const budget = truncateReady ? max : max - ready;
  const total = truncateReady ? ready : notReady;
  let left = budget;
  const out = subsets.map((s) => {
    const n = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const take = Math.min(Math.ceil((n / total) * budget), left);
    const next: EndpointSubset = { ...s };
    if (truncateReady) {
      next.addresses = (s.addresses ?? []).slice(0, take);
      delete next.notReadyAddresses;
      left -= next.addresses.length;
      if (next.addresses.length === 0) delete next.addresses;
    } else {
      next.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, take);
      left -= next.notReadyAddresses.length;
      if (next.notReadyAddresses.length === 0) delete next.notReadyAddresses;
    }
    return next;
  });
  // A subset left with no address at all is invalid in the API; drop it.
  return { subsets: out.filter((s) => (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0) > 0), truncated: true };
}

/** Upstream `capacityAnnotationSetCorrectly`: under capacity and no over-capacity annotation. */
export function capacityAnnotationCorrect(annotations: Readonly<Record<string, string>> | undefined, subsets: readonly EndpointSubset[] | undefined, overCapacityKey: string): boolean {
  const { ready, notReady } = countAddresses(subsets ?? []);
  if (ready + notReady > MAX_ENDPOINTS_CAPACITY) return false;
  return !(annotations && overCapacityKey in annotations);
}
