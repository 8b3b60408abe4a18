/**
 * The proxy's projection of a Service (upstream `pkg/proxy/serviceport.go`): one
 * {@link ServicePortInfo} per port, holding only what a data path needs — the
 * addresses to answer on, the traffic policies, session affinity and the
 * scheduler. Projections are plain data, so change tracking compares them.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { isSchedulerName, type SchedulerName } from './schedulers/scheduler.js';

/** Per-Service scheduler override: one of the scheduler names (`rr`, `lc`, …). */
export const SCHEDULER_ANNOTATION = 'skiff.io/scheduler';

/** `v1.DefaultClientIPServiceAffinitySeconds`. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

/** Transport protocols of Service ports. The userspace data path serves TCP and UDP. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** `Cluster` (every usable endpoint) or `Local` (endpoints on the receiving node only). */
export type TrafficPolicy = 'Cluster' | 'Local';

/** One port of one Service, as the proxy sees it. */
export interface ServicePortInfo {
  /** `namespace/name:portName/protocol` ({@link servicePortKey}). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** `spec.ports[].name`, '' for an unnamed single port. */
  readonly portName: string;
  readonly protocol: Protocol;
  /** `spec.clusterIPs` (or `spec.clusterIP`). */
  readonly clusterIPs: readonly string[];
  readonly port: number;
  /** 0 when the Service has no node port. */
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  /** `status.loadBalancer.ingress[].ip`, except ingresses with `ipMode: Proxy` (the LB proxies itself, as upstream). */
  readonly loadBalancerIPs: readonly string[];
  /** `spec.loadBalancerSourceRanges`; empty allows every client. */
  readonly loadBalancerSourceRanges: readonly string[];
  /** Set only for `sessionAffinity: ClientIP`; default 10800. */
  readonly affinityTimeoutSeconds?: number;
  readonly externalTrafficPolicy: TrafficPolicy;
  readonly internalTrafficPolicy: TrafficPolicy;
  /** `spec.healthCheckNodePort` (LoadBalancer with `externalTrafficPolicy: Local`); absent otherwise. */
  readonly healthCheckNodePort?: number;
  /** The `skiff.io/scheduler` annotation when it names a scheduler; else the proxy's default applies. */
  readonly scheduler?: SchedulerName;
}

/** `ns/name`: the key the trackers group a Service's ports and slices under. */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * The key of one Service port, shared by Service and EndpointSlice projections.
 *
 * @example servicePortKey('default', 'web', 'http', 'TCP') // 'default/web:http/TCP'
 */
export function servicePortKey(namespace: string, name: string, portName: string, protocol: string): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}

/** Whether the proxy has nothing to do for `svc` (upstream `ShouldSkipService`): headless, ExternalName, or no ClusterIP yet. */
export function shouldSkipService(svc: Service): boolean {
  const spec = svc.spec;
  if (!spec) return true;
  if (spec.type === 'ExternalName') return true;
  return !spec.clusterIP || spec.clusterIP === 'None';
}

/**
 * Projects a Service into its ports (an empty map for skipped Services or
 * `undefined`). Unknown protocols are kept — the data path decides what it serves.
 *
 * @example servicePortsFromService(svc).get('default/web:/TCP')?.nodePort
 */
export function servicePortsFromService(svc: Service | undefined): Map<string, ServicePortInfo> {
  const out = new Map<string, ServicePortInfo>();
  if (!svc || shouldSkipService(svc)) return out;
  const spec = svc.spec!;
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP!]).filter((ip) => ip && ip !== 'None');
  const loadBalancerIPs = (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip && i.ipMode !== 'Proxy').map((i) => i.ip!);
  const annotated = svc.metadata?.annotations?.[SCHEDULER_ANNOTATION];
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS) : undefined;
  for (const p of spec.ports ?? []) {
    const protocol = (p.protocol ?? 'TCP') as Protocol;
    const portName = p.name ?? '';
    const key = servicePortKey(namespace, name, portName, protocol);
    out.set(key, {
      key,
      namespace,
      name,
      portName,
      protocol,
      clusterIPs,
      port: p.port,
      nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
      externalIPs: spec.externalIPs ?? [],
      loadBalancerIPs: spec.type === 'LoadBalancer' ? loadBalancerIPs : [],
      loadBalancerSourceRanges: spec.type === 'LoadBalancer' ? (spec.loadBalancerSourceRanges ?? []).map((r) => r.trim()) : [],
      ...(affinity !== undefined ? { affinityTimeoutSeconds: affinity } : {}),
      externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      ...(isSchedulerName(annotated) ? { scheduler: annotated } : {}),
      ...(spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' && spec.healthCheckNodePort ? { healthCheckNodePort: spec.healthCheckNodePort } : {}),
    });
  }
  return out;
}
