/**
 * The LoadBalancer controller: the part of a cloud provider's service
 * controller that hands out addresses — every `type: LoadBalancer` Service of
 * its class gets an IP from a local pool (default `127.112.0.0/16`) in
 * `status.loadBalancer.ingress`. Pool parsing (`pool.ts`), the allocation map
 * (`allocator.ts`) and the per-Service decision (`plan.ts`) are pure; the
 * executor is `controller.ts`. May import `../../api/`, `../../client/` and
 * `../runtime/` only.
 */
export { LoadBalancerController, type LoadBalancerControllerOptions } from './controller.js';
export { LoadBalancerAllocator, type LBOwner } from './allocator.js';
export { planLoadBalancer, handlesService, adoptableIP, type LBPlan, type LBEvent } from './plan.js';
export { parsePool, parseIPv4, formatIPv4, poolContains, DEFAULT_LB_POOL, type IPv4Pool } from './pool.js';
