/**
 * The DNS projection (CoreDNS `plugin/kubernetes/object`): Services,
 * EndpointSlices, Pods and Namespaces from the shared informers, stripped down to
 * what answers need and indexed by name and by IP, updated one object at a time.
 * Answers read it through {@link RecordSource}, so tests can hand them a fake.
 */
import type { Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { findResource } from '../api/resources.js';
import { deletedObject, type SharedInformer, type SharedInformerFactory } from '../client/informer.js';
import { canonicalIP, endpointHostname } from './names.js';

/** A port of a Service or an EndpointSlice. `name` is '' for an unnamed port. */
export interface PortRecord {
  name: string;
  port: number;
  /** `TCP`, `UDP` or `SCTP`. */
  protocol: string;
}

/** What answers need of a Service (CoreDNS `object.Service`). Names are lower-case. */
export interface ServiceRecord {
  namespace: string;
  name: string;
  /** `spec.clusterIP: None`. */
  headless: boolean;
  /** Canonical ClusterIPs (empty for headless and ExternalName Services). */
  clusterIPs: string[];
  /** Set for `type: ExternalName`. */
  externalName?: string;
  ports: PortRecord[];
  /**
   * `spec.publishNotReadyAddresses` (or the legacy annotation
   * `service.alpha.kubernetes.io/tolerate-unready-endpoints: "true"`): every
   * endpoint counts as ready.
   */
  publishNotReady: boolean;
}

/** One address of an EndpointSlice endpoint. */
export interface EndpointRecord {
  /** Canonical IP. */
  ip: string;
  /** The DNS _hostname_: the endpoint's `hostname`, else the dashed IP. */
  hostname: string;
  /** `conditions.ready`; unset counts as ready (API docs: "unknown, treat as ready"). */
  ready: boolean;
}

/** What answers need of an EndpointSlice. */
export interface EndpointSliceRecord {
  namespace: string;
  name: string;
  /** The `kubernetes.io/service-name` label, lower-case. */
  service: string;
  ports: PortRecord[];
  endpoints: EndpointRecord[];
}

/** What verified pod records need of a Pod. */
export interface PodRecord {
  namespace: string;
  name: string;
  /** Canonical pod IPs. */
  ips: string[];
}

/**
 * The read side the answers use. Arguments are lower-case names and canonical
 * IPs; results are shared, read-only records.
 */
export interface RecordSource {
  /** False until the first full list of every watched resource is in (answers SERVFAIL instead of NXDOMAIN). */
  hasSynced(): boolean;
  /** The SOA serial: Unix seconds of the last change. */
  serial(): number;
  namespaceExists(namespace: string): boolean;
  service(namespace: string, name: string): ServiceRecord | undefined;
  /** Every slice labelled for the Service (dual-stack and large Services have several). */
  endpointSlices(namespace: string, service: string): readonly EndpointSliceRecord[];
  /** Services with `ip` among their ClusterIPs. */
  servicesByIP(ip: string): readonly ServiceRecord[];
  /** Slices with an endpoint address `ip`. */
  slicesByIP(ip: string): readonly EndpointSliceRecord[];
  /** Pods with `ip` among their pod IPs (only filled when pods are watched). */
  podsByIP(ip: string): readonly PodRecord[];
}

/** The label EndpointSlices carry to name their Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const TOLERATE_UNREADY = 'service.alpha.kubernetes.io/tolerate-unready-endpoints';

/** Strips a Service down to a {@link ServiceRecord}. */
export function toServiceRecord(svc: Service): ServiceRecord {
  const spec = svc.spec ?? {};
  const headless = spec.clusterIP === 'None';
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const rec: ServiceRecord = {
    namespace: (svc.metadata?.namespace ?? '').toLowerCase(),
    name: (svc.metadata?.name ?? '').toLowerCase(),
    headless,
    clusterIPs: spec.type === 'ExternalName' || headless ? [] : ips.map((ip) => canonicalIP(ip)).filter((ip): ip is string => !!ip),
    ports: (spec.ports ?? []).map((p) => ({ name: (p.name ?? '').toLowerCase(), port: p.port, protocol: p.protocol ?? 'TCP' })),
    publishNotReady: spec.publishNotReadyAddresses === true || svc.metadata?.annotations?.[TOLERATE_UNREADY] === 'true',
  };
  if (spec.type === 'ExternalName' && spec.externalName) rec.externalName = spec.externalName.replace(/\.$/, '');
  return rec;
}

/** Strips an EndpointSlice down to an {@link EndpointSliceRecord}; addresses that are not IPs (FQDN slices) are dropped. */
export function toSliceRecord(slice: EndpointSlice): EndpointSliceRecord {
  const endpoints: EndpointRecord[] = [];
  for (const ep of slice.endpoints ?? []) {
    for (const a of ep.addresses ?? []) {
      const ip = canonicalIP(a);
      if (!ip) continue;
      endpoints.push({ ip, hostname: endpointHostname(ip, ep.hostname), ready: ep.conditions?.ready !== false });
    }
  }
  return {
    namespace: (slice.metadata?.namespace ?? '').toLowerCase(),
    name: slice.metadata?.name ?? '',
    service: (slice.metadata?.labels?.[SERVICE_NAME_LABEL] ?? '').toLowerCase(),
    ports: (slice.ports ?? []).map((p) => ({ name: (p.name ?? '').toLowerCase(), port: p.port ?? -1, protocol: p.protocol ?? 'TCP' })),
    endpoints,
  };
}

/** Strips a Pod down to a {@link PodRecord}. */
export function toPodRecord(pod: Pod): PodRecord {
  const raw = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
  return {
    namespace: (pod.metadata?.namespace ?? '').toLowerCase(),
    name: pod.metadata?.name ?? '',
    ips: raw.map((ip) => (ip ? canonicalIP(ip) : undefined)).filter((ip): ip is string => !!ip),
  };
}

/** A multimap with set semantics per key. */
class MultiIndex<V> {
  private readonly map = new Map<string, Set<V>>();
  add(key: string, v: V): void {
    let s = this.map.get(key);
    if (!s) this.map.set(key, (s = new Set()));
    s.add(v);
  }
  delete(key: string, v: V): void {
    const s = this.map.get(key);
    if (!s) return;
    s.delete(v);
    if (s.size === 0) this.map.delete(key);
  }
  get(key: string): ReadonlySet<V> | undefined {
    return this.map.get(key);
  }
}

const NONE: readonly never[] = Object.freeze([]);

/** Options of {@link DnsRecords.watch}. */
export interface RecordsWatchOptions {
  /** Watch pods too (needed only for `pods verified`). Default false. */
  pods?: boolean;
}

/**
 * The in-memory projection. Feed it objects with the `set*`/`delete*` methods, or
 * let {@link DnsRecords.watch} wire it to a shared informer factory.
 *
 * @example
 * const records = new DnsRecords();
 * records.watch(ctx.informers, { pods: false });
 * // … after the factory starts and syncs:
 * records.service('default', 'kubernetes')?.clusterIPs; // ['127.96.0.1']
 */
export class DnsRecords implements RecordSource {
  private readonly services = new Map<string, ServiceRecord>();
  private readonly slices = new Map<string, EndpointSliceRecord>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly namespaces = new Set<string>();
  private readonly slicesByService = new MultiIndex<EndpointSliceRecord>();
  private readonly servicesByIPIndex = new MultiIndex<ServiceRecord>();
  private readonly slicesByIPIndex = new MultiIndex<EndpointSliceRecord>();
  private readonly podsByIPIndex = new MultiIndex<PodRecord>();
  private readonly informers: Array<SharedInformer> = [];
  private modified: number;
  private changes = 0;
  /** Called after every change (the DNS server tells its reader processes). */
  onChange: (() => void) | undefined;

  constructor(private readonly now: () => number = Date.now) {
    this.modified = Math.floor(now() / 1000);
  }

  /**
   * Registers handlers on the Service, EndpointSlice, Namespace (and optionally Pod)
   * informers of `factory`; call before or after the factory starts.
   */
  watch(factory: SharedInformerFactory, opts: RecordsWatchOptions = {}): void {
    const services = factory.forResource<Service>(findResource('', 'v1', 'services')!);
    const slices = factory.forResource<EndpointSlice>(findResource('discovery.k8s.io', 'v1', 'endpointslices')!);
    const namespaces = factory.forResource<Namespace>(findResource('', 'v1', 'namespaces')!);
    services.addEventHandler({
      onAdd: (s) => this.setService(s),
      onUpdate: (_o, s) => this.setService(s),
      onDelete: (s) => this.deleteService(deletedObject(s)),
    });
    slices.addEventHandler({
      onAdd: (s) => this.setEndpointSlice(s),
      onUpdate: (_o, s) => this.setEndpointSlice(s),
      onDelete: (s) => this.deleteEndpointSlice(deletedObject(s)),
    });
    namespaces.addEventHandler({
      onAdd: (n) => this.setNamespace(n),
      onUpdate: (_o, n) => this.setNamespace(n),
      onDelete: (n) => this.deleteNamespace(deletedObject(n)),
    });
    this.informers.push(services as unknown as SharedInformer, slices as unknown as SharedInformer, namespaces as unknown as SharedInformer);
    if (opts.pods) {
      const pods = factory.forResource<Pod>(findResource('', 'v1', 'pods')!);
      pods.addEventHandler({
        onAdd: (p) => this.setPod(p),
        onUpdate: (_o, p) => this.setPod(p),
        onDelete: (p) => this.deletePod(deletedObject(p)),
      });
      this.informers.push(pods as unknown as SharedInformer);
    }
  }

  /** Adds or replaces a Service. */
  setService(svc: Service): void {
    const rec = toServiceRecord(svc);
    const key = `${rec.namespace}/${rec.name}`;
    this.unindexService(key);
    this.services.set(key, rec);
    for (const ip of rec.clusterIPs) this.servicesByIPIndex.add(ip, rec);
    this.touch();
  }

  /** Removes a Service. */
  deleteService(svc: Service): void {
    this.unindexService(`${(svc.metadata?.namespace ?? '').toLowerCase()}/${(svc.metadata?.name ?? '').toLowerCase()}`);
    this.touch();
  }

  /** Adds or replaces an EndpointSlice. */
  setEndpointSlice(slice: EndpointSlice): void {
    const rec = toSliceRecord(slice);
    const key = `${rec.namespace}/${rec.name}`;
    this.unindexSlice(key);
    this.slices.set(key, rec);
    this.slicesByService.add(`${rec.namespace}/${rec.service}`, rec);
    for (const ep of rec.endpoints) this.slicesByIPIndex.add(ep.ip, rec);
    this.touch();
  }

  /** Removes an EndpointSlice. */
  deleteEndpointSlice(slice: EndpointSlice): void {
    this.unindexSlice(`${(slice.metadata?.namespace ?? '').toLowerCase()}/${slice.metadata?.name ?? ''}`);
    this.touch();
  }

  /** Adds or replaces a Pod. */
  setPod(pod: Pod): void {
    const rec = toPodRecord(pod);
    const key = `${rec.namespace}/${rec.name}`;
    this.unindexPod(key);
    this.pods.set(key, rec);
    for (const ip of rec.ips) this.podsByIPIndex.add(ip, rec);
    this.touch();
  }

  /** Removes a Pod. */
  deletePod(pod: Pod): void {
    this.unindexPod(`${(pod.metadata?.namespace ?? '').toLowerCase()}/${pod.metadata?.name ?? ''}`);
    this.touch();
  }

  /** Adds a Namespace. */
  setNamespace(ns: Namespace): void {
    if (ns.metadata?.name) this.namespaces.add(ns.metadata.name.toLowerCase());
    this.touch();
  }

  /** Removes a Namespace. */
  deleteNamespace(ns: Namespace): void {
    if (ns.metadata?.name) this.namespaces.delete(ns.metadata.name.toLowerCase());
    this.touch();
  }

  /** True once every watched informer has synced (always true when fed by hand). */
  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  serial(): number {
    return this.modified;
  }

  /** Counts every change to the projection; answers computed at one value stay valid until it moves (the DNS server's byte cache). */
  generation(): number {
    return this.changes;
  }

  namespaceExists(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  service(namespace: string, name: string): ServiceRecord | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  endpointSlices(namespace: string, service: string): readonly EndpointSliceRecord[] {
    const s = this.slicesByService.get(`${namespace}/${service}`);
    return s ? [...s] : NONE;
  }

  servicesByIP(ip: string): readonly ServiceRecord[] {
    const s = this.servicesByIPIndex.get(ip);
    return s ? [...s] : NONE;
  }

  slicesByIP(ip: string): readonly EndpointSliceRecord[] {
    const s = this.slicesByIPIndex.get(ip);
    return s ? [...s] : NONE;
  }

  podsByIP(ip: string): readonly PodRecord[] {
    const s = this.podsByIPIndex.get(ip);
    return s ? [...s] : NONE;
  }

  /** Sizes, for logs and tests. */
  counts(): { services: number; endpointSlices: number; pods: number; namespaces: number } {
    return { services: this.services.size, endpointSlices: this.slices.size, pods: this.pods.size, namespaces: this.namespaces.size };
  }

  private unindexService(key: string): void {
    const old = this.services.get(key);
    if (!old) return;
    this.services.delete(key);
    for (const ip of old.clusterIPs) this.servicesByIPIndex.delete(ip, old);
  }

  private unindexSlice(key: string): void {
    const old = this.slices.get(key);
    if (!old) return;
    this.slices.delete(key);
    this.slicesByService.delete(`${old.namespace}/${old.service}`, old);
    for (const ep of old.endpoints) this.slicesByIPIndex.delete(ep.ip, old);
  }

  private unindexPod(key: string): void {
    const old = this.pods.get(key);
    if (!old) return;
    this.pods.delete(key);
    for (const ip of old.ips) this.podsByIPIndex.delete(ip, old);
  }

  private touch(): void {
    this.changes++;
    this.onChange?.();
    this.modified = Math.floor(this.now() / 1000);
  }
}
