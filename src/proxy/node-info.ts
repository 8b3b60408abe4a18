/**
 * The proxy's projection of Nodes: name, InternalIPs (where NodePorts listen)
 * and pod CIDRs (to tell which node a client pod runs on, for
 * `internalTrafficPolicy: Local`).
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { cidrContains, ipv4ToInt, parseCidr, type Cidr } from './address.js';

/** What the proxy keeps of a Node. */
export interface NodeInfo {
  readonly name: string;
  /** `status.addresses` of type InternalIP. */
  readonly internalIPs: readonly string[];
  /** `spec.podCIDRs` (or `spec.podCIDR`). */
  readonly podCIDRs: readonly string[];
}

/** Projects a Node. */
export function nodeInfoFromNode(node: Node): NodeInfo {
  const internalIPs = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' && a.address).map((a) => a.address);
  const podCIDRs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return { name: node.metadata?.name ?? '', internalIPs, podCIDRs };
}

/** Whether two projections are equal (the proxy resyncs only on a real change). */
export function sameNodeInfo(a: NodeInfo | undefined, b: NodeInfo | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Tells which node a client address belongs to: a node's own InternalIP, or an
 * address inside a node's pod CIDR.
 *
 * @example new NodeResolver(nodes).nodeOf('127.128.2.7') // 'node-2' when its podCIDR is 127.128.2.0/24
 */
export class NodeResolver {
  private readonly byIP = new Map<string, string>();
  private readonly cidrs: Array<{ cidr: Cidr; node: string }> = [];

  constructor(nodes: readonly NodeInfo[]) {
    for (const n of nodes) {
      for (const ip of n.internalIPs) this.byIP.set(ip, n.name);
      for (const c of n.podCIDRs) {
        const cidr = parseCidr(c);
        if (cidr) this.cidrs.push({ cidr, node: n.name });
      }
    }
  }

  /** The node of `ip`, or undefined (e.g. 127.0.0.1, the host itself). */
  nodeOf(ip: string): string | undefined {
    const direct = this.byIP.get(ip);
    if (direct !== undefined) return direct;
    const n = ipv4ToInt(ip);
    if (n < 0) return undefined;
    for (const c of this.cidrs) if (cidrContains(c.cidr, n)) return c.node;
    return undefined;
  }
}
