/**
 * Objects kube-apiserver maintains itself: the system namespaces and the
 * `default/kubernetes` Service with its Endpoints and EndpointSlice pointing at
 * the API server (upstream: the "bootstrap-controller" and master endpoints
 * reconciler). Idempotent: run at every start, it repairs what changed (e.g.
 * the server's port).
 */
import { findResource } from '../api/resources.js';
import { isReason } from '../api/errors.js';
import type { Registry } from './registry.js';
import type { KObject } from './watch-cache.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const R = {
  namespaces: findResource('', 'v1', 'namespaces')!,
  services: findResource('', 'v1', 'services')!,
  endpoints: findResource('', 'v1', 'endpoints')!,
  endpointslices: findResource('discovery.k8s.io', 'v1', 'endpointslices')!,
};

async function ensure(registry: Registry, info: typeof R.services, ns: string | undefined, obj: KObject, same: (cur: KObject) => boolean, patch: (cur: KObject) => KObject): Promise<void> {
  const name = obj.metadata!.name!;
  const cur = await registry.find(info, ns, name);
  if (!cur) {
    try {
      await registry.create(info, ns, obj);
    } catch (err) {
      if (!isReason(err, 'AlreadyExists')) throw err;
    }
    return;
  }
  if (!same(cur)) await registry.guaranteedUpdate(info, ns, name, (c) => patch(c!));
}

/**
 * Creates the system namespaces and the `kubernetes` Service, Endpoints and
 * EndpointSlice for an API server reachable at `host:port`, with ClusterIP `clusterIP`.
 */
export async function bootstrapCluster(registry: Registry, opts: { host: string; port: number; clusterIP: string }): Promise<void> {
  for (const ns of SYSTEM_NAMESPACES) {
    await ensure(registry, R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } }, () => true, (c) => c);
  }
  const port = { name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port };
  await ensure(
    registry,
    R.services,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: opts.clusterIP, clusterIPs: [opts.clusterIP], ports: [port], sessionAffinity: 'None' },
    },
    (c) => JSON.stringify((c.spec as { ports?: unknown }).ports) === JSON.stringify([port]),
    (c) => {
      (c.spec as { ports?: unknown }).ports = [port];
      return c;
    },
  );
  const subsets = [{ addresses: [{ ip: opts.host }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }];
  await ensure(
    registry,
    R.endpoints,
    'default',
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets },
    (c) => JSON.stringify(c.subsets) === JSON.stringify(subsets),
    (c) => ({ ...c, subsets }),
  );
  const endpoints = [{ addresses: [opts.host], conditions: { ready: true } }];
  const ports = [{ name: 'https', port: opts.port, protocol: 'TCP' }];
  await ensure(
    registry,
    R.endpointslices,
    'default',
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints,
      ports,
    },
    (c) => JSON.stringify(c.endpoints) === JSON.stringify(endpoints) && JSON.stringify(c.ports) === JSON.stringify(ports),
    (c) => ({ ...c, endpoints, ports }),
  );
}
