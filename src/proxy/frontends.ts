/**
 * Where the proxy listens and which endpoints each address may reach — the pure
 * decision every data path shares (kube-proxy spreads it over the chains of
 * `proxier.go`). For each service port:
 *
 * - each ClusterIP:port — `internalTrafficPolicy`; with `Local` the client's node
 *   (found from its source address: a node IP or an address in a node's pod CIDR)
 *   picks the endpoints per connection;
 * - each externalIP:port and LoadBalancer ingress IP:port — `externalTrafficPolicy`;
 *   `Local` means endpoints on any node this proxy serves, since the "load
 *   balancer" here delivers to every local node, just as a cloud LB that health-
 *   checks nodes reaches exactly the nodes with local endpoints;
 * - each served node's InternalIP:nodePort — `Local` means that node's endpoints;
 * - each host address (127.0.0.1):nodePort — `Local` means the endpoints of the
 *   proxy's `nodeName` when one is set, else of any served node (host traffic is
 *   not one node's: upstream likewise short-circuits locally originated traffic
 *   to a Local service instead of dropping it).
 *
 * Clients of a `Local` ClusterIP whose node cannot be determined (127.0.0.1) are
 * treated like host traffic. A frontend with no usable endpoint is not listened
 * on, so clients get "connection refused" — the userspace equivalent of
 * upstream's REJECT (upstream DROPs Local traffic that has no local endpoint; a
 * refusal is kinder to clients and to tests, and is what skiff does throughout).
 */
import type { ProxyState } from './dataplane.js';
import type { EndpointInfo } from './endpoint.js';
import type { Protocol } from './service-port.js';
import { usableEndpoints } from './topology.js';

/** Which kind of Service address a frontend is. */
export type FrontendKind = 'clusterIP' | 'externalIP' | 'loadBalancer' | 'nodePort';

/** One address the data path answers on, with the endpoints it may reach. */
export interface FrontendPlan {
  /** `PROTOCOL/ip:port` — unique across all frontends. */
  readonly key: string;
  readonly protocol: Protocol;
  readonly ip: string;
  readonly port: number;
  /** The service port key it belongs to. */
  readonly servicePort: string;
  readonly kind: FrontendKind;
  /** The node whose InternalIP this is (NodePorts on node IPs only). */
  readonly node?: string;
  /**
   * The usable endpoints. With {@link endpointsByNode} set, only for clients whose
   * node is unknown.
   */
  readonly endpoints: readonly EndpointInfo[];
  /** Set for `internalTrafficPolicy: Local` ClusterIPs: usable endpoints per client node. */
  readonly endpointsByNode?: ReadonlyMap<string, readonly EndpointInfo[]>;
  /** `loadBalancerSourceRanges` (LoadBalancer frontends only); empty allows all. */
  readonly sourceRanges: readonly string[];
  /** False when no endpoint is usable from this frontend: it must refuse connections. */
  readonly listen: boolean;
}

/** A frontend address claimed by two service ports; the first (by key order) keeps it. */
export interface FrontendConflict {
  readonly key: string;
  readonly servicePort: string;
  readonly heldBy: string;
}

/** The result of {@link planFrontends}. */
export interface FrontendsPlan {
  readonly frontends: FrontendPlan[];
  readonly conflicts: FrontendConflict[];
}

/** The frontend key of an address. */
export function frontendKey(protocol: string, ip: string, port: number): string {
  return ip.includes(':') ? `${protocol}/[${ip}]:${port}` : `${protocol}/${ip}:${port}`;
}

/**
 * Plans every frontend of `state`, in service-port-key order.
 *
 * @example planFrontends(state).frontends.filter((f) => f.listen).map((f) => f.key)
 */
export function planFrontends(state: ProxyState): FrontendsPlan {
  const served = new Set(state.nodes.map((n) => n.name));
  const hostNodes = state.nodeName ? new Set([state.nodeName]) : served;
  const frontends: FrontendPlan[] = [];
  const conflicts: FrontendConflict[] = [];
  const owner = new Map<string, string>();
  const keys = [...state.servicePorts.keys()].sort();
  for (const spKey of keys) {
    const sp = state.servicePorts.get(spKey)!;
    const eps = state.endpoints.get(spKey) ?? [];
    const memo = new Map<string, EndpointInfo[]>();
    const local = (name: string, nodes: ReadonlySet<string>): EndpointInfo[] => {
      let v = memo.get(name);
      if (!v) memo.set(name, (v = usableEndpoints(eps, 'Local', nodes)));
      return v;
    };
    const cluster = usableEndpoints(eps, 'Cluster');
    const externalLocal = sp.externalTrafficPolicy === 'Local';
    const add = (f: Omit<FrontendPlan, 'key' | 'protocol' | 'port' | 'servicePort' | 'sourceRanges' | 'listen'> & { port?: number; sourceRanges?: readonly string[] }): void => {
      const port = f.port ?? sp.port;
      const key = frontendKey(sp.protocol, f.ip, port);
      const held = owner.get(key);
      if (held !== undefined) {
        if (held !== spKey) conflicts.push({ key, servicePort: spKey, heldBy: held });
        return;
      }
      owner.set(key, spKey);
      let listen = f.endpoints.length > 0;
      if (!listen && f.endpointsByNode) for (const l of f.endpointsByNode.values()) listen ||= l.length > 0;
      frontends.push({ ...f, key, protocol: sp.protocol, port, servicePort: spKey, sourceRanges: f.sourceRanges ?? [], listen });
    };
    for (const ip of sp.clusterIPs) {
      if (sp.internalTrafficPolicy === 'Local') {
        const byNode = new Map<string, EndpointInfo[]>();
        for (const n of served) byNode.set(n, local(`node:${n}`, new Set([n])));
        add({ ip, kind: 'clusterIP', endpoints: local('host', hostNodes), endpointsByNode: byNode });
      } else add({ ip, kind: 'clusterIP', endpoints: cluster });
    }
    const external = externalLocal ? local('served', served) : cluster;
    for (const ip of sp.externalIPs) add({ ip, kind: 'externalIP', endpoints: external });
    for (const ip of sp.loadBalancerIPs) add({ ip, kind: 'loadBalancer', endpoints: external, sourceRanges: sp.loadBalancerSourceRanges });
    if (sp.nodePort > 0) {
      for (const n of state.nodes) {
        const endpoints = externalLocal ? local(`node:${n.name}`, new Set([n.name])) : cluster;
        for (const ip of n.internalIPs) add({ ip, port: sp.nodePort, kind: 'nodePort', node: n.name, endpoints });
      }
      const hostEndpoints = externalLocal ? local('host', hostNodes) : cluster;
      for (const ip of state.hostAddresses) add({ ip, port: sp.nodePort, kind: 'nodePort', endpoints: hostEndpoints });
    }
  }
  return { frontends, conflicts };
}

