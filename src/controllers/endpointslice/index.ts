/**
 * The EndpointSlice controller (upstream `pkg/controller/endpointslice` and
 * `k8s.io/endpointslice`): per Service with a selector, slices of at most 100
 * endpoints holding the selected pods' IPs, conditions, nodes, zones and
 * resolved ports. The pure planner is `reconciler.ts`; the pod/Service
 * predicates (`pods.ts`), endpoint identity (`endpoint-set.ts`), tracker and
 * trigger-time tracker are shared with the Endpoints and mirroring
 * controllers. May import `../../api/`, `../../client/`, `../runtime/` and
 * `../replicaset/pods.js` (pod readiness, controller references).
 */
export { EndpointSliceController, StaleInformerCacheError, type EndpointSliceControllerOptions } from './controller.js';
export {
  planEndpointSlices,
  addressTypesForService,
  endpointPorts,
  podToEndpoint,
  sliceLabels,
  newEndpointSlice,
  ownedBy,
  sliceToFill,
  serviceOwnerRef,
  DEFAULT_MAX_ENDPOINTS_PER_SLICE,
  type AddressType,
  type SlicePlan,
  type SlicePlanInput,
} from './reconciler.js';
export {
  hasSelector,
  selectorMatches,
  isServiceIPSet,
  isPodTerminal,
  podIPs,
  isIPv6,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  findPort,
  podEndpointsChanged,
  servicesSelecting,
  servicesToUpdateOnPodChange,
} from './pods.js';
export { EndpointSet, endpointKey, endpointsEqualBeyondKey, portMapKey } from './endpoint-set.js';
export { EndpointSliceTracker, serviceKeyOfSlice } from './tracker.js';
export { TriggerTimeTracker, formatTriggerTime } from './trigger-time.js';
export { BY_SERVICE_INDEX, ensureServiceIndex, managedSlices } from './slice-index.js';
export * from './labels.js';
