/**
 * The service proxy (kube-proxy's job): informer handlers for Services,
 * EndpointSlices and Nodes feed change trackers that keep (previous, current)
 * pairs; a rate-limited full sync turns the net state into frontends (which
 * address reaches which endpoints, by traffic policy) and hands it to a data
 * path behind the `Dataplane` interface — today the userspace one, with IPVS-style
 * schedulers, ClientIP affinity and connect retry. May import `../api/` and
 * `../client/` only.
 */
export { ServiceProxy, PROXY_MODES, type ProxyMode, type ProxySnapshot, type ServiceProxyOptions } from './service-proxy.js';
export type { BackendSnapshot, Dataplane, DataplaneSnapshot, ProxyState, ServicePortSnapshot } from './dataplane.js';
export { UserspaceDataplane, type UserspaceDataplaneOptions } from './dataplanes/userspace/index.js';
export { ProxyMetrics, BACKEND_LABELS, type ErrorReason } from './metrics.js';
export { SyncRunner, type SyncRunnerOptions } from './sync-runner.js';
export { ServiceChangeTracker, applyServiceChanges, type ServiceChange } from './service-change-tracker.js';
export { EndpointsChangeTracker, applyEndpointsChanges, type EndpointsChange, type EndpointsCheckout } from './endpoints-change-tracker.js';
export {
  servicePortsFromService,
  servicePortKey,
  serviceKey,
  shouldSkipService,
  SCHEDULER_ANNOTATION,
  DEFAULT_AFFINITY_TIMEOUT_SECONDS,
  type ServicePortInfo,
  type Protocol,
  type TrafficPolicy,
} from './service-port.js';
export {
  endpointsFromSlices,
  sliceInfoFromSlice,
  sliceKeys,
  parseWeights,
  endpointKey,
  SERVICE_NAME_LABEL,
  WEIGHT_ANNOTATION,
  TRIGGER_TIME_ANNOTATION,
  type EndpointInfo,
  type SliceInfo,
} from './endpoint.js';
export { usableEndpoints } from './topology.js';
export { planFrontends, frontendKey, type FrontendPlan, type FrontendKind, type FrontendConflict, type FrontendsPlan } from './frontends.js';
export { nodeInfoFromNode, NodeResolver, type NodeInfo } from './node-info.js';
export { AffinityTable } from './session-affinity.js';
export { ipv4ToInt, parseCidr, cidrContains, normalizeAddress, type Cidr } from './address.js';
export { createScheduler, SCHEDULER_NAMES, isSchedulerName, type Scheduler, type SchedulerName, type Backend } from './schedulers/index.js';
export { buildProxyState, type ProxyStateOptions } from './proxy-state.js';
export { renderIptables, IptablesDataplane, type IptablesRenderOptions, type IptablesDataplaneOptions } from './dataplanes/iptables/index.js';
export { renderNftables, NftablesDataplane, type NftablesRenderOptions, type NftablesDataplaneOptions } from './dataplanes/nftables/index.js';
export { renderIpvsadm, type IpvsadmRenderOptions } from './dataplanes/ipvs/index.js';
