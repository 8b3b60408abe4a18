/**
 * The LoadBalancer decision (the status half of upstream's cloud
 * `service-controller`, with a local address pool as the "cloud"): for one
 * Service, which pool IP it should hold, what `status.loadBalancer` must say,
 * and which events tell the user. Pure over the Service and the allocator's
 * current map.
 */
import type { LoadBalancerStatus, Service } from 'kubernetes-types/core/v1.js';
import type { LoadBalancerAllocator } from './allocator.js';

/** One event to record on the Service. */
export interface LBEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What one sync does for a Service. */
export interface LBPlan {
  /** `skip`: not ours (other class) — touch nothing. */
  kind: 'skip' | 'ensure' | 'cleanup';
  /** The IP the Service must hold after the sync (ensure), or undefined to release. */
  ip?: string;
  /** The `status.loadBalancer` to write, or undefined when it is already right. */
  status?: LoadBalancerStatus;
  events: LBEvent[];
}

/** True when the Service is of type LoadBalancer and of this controller's class (undefined = class-less only). */
export function handlesService(svc: Service, ownClass: string | undefined): boolean {
  if (svc.spec?.type !== 'LoadBalancer') return false;
  const cls = svc.spec.loadBalancerClass;
  return cls === undefined || cls === null || cls === ownClass;
}

function sameStatus(a: LoadBalancerStatus | undefined, b: LoadBalancerStatus): boolean {
  const norm = (s: LoadBalancerStatus | undefined): string =>
    JSON.stringify((s?.ingress ?? []).map((i) => [i.ip ?? '', i.hostname ?? '', i.ipMode ?? '', JSON.stringify(i.ports ?? [])]));
  return norm(a) === norm(b);
}

/**
 * Decides one Service (`key` = `namespace/name`):
 * - another `loadBalancerClass`: skip;
 * - not (or no longer) a LoadBalancer, or being deleted: release its IP and clear
 *   `status.loadBalancer` (events DeletingLoadBalancer/DeletedLoadBalancer when it held one);
 * - a LoadBalancer: keep its IP, else take `spec.loadBalancerIP` when that is in the pool
 *   and free (otherwise a Warning `SyncLoadBalancerFailed` and no ingress), else the next
 *   free pool address; status `ingress: [{ ip, ipMode: VIP }]`; events
 *   EnsuringLoadBalancer/EnsuredLoadBalancer when something changes.
 *
 * @example
 * planLoadBalancer(svc, alloc, undefined) // { kind: 'ensure', ip: '127.112.0.1', status: { ingress: [...] }, events: [...] }
 */
export function planLoadBalancer(svc: Service, alloc: LoadBalancerAllocator, ownClass: string | undefined): LBPlan {
  const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
  const cls = svc.spec?.loadBalancerClass;
  if (svc.spec?.type === 'LoadBalancer' && cls !== undefined && cls !== null && cls !== ownClass) return { kind: 'skip', events: [] };
  const heldEntry = alloc.heldBy(key);
  // An entry of an earlier Service with the same name is not this Service's.
  const held = heldEntry && heldEntry.uid === (svc.metadata?.uid ?? '') ? heldEntry.ip : undefined;
  const current = svc.status?.loadBalancer;

  if (!handlesService(svc, ownClass) || svc.metadata?.deletionTimestamp) {
    const events: LBEvent[] = heldEntry
      ? [
          { type: 'Normal', reason: 'DeletingLoadBalancer', message: 'Deleting load balancer' },
          { type: 'Normal', reason: 'DeletedLoadBalancer', message: 'Deleted load balancer' },
        ]
      : [];
    const empty: LoadBalancerStatus = {};
    return { kind: 'cleanup', ...(sameStatus(current, empty) ? {} : { status: empty }), events };
  }

  const fail = (why: string): LBPlan => {
    const empty: LoadBalancerStatus = {};
    return {
      kind: 'ensure',
      ...(sameStatus(current, empty) ? {} : { status: empty }),
      events: [{ type: 'Warning', reason: 'SyncLoadBalancerFailed', message: `Error syncing load balancer: failed to ensure load balancer: ${why}` }],
    };
  };

  let ip: string | undefined;
  const requested = svc.spec?.loadBalancerIP;
  if (requested) {
    if (!alloc.contains(requested)) return fail(`requested loadBalancerIP ${requested} is not in the LoadBalancer IP pool ${alloc.pool.spec}`);
    const holder = alloc.holderOf(requested);
    if (holder && holder.key !== key) return fail(`requested loadBalancerIP ${requested} is already in use by Service ${holder.key}`);
    ip = requested;
  } else {
    ip = held ?? alloc.nextFree();
    if (!ip) return fail(`no free address left in the LoadBalancer IP pool ${alloc.pool.spec}`);
  }

  const want: LoadBalancerStatus = { ingress: [{ ip, ipMode: 'VIP' }] };
  const statusRight = sameStatus(current, want);
  if (statusRight && held === ip) return { kind: 'ensure', ip, events: [] };
  return {
    kind: 'ensure',
    ip,
    ...(statusRight ? {} : { status: want }),
    events: statusRight
      ? []
      : [
          { type: 'Normal', reason: 'EnsuringLoadBalancer', message: 'Ensuring load balancer' },
          { type: 'Normal', reason: 'EnsuredLoadBalancer', message: 'Ensured load balancer' },
        ],
  };
}

/**
 * The IP a Service's status already shows that the allocator may adopt at start
 * (rebuilding the map): the first ingress IP inside the pool, when the Service is
 * handled, wants a load balancer, and its `loadBalancerIP` (if any) agrees.
 */
export function adoptableIP(svc: Service, alloc: LoadBalancerAllocator, ownClass: string | undefined): string | undefined {
  if (!handlesService(svc, ownClass) || svc.metadata?.deletionTimestamp) return undefined;
  const ip = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).find((x): x is string => !!x && alloc.contains(x));
  if (!ip) return undefined;
  const requested = svc.spec?.loadBalancerIP;
  return requested && requested !== ip ? undefined : ip;
}
