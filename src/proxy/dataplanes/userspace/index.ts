/**
 * The userspace data path: Node.js TCP and UDP listeners on Service addresses
 * that forward to endpoints through the proxy's schedulers, with connect retry,
 * ClientIP affinity, traffic policies and live per-backend counters. Imports only
 * `src/proxy/` and `src/client/`.
 */
export { UserspaceDataplane, type UserspaceDataplaneOptions } from './userspace-dataplane.js';
export { ServicePortBalancer } from './balancer.js';
export { UserspaceBackend } from './backend.js';
export { Route } from './route.js';
