/**
 * Making the DNS server reachable as a Service, as kubeadm does for CoreDNS: the
 * selector-less `kube-system/kube-dns` Service (ClusterIP 127.96.0.10 by default)
 * and an `Endpoints` object pointing at wherever the server actually listens —
 * the EndpointSlice mirroring controller turns that into a slice and the service
 * proxy forwards ClusterIP:53 to it like any other Service. Also: what address to
 * tell users and pods to use.
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { EndpointPort, Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { isReason } from '../api/errors.js';
import { findResource } from '../api/resources.js';
import type { Client } from '../client/client.js';

/** The DNS Service's ClusterIP by default (DESIGN.md: 127.96.0.10). */
export const DEFAULT_CLUSTER_DNS_IP = '127.96.0.10';
/** CoreDNS's metrics port. */
export const METRICS_PORT = 9153;

/** Options of {@link publishClusterDns}. */
export interface PublishOptions {
  /** Where the DNS server listens (its Endpoints address). */
  address: { host: string; port: number };
  /** Where its `/metrics` listens, if anywhere (adds the `metrics` endpoint port). */
  metricsPort?: number;
  /** Default {@link DEFAULT_CLUSTER_DNS_IP}. */
  clusterIP?: string;
  /** Default `kube-system`. */
  namespace?: string;
  /** Default `kube-dns`. */
  name?: string;
}

/** Labels kubeadm puts on the CoreDNS Service. */
export const KUBE_DNS_LABELS: Readonly<Record<string, string>> = {
  'k8s-app': 'kube-dns',
  'kubernetes.io/cluster-service': 'true',
  'kubernetes.io/name': 'CoreDNS',
};

const SERVICE_PORTS: ServicePort[] = [
  { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
  { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
  { name: 'metrics', port: METRICS_PORT, protocol: 'TCP', targetPort: METRICS_PORT },
];

/** The desired `kube-dns` Service. */
export function kubeDnsService(opts: PublishOptions): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: opts.name ?? 'kube-dns',
      namespace: opts.namespace ?? 'kube-system',
      labels: { ...KUBE_DNS_LABELS },
      annotations: { 'prometheus.io/port': String(METRICS_PORT), 'prometheus.io/scrape': 'true' },
    },
    spec: { type: 'ClusterIP', clusterIP: opts.clusterIP ?? DEFAULT_CLUSTER_DNS_IP, ports: SERVICE_PORTS.map((p) => ({ ...p })) },
  };
}

/** The desired `kube-dns` Endpoints: the server's real address and ports, named like the Service's ports. */
export function kubeDnsEndpoints(opts: PublishOptions): Endpoints {
  const ports: EndpointPort[] = [
    { name: 'dns', port: opts.address.port, protocol: 'UDP' },
    { name: 'dns-tcp', port: opts.address.port, protocol: 'TCP' },
  ];
  if (opts.metricsPort) ports.push({ name: 'metrics', port: opts.metricsPort, protocol: 'TCP' });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: opts.name ?? 'kube-dns', namespace: opts.namespace ?? 'kube-system', labels: { ...KUBE_DNS_LABELS } },
    subsets: [{ addresses: [{ ip: opts.address.host }], ports }],
  };
}

const portKey = (p: { name?: string; port?: number; protocol?: string }): string => `${p.name ?? ''}/${p.port ?? ''}/${p.protocol ?? 'TCP'}`;
const samePorts = (a: Array<{ name?: string; port?: number; protocol?: string }> = [], b: Array<{ name?: string; port?: number; protocol?: string }> = []): boolean =>
  a.map(portKey).sort().join(',') === b.map(portKey).sort().join(',');

/**
 * Ensures the `kube-dns` Service and Endpoints exist as desired: creates what is
 * missing, updates ports, labels and addresses that drifted, and never touches an
 * existing ClusterIP (immutable). Resolves with both objects as stored.
 *
 * @example
 * await publishClusterDns(cluster.client, { address: dns.address(), metricsPort: 9153 });
 */
export async function publishClusterDns(client: Client, opts: PublishOptions): Promise<{ service: Service; endpoints: Endpoints }> {
  const services = client.resource<Service>(findResource('', 'v1', 'services')!);
  const endpointsClient = client.resource<Endpoints>(findResource('', 'v1', 'endpoints')!);
  const wantSvc = kubeDnsService(opts);
  const ns = wantSvc.metadata!.namespace!;
  const name = wantSvc.metadata!.name!;

  let service: Service;
  try {
    const have = await services.get(ns, name);
    const labelsOk = Object.entries(KUBE_DNS_LABELS).every(([k, v]) => have.metadata?.labels?.[k] === v);
    if (labelsOk && samePorts(have.spec?.ports, wantSvc.spec!.ports) && !have.spec?.selector) service = have;
    else {
      service = await services.update(ns, {
        ...have,
        metadata: { ...have.metadata, labels: { ...have.metadata?.labels, ...KUBE_DNS_LABELS } },
        spec: { ...have.spec, selector: undefined, ports: wantSvc.spec!.ports },
      } as Service);
    }
  } catch (err) {
    if (!isReason(err, 'NotFound')) throw err;
    try {
      service = await services.create(ns, wantSvc);
    } catch (e) {
      if (!isReason(e, 'AlreadyExists')) {
        throw new Error(`cannot create Service ${ns}/${name} with clusterIP ${wantSvc.spec!.clusterIP}: ${(e as Error).message} (free that IP or pass another --cluster-dns)`);
      }
      service = await services.get(ns, name);
    }
  }

  const wantEp = kubeDnsEndpoints(opts);
  let endpoints: Endpoints;
  try {
    const have = await endpointsClient.get(ns, name);
    const subset = have.subsets?.length === 1 ? have.subsets[0] : undefined;
    const ok =
      subset &&
      subset.addresses?.length === 1 &&
      subset.addresses[0]?.ip === opts.address.host &&
      !subset.notReadyAddresses?.length &&
      samePorts(subset.ports, wantEp.subsets![0]!.ports);
    endpoints = ok ? have : await endpointsClient.update(ns, { ...have, metadata: { ...have.metadata, labels: { ...have.metadata?.labels, ...KUBE_DNS_LABELS } }, subsets: wantEp.subsets } as Endpoints);
  } catch (err) {
    if (!isReason(err, 'NotFound')) throw err;
    try {
      endpoints = await endpointsClient.create(ns, wantEp);
    } catch (e) {
      if (!isReason(e, 'AlreadyExists')) throw e;
      endpoints = await endpointsClient.get(ns, name);
    }
  }
  return { service, endpoints };
}

/**
 * Whether this process may bind `port` (below 1024 needs CAP_NET_BIND_SERVICE
 * unless `net.ipv4.ip_unprivileged_port_start` allows it). Pure core of
 * {@link canBindPort}.
 */
export function privilegedPortAllowed(port: number, facts: { uid?: number; capEff?: bigint; unprivilegedPortStart?: number }): boolean {
  if (port >= (facts.unprivilegedPortStart ?? 1024)) return true;
  const CAP_NET_BIND_SERVICE = 10n;
  if (facts.capEff !== undefined) return (facts.capEff & (1n << CAP_NET_BIND_SERVICE)) !== 0n;
  return facts.uid === 0;
}

/** {@link privilegedPortAllowed} with the facts read from this process and kernel. */
export function canBindPort(port: number): boolean {
  const facts: { uid?: number; capEff?: bigint; unprivilegedPortStart?: number } = {};
  const uid = process.getuid?.();
  if (uid !== undefined) facts.uid = uid;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) facts.capEff = BigInt(`0x${m[1]}`);
  } catch {
    // Not Linux: fall back to the uid.
  }
  try {
    facts.unprivilegedPortStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    // Older kernels: 1024.
  }
  return privilegedPortAllowed(port, facts);
}

/** Inputs of {@link clusterDnsAddress}. */
export interface ClusterDnsAddressInputs {
  /** The kube-dns ClusterIP. */
  clusterIP: string;
  /** Where the DNS server itself listens. */
  direct: { host: string; port: number };
  /** A service proxy runs in this process (and would serve ClusterIP:53). */
  proxy: boolean;
  /** Whether the proxy can bind port 53; default {@link canBindPort}(53). */
  proxyCanBind53?: boolean;
}

/**
 * What `skiff up` prints as the cluster DNS (`CLUSTER_DNS=ip:port` for dig and the
 * acceptance scripts): `<clusterIP>:53` when a proxy serves it on port 53, else
 * the server's own address.
 *
 * @example clusterDnsAddress({ clusterIP: '127.96.0.10', direct: { host: '127.0.2.53', port: 40123 }, proxy: false }) // '127.0.2.53:40123'
 */
export function clusterDnsAddress(i: ClusterDnsAddressInputs): string {
  const fmt = (host: string, port: number): string => (isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);
  if (i.proxy && (i.proxyCanBind53 ?? canBindPort(53))) return fmt(i.clusterIP, 53);
  return fmt(i.direct.host, i.direct.port);
}
