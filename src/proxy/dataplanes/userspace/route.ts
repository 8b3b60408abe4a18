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

/** Schedulers whose choice ignores the client address (`sh` hashes it). */
const CLIENT_BLIND = new Set(['rr', 'wrr', 'lc', 'sed', 'nq', 'dh', 'random']);

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
  /**
   * Whether a decision depends on the client address (affinity, traffic
   * policy by node, source ranges, `sh`). When false the TCP path skips
   * `getpeername` for every connection.
   */
  readonly needsClient: boolean;
  private readonly ranges: readonly Cidr[];

  constructor(
    readonly plan: FrontendPlan,
    readonly balancer: ServicePortBalancer,
    readonly resolver: NodeResolver,
  ) {
    this.destination = plan.ip;
    this.backends = balancer.backendsFor(plan.endpoints);
    if (plan.endpointsByNode) {
      const m = new Map<string, readonly UserspaceBackend[]>();
      for (const [node, eps] of plan.endpointsByNode) m.set(node, balancer.backendsFor(eps));
      this.byNode = m;
    }
    this.ranges = plan.sourceRanges.map((r) => parseCidr(r)).filter((c): c is Cidr => c !== undefined);
    this.needsClient = plan.sourceRanges.length > 0 || this.byNode !== undefined || balancer.affinity !== undefined || !CLIENT_BLIND.has(balancer.scheduler?.name ?? '');
  }

  /**
   * Whether other processes may accept on this address too (the accept
   * workers): only when no decision needs the client address or state shared
   * between connections beyond a rotation — plain round robin. Least-connection
   * schedulers and affinity stay in one process, where their counts are exact.
   */
  get shareable(): boolean {
    return !this.needsClient && this.plan.protocol === 'TCP' && this.balancer.scheduler?.name === 'rr';
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
