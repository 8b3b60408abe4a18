/**
 * The proxy's full desired state from plain lists of Services, EndpointSlices
 * and Nodes — the same trackers and projections {@link ServiceProxy} feeds from
 * its informers, run once. For one-shot uses such as `skiff proxy rules`, which
 * print what a sync would program without running a proxy.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ProxyState } from './dataplane.js';
import type { EndpointInfo } from './endpoint.js';
import { applyEndpointsChanges, EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { nodeInfoFromNode } from './node-info.js';
import type { SchedulerName } from './schedulers/scheduler.js';
import { applyServiceChanges, ServiceChangeTracker } from './service-change-tracker.js';
import type { ServicePortInfo } from './service-port.js';

/** Options of {@link buildProxyState}; defaults match `ServiceProxyOptions`. */
export interface ProxyStateOptions {
  /** Which Nodes get NodePorts on their InternalIPs. Default: all. */
  servesNode?: (node: Node) => boolean;
  /** Default `['127.0.0.1']`. */
  hostAddresses?: readonly string[];
  /** The node host traffic counts as for Local policies. Default none. */
  nodeName?: string;
  /** Default `rr`. */
  defaultScheduler?: SchedulerName;
}

/**
 * Builds the state a proxy sync would hand its data path.
 *
 * @example
 * const state = buildProxyState({ services, slices, nodes });
 * renderIptables(state);
 */
export function buildProxyState(objects: { services: readonly Service[]; slices: readonly EndpointSlice[]; nodes: readonly Node[] }, opts: ProxyStateOptions = {}): ProxyState {
  const serviceTracker = new ServiceChangeTracker();
  for (const s of objects.services) serviceTracker.update(undefined, s);
  const servicePorts = new Map<string, ServicePortInfo>();
  applyServiceChanges(servicePorts, serviceTracker.checkout());
  const endpointsTracker = new EndpointsChangeTracker(() => 0);
  for (const s of objects.slices) endpointsTracker.update(undefined, s);
  const endpoints = new Map<string, readonly EndpointInfo[]>();
  applyEndpointsChanges(endpoints, endpointsTracker.checkout().changes);
  const nodes = objects.nodes
    .filter((n) => opts.servesNode?.(n) ?? true)
    .map(nodeInfoFromNode)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    servicePorts,
    endpoints,
    nodes,
    hostAddresses: opts.hostAddresses ?? ['127.0.0.1'],
    ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
    defaultScheduler: opts.defaultScheduler ?? 'rr',
  };
}
