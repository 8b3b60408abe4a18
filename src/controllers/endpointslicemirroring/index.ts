/**
 * The EndpointSlice mirroring controller (upstream
 * `pkg/controller/endpointslicemirroring`): hand-made `Endpoints` of
 * selector-less Services mirrored into EndpointSlices labelled
 * `endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io`.
 * The planner is `reconciler.ts`, the executor `controller.ts`. May import
 * `../../api/`, `../../client/`, `../runtime/`, and the shared helpers of
 * `../endpointslice/` and `../replicaset/pods.js`.
 */
export { EndpointSliceMirroringController, shouldMirror, type EndpointSliceMirroringControllerOptions } from './controller.js';
export {
  planMirroredSlices,
  addressToEndpoint,
  addressTypeOf,
  slicePorts,
  mirroredLabels,
  mirroredAnnotations,
  newMirroredSlice,
  DEFAULT_MAX_ENDPOINTS_PER_SUBSET,
  type MirrorPlan,
} from './reconciler.js';
