/**
 * Which endpoints a connection may use (upstream `pkg/proxy/topology.go`,
 * `CategorizeEndpoints`): Ready endpoints by default, falling back to endpoints
 * that are still serving while terminating when none is Ready — independently for
 * the Cluster and the Local traffic policy. Topology hints are not applied:
 * skiff's nodes share one machine, so zones would not change where bytes go.
 */
import type { EndpointInfo } from './endpoint.js';
import type { TrafficPolicy } from './service-port.js';

/**
 * The usable endpoints under `policy`. For `Local`, only endpoints whose
 * `nodeName` is in `localNodes` count, and the terminating fallback looks at
 * local endpoints only (a node with only terminating local endpoints keeps
 * serving through them rather than sending traffic elsewhere).
 *
 * @example
 * usableEndpoints(eps, 'Cluster')                         // ready, else serving+terminating
 * usableEndpoints(eps, 'Local', new Set(['node-2']))      // the same among node-2's endpoints
 */
export function usableEndpoints(endpoints: readonly EndpointInfo[], policy: TrafficPolicy, localNodes?: ReadonlySet<string>): EndpointInfo[] {
  const local = policy === 'Local';
  const inScope = (e: EndpointInfo): boolean => !local || (e.nodeName !== '' && (localNodes?.has(e.nodeName) ?? false));
  const ready = endpoints.filter((e) => e.ready && inScope(e));
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating && inScope(e));
}
