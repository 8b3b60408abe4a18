/**
 * The `snapshot()` of a kernel data path: which service ports and endpoints the
 * last applied ruleset serves. The kernel keeps no per-backend counters skiff
 * reads back (conntrack would be needed), so traffic numbers are zero.
 */
import type { DataplaneSnapshot, ProxyState } from '../../dataplane.js';
import { planFrontends } from '../../frontends.js';
import { planKernelServices } from './kernel-service-plan.js';

/** A snapshot of `state` as applied by data path `mode` (empty before the first sync). */
export function kernelSnapshot(mode: string, state: ProxyState | undefined): DataplaneSnapshot {
  if (!state) return { mode, servicePorts: [] };
  const listeners = new Map<string, string[]>();
  for (const f of planFrontends(state).frontends) {
    if (!f.listen) continue;
    let l = listeners.get(f.servicePort);
    if (!l) listeners.set(f.servicePort, (l = []));
    l.push(f.key.slice(f.key.indexOf('/') + 1));
  }
  return {
    mode,
    servicePorts: planKernelServices(state).map((p) => ({
      namespace: p.info.namespace,
      name: p.info.name,
      port: p.info.portName,
      protocol: p.info.protocol,
      // The kernel's iptables and nftables rules pick endpoints at random.
      scheduler: 'random' as const,
      listeners: listeners.get(p.info.key) ?? [],
      rejected: 0,
      backends: p.allEndpoints.map((e) => ({ endpoint: e.key, nodeName: e.nodeName, listed: true, weight: e.weight, activeConnections: 0, connectionsTotal: 0, bytesIn: 0, bytesOut: 0, errors: 0, picks: 0 })),
    })),
  };
}
