/**
 * The per-service-port decisions every kernel renderer shares (iptables,
 * nftables, ipvsadm), following upstream `syncProxyRules`: which endpoints the
 * Cluster and Local policy chains hold, which chains exist at all, and whether
 * internal and external traffic has somewhere to go or must be rejected
 * (no endpoints at all) or dropped (Local policy without a local endpoint).
 *
 * "Local" here means the proxy's `nodeName` when set, else every node the proxy
 * serves: a kernel ruleset belongs to one machine, and every node skiff serves
 * from one proxy shares this machine (the same scope `planFrontends` uses for
 * host traffic).
 */
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import type { ServicePortInfo } from '../../service-port.js';
import { usableEndpoints } from '../../topology.js';

/** What a kernel ruleset decides for one service port. */
export interface KernelServicePlan {
  readonly info: ServicePortInfo;
  /** Upstream `ServicePortName.String()`: `ns/name:port`, or `ns/name` for an unnamed port. */
  readonly name: string;
  /** Lower-case protocol as iptables and nft spell it. */
  readonly proto: 'tcp' | 'udp' | 'sctp';
  /** Usable endpoints under the Cluster policy (ready, else serving+terminating). */
  readonly clusterEndpoints: readonly EndpointInfo[];
  /** Usable endpoints on the local nodes. */
  readonly localEndpoints: readonly EndpointInfo[];
  /** The endpoints of the chains in use (union, sorted by key): each gets its own chain. */
  readonly allEndpoints: readonly EndpointInfo[];
  /** Whether the Cluster policy chain (KUBE-SVC-…) is written. */
  readonly usesClusterChain: boolean;
  /** Whether the Local policy chain (KUBE-SVL-…) is written. */
  readonly usesLocalChain: boolean;
  /** Has externalIPs, LoadBalancer IPs or a NodePort. */
  readonly externallyAccessible: boolean;
  /** Where ClusterIP traffic goes: 'cluster' | 'local' chain, or the filter verdict when nothing can serve it. */
  readonly internal: 'cluster' | 'local' | 'reject' | 'drop';
  /** Where external traffic goes: through the external chain, or the filter verdict. */
  readonly external: 'ext' | 'reject' | 'drop';
}

/** The nodes counted as "this node" for Local policies (see the file comment). */
export function localNodeNames(state: ProxyState): Set<string> {
  return state.nodeName ? new Set([state.nodeName]) : new Set(state.nodes.map((n) => n.name));
}

/** Upstream `ServicePortName.String()`. */
export function servicePortName(info: ServicePortInfo): string {
  return info.portName ? `${info.namespace}/${info.name}:${info.portName}` : `${info.namespace}/${info.name}`;
}

/**
 * Plans every service port of `state`, sorted by service port key so the
 * rendered text is stable.
 *
 * @example planKernelServices(state).filter((p) => p.internal === 'reject') // ports with no endpoints
 */
export function planKernelServices(state: ProxyState): KernelServicePlan[] {
  const localNodes = localNodeNames(state);
  const out: KernelServicePlan[] = [];
  for (const key of [...state.servicePorts.keys()].sort()) {
    const info = state.servicePorts.get(key)!;
    const eps = state.endpoints.get(key) ?? [];
    const cluster = usableEndpoints(eps, 'Cluster');
    const local = usableEndpoints(eps, 'Local', localNodes);
    const externallyAccessible = info.externalIPs.length > 0 || info.loadBalancerIPs.length > 0 || info.nodePort > 0;
    const internalLocal = info.internalTrafficPolicy === 'Local';
    const externalLocal = info.externalTrafficPolicy === 'Local';
    // Cluster endpoints are needed even for externalTrafficPolicy Local: pod and
    // host traffic to external addresses is short-circuited to the cluster chain.
    const usesClusterChain = cluster.length > 0 && (!internalLocal || externallyAccessible);
    const usesLocalChain = local.length > 0 && (internalLocal || (externalLocal && externallyAccessible));
    const hasEndpoints = cluster.length > 0 || local.length > 0;
    const internal = internalLocal ? (local.length > 0 ? 'local' : hasEndpoints ? 'drop' : 'reject') : cluster.length > 0 ? 'cluster' : 'reject';
    const external = externalLocal ? (local.length > 0 ? 'ext' : hasEndpoints ? 'drop' : 'reject') : cluster.length > 0 ? 'ext' : 'reject';
    const all = new Map<string, EndpointInfo>();
    // Only endpoints a written policy chain can reach get chains of their own.
    for (const e of [...(usesClusterChain ? cluster : []), ...(usesLocalChain ? local : [])]) all.set(e.key, e);
    out.push({
      info,
      name: servicePortName(info),
      proto: info.protocol.toLowerCase() as KernelServicePlan['proto'],
      clusterEndpoints: cluster,
      localEndpoints: local,
      allEndpoints: [...all.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      usesClusterChain,
      usesLocalChain,
      externallyAccessible,
      internal,
      external,
    });
  }
  return out;
}

/** Node addresses that accept NodePorts: every served node's InternalIPs, then the host addresses (127.0.0.1). */
export function nodePortAddresses(state: ProxyState): string[] {
  const seen = new Set<string>();
  for (const n of state.nodes) for (const ip of n.internalIPs) seen.add(ip);
  for (const ip of state.hostAddresses) seen.add(ip);
  return [...seen];
}
