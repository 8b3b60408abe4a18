/**
 * The pure fix-ups the upstream service registry applies before allocating:
 * keep `clusterIP`/`clusterIPs` in sync, patch back allocated values a PUT
 * omitted (`kubectl replace`), and wipe fields that a type change made
 * meaningless (`NormalizeClusterIPs`, `patchAllocatedValues`,
 * `dropTypeDependentFields`). All mutate the new Service in place.
 */

import type { Service } from 'kubernetes-types/core/v1.js';

const needsClusterIP = (s: Service): boolean => s.spec?.type !== 'ExternalName';
const needsNodePort = (s: Service): boolean => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer';
const needsHCNodePort = (s: Service): boolean => s.spec?.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local';
const sameJSON = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const sameClusterIPs = (a: Service, b: Service): boolean => sameJSON(a.spec?.clusterIPs ?? [], b.spec?.clusterIPs ?? []);

/** Makes clusterIP and clusterIPs agree, as `NormalizeClusterIPs` (old undefined on create). */
export function normalizeClusterIPs(svc: Service, old?: Service): void {
  const spec = (svc.spec ??= {});
  if (!old) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const os = old.spec ?? {};
  if ((os.clusterIPs?.length ?? 0) > 0 && !spec.clusterIPs?.length && (os.clusterIP ?? '') === (spec.clusterIP ?? '')) {
    spec.clusterIPs = [...os.clusterIPs!];
  }
  if ((os.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (os.clusterIP && !spec.clusterIP && sameClusterIPs(old, svc)) delete spec.clusterIPs;
    if (spec.clusterIP && sameClusterIPs(old, svc)) spec.clusterIPs = [spec.clusterIP];
  }
}

/** Restores allocated values the client left out on update (`patchAllocatedValues`). */
export function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const os = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && os.clusterIP) spec.clusterIP = os.clusterIP;
    if (!spec.clusterIPs?.length && os.clusterIPs?.length) spec.clusterIPs = [...os.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const usedBy = (s: Service): Set<number> => new Set((s.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const newUsed = usedBy(svc);
    const used = new Set([...usedBy(old)].filter((n) => newUsed.has(n)));
    const byName = new Map<string, number>();
    for (const p of os.ports ?? []) byName.set(p.name ?? '', p.nodePort ?? 0);
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const oldVal = byName.get(p.name ?? '') ?? 0;
      if (oldVal && !used.has(oldVal)) p.nodePort = oldVal;
    }
  }
  if (needsHCNodePort(old) && needsHCNodePort(svc) && !spec.healthCheckNodePort && os.healthCheckNodePort) {
    spec.healthCheckNodePort = os.healthCheckNodePort;
  }
}

/** Clears fields a type change left behind, unless the client changed them too (`dropTypeDependentFields`). */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const os = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if ((os.clusterIP ?? '') === (spec.clusterIP ?? '') && sameClusterIPs(old, svc)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJSON(os.ipFamilyPolicy, spec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
    if (sameJSON(os.ipFamilies ?? [], spec.ipFamilies ?? [])) delete spec.ipFamilies;
  }
  const keepsNodePorts = spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
  if (needsNodePort(old) && !needsNodePort(svc) && !keepsNodePorts) {
    const same = sameJSON((os.ports ?? []).map((p) => p.nodePort ?? 0), (spec.ports ?? []).map((p) => p.nodePort ?? 0));
    if (same) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (needsHCNodePort(old) && !needsHCNodePort(svc) && (os.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)) {
    delete spec.healthCheckNodePort;
  }
  if (os.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts !== undefined && os.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass !== undefined && os.loadBalancerClass === spec.loadBalancerClass) delete spec.loadBalancerClass;
    if (svc.status?.loadBalancer) svc.status.loadBalancer = {};
  }
  const needsETP = (s: Service): boolean => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer';
  if (needsETP(old) && !needsETP(svc) && (os.externalTrafficPolicy ?? '') === (spec.externalTrafficPolicy ?? '')) {
    delete spec.externalTrafficPolicy;
  }
}

/** Create-time preparation: `normalizeClusterIPs`. */
export function prepareServiceCreate(svc: Service): void {
  normalizeClusterIPs(svc);
}

/**
 * Update-time preparation, in upstream's order: patch allocated values,
 * normalize clusterIPs, drop type-dependent fields. Run it before validation
 * (the registry's `prepareForUpdate`); running it again is harmless.
 */
export function prepareServiceUpdate(svc: Service, old: Service): void {
  patchAllocatedValues(svc, old);
  normalizeClusterIPs(svc, old);
  dropTypeDependentFields(svc, old);
}
