/**
 * The proxy's projection of EndpointSlices (upstream `pkg/proxy/endpoint.go` and
 * `endpointslicecache.go`): a slice becomes a stripped-down {@link SliceInfo}, and
 * the slices of one Service merge into sorted, de-duplicated
 * {@link EndpointInfo} lists per service port.
 *
 * Weights for the weighted schedulers come from the `skiff.io/weight` annotation
 * on the EndpointSlice, because the slice is the object the proxy already watches
 * and the one a person writes by hand for a selector-less Service (a canary slice
 * weighted 1 beside a main slice weighted 9).
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { servicePortKey, serviceKey } from './service-port.js';

/** The label naming an EndpointSlice's Service (`discovery.LabelServiceName`). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Backend weights on an EndpointSlice: a bare integer for every endpoint of the
 * slice and/or `address=weight` pairs, comma-separated (`"2"`, `"127.128.0.5=3"`,
 * `"1,127.128.0.9=0"`). Default weight 1; 0 quiesces an endpoint (no new
 * connections), as IPVS weight 0 does.
 */
export const WEIGHT_ANNOTATION = 'skiff.io/weight';

/** Upstream's annotation carrying when the change that produced the slice happened (RFC 3339). */
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** One backend address of one service port. */
export interface EndpointInfo {
  /** `ip:port` */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  /** `conditions.ready` (unset counts as true). */
  readonly ready: boolean;
  /** `conditions.serving` (unset: same as ready). */
  readonly serving: boolean;
  /** `conditions.terminating` (unset counts as false). */
  readonly terminating: boolean;
  /** `nodeName`, '' when unknown. */
  readonly nodeName: string;
  /** From {@link WEIGHT_ANNOTATION}; default 1. */
  readonly weight: number;
}

/** One port of a slice. */
export interface SlicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
}

/** One endpoint of a slice, before it is paired with ports. */
export interface SliceEndpoint {
  readonly ip: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string;
  readonly weight: number;
}

/** The stripped-down slice the endpoints tracker stores and compares. */
export interface SliceInfo {
  readonly ports: readonly SlicePort[];
  readonly endpoints: readonly SliceEndpoint[];
}

/** Where a slice belongs: its Service key and its own name. Undefined without a service-name label. */
export function sliceKeys(slice: EndpointSlice): { service: string; slice: string } | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  const ns = slice.metadata?.namespace;
  const name = slice.metadata?.name;
  if (!svc || !ns || !name) return undefined;
  return { service: serviceKey(ns, svc), slice: name };
}

/**
 * Parses a {@link WEIGHT_ANNOTATION} value into a default weight and per-address
 * overrides; malformed parts are ignored.
 *
 * @example parseWeights('2,127.128.0.9=0') // { all: 2, byAddress: Map { '127.128.0.9' => 0 } }
 */
export function parseWeights(value: string | undefined): { all: number; byAddress: Map<string, number> } {
  const byAddress = new Map<string, number>();
  let all = 1;
  for (const raw of (value ?? '').split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    const num = Number(eq < 0 ? part : part.slice(eq + 1).trim());
    if (!Number.isInteger(num) || num < 0) continue;
    if (eq < 0) all = num;
    else byAddress.set(part.slice(0, eq).trim(), num);
  }
  return { all, byAddress };
}

/**
 * Projects an EndpointSlice (undefined for FQDN slices, which the proxy cannot
 * dial). Ports without a number are dropped (upstream does the same); endpoints
 * keep only their first address; lists are sorted so equal slices project equal.
 */
export function sliceInfoFromSlice(slice: EndpointSlice): SliceInfo | undefined {
  if (slice.addressType === 'FQDN') return undefined;
  const weights = parseWeights(slice.metadata?.annotations?.[WEIGHT_ANNOTATION]);
  const ports: SlicePort[] = [];
  for (const p of slice.ports ?? []) {
    if (!p.port) continue;
    ports.push({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' });
  }
  ports.sort((a, b) => a.port - b.port || a.name.localeCompare(b.name));
  const endpoints: SliceEndpoint[] = [];
  for (const e of slice.endpoints ?? []) {
    const ip = e.addresses?.[0];
    if (!ip) continue;
    const ready = e.conditions?.ready ?? true;
    endpoints.push({
      ip,
      ready,
      serving: e.conditions?.serving ?? ready,
      terminating: e.conditions?.terminating ?? false,
      nodeName: e.nodeName ?? '',
      weight: weights.byAddress.get(ip) ?? weights.all,
    });
  }
  endpoints.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return { ports, endpoints };
}

/**
 * Merges the slices of Service `namespace/name` into endpoint lists per service
 * port key, sorted by `ip:port`. An address listed by two slices counts once,
 * preferring a ready copy (slices overlap briefly while the controller moves
 * endpoints between them).
 */
export function endpointsFromSlices(namespace: string, name: string, slices: Iterable<SliceInfo>): Map<string, EndpointInfo[]> {
  const byPort = new Map<string, Map<string, EndpointInfo>>();
  for (const s of slices) {
    for (const p of s.ports) {
      const key = servicePortKey(namespace, name, p.name, p.protocol);
      let set = byPort.get(key);
      if (!set) byPort.set(key, (set = new Map()));
      for (const e of s.endpoints) {
        const epKey = endpointKey(e.ip, p.port);
        const prev = set.get(epKey);
        if (prev && (prev.ready || !e.ready)) continue;
        set.set(epKey, { key: epKey, ip: e.ip, port: p.port, ready: e.ready, serving: e.serving, terminating: e.terminating, nodeName: e.nodeName, weight: e.weight });
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, set] of byPort) {
    if (set.size === 0) continue;
    out.set(key, [...set.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  return out;
}

/** `ip:port`, bracketing IPv6 addresses. */
export function endpointKey(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
