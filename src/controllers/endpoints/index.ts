/**
 * The Endpoints controller (upstream `pkg/controller/endpoint`): the legacy
 * `Endpoints` object of every Service with a selector — ready and not-ready
 * addresses per port, repacked like upstream `RepackSubsets`, truncated at
 * 1000 addresses. Decisions are pure (`subsets.ts`, `plan.ts`); the executor
 * is `controller.ts`. May import `../../api/`, `../../client/`, `../runtime/`,
 * and the shared endpoint helpers of `../endpointslice/` and `../replicaset/pods.js`.
 */
export { EndpointsController, ENDPOINTS_FIELD_MANAGER, type EndpointsControllerOptions } from './controller.js';
export { planEndpoints, type EndpointsAction, type EndpointsPlanInput } from './plan.js';
export { podAddress, unpackedSubsets, repackSubsets, subsetsEqual, truncateSubsets, capacityAnnotationCorrect, compareAddresses, MAX_ENDPOINTS_CAPACITY } from './subsets.js';
