/**
 * What one listening address forwards to, rebuilt on every sync and swapped into
 * the listener in one assignment, so new connections see the new endpoints while
 * open ones keep theirs.
 */
import { cidrContains, parseCidr, type Cidr } from '../../address.js';
import type { FrontendPlan } from '../../frontends.js';
import type { NodeResolver } from '../../node-info.js';
import type { UserspaceBackend } from './backend.js';
import type { ServicePortBalancer } from './balancer.js';

const NONE: readonly UserspaceBackend[] = [];

/**
 * A frontend's forwarding decision inputs.
 *
 * @example route.balancer.choose(route.candidates(clientIP), clientIP, route.destination, now)
 */
export class Route {
  /** Backends usable by any client (or by clients of unknown node, with `byNode`). */
  readonly backends: readonly UserspaceBackend[];
  /** Per client node, for `internalTrafficPolicy: Local`. */
  readonly byNode: ReadonlyMap<string, readonly UserspaceBackend[]> | undefined;
  /** The address clients dial (what `dh` hashes). */
  readonly destination: string;
  private readonly ranges: readonly Cidr[];

  constructor(
    readonly plan: FrontendPlan,
    readonly balancer: ServicePortBalancer,
    private readonly resolver: NodeResolver,
  ) {
    this.destination = plan.ip;
    this.backends = balancer.backendsFor(plan.endpoints);
    if (plan.endpointsByNode) {
      const m = new Map<string, readonly UserspaceBackend[]>();
      for (const [node, eps] of plan.endpointsByNode) m.set(node, balancer.backendsFor(eps));
      this.byNode = m;
    }
    this.ranges = plan.sourceRanges.map((r) => parseCidr(r)).filter((c): c is Cidr => c !== undefined);
  }

  /** The backends a client may reach from this address. */
  candidates(client: string): readonly UserspaceBackend[] {
    if (!this.byNode) return this.backends;
    const node = this.resolver.nodeOf(client);
    return node === undefined ? this.backends : (this.byNode.get(node) ?? NONE);
  }

  /** Whether `loadBalancerSourceRanges` admit `client` (always, without ranges). */
  allows(client: string): boolean {
    if (this.plan.sourceRanges.length === 0) return true;
    for (const r of this.ranges) if (cidrContains(r, client)) return true;
    return false;
  }

  /** Whether `b` is still reachable through this route (UDP drops associations to others). */
  reaches(b: UserspaceBackend): boolean {
    if (this.backends.includes(b)) return true;
    if (this.byNode) for (const l of this.byNode.values()) if (l.includes(b)) return true;
    return false;
  }
}
