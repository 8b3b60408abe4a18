/**
 * Well-known label and annotation keys of Endpoints and EndpointSlices
 * (upstream `discovery/v1` and `core/v1` constants) and the names the
 * endpoint controllers write into `endpointslice.kubernetes.io/managed-by`.
 */

/** `kubernetes.io/service-name`: the Service an EndpointSlice belongs to. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** `endpointslice.kubernetes.io/managed-by`: the controller (or tool) owning an EndpointSlice. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';

/**
 * `endpointslice.kubernetes.io/skip-mirror`: on an Endpoints object, `"true"` keeps the
 * mirroring controller away. The Endpoints controller sets it on every Endpoints it
 * manages (KEP-752), so only hand-made Endpoints are mirrored.
 */
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';

/** `service.kubernetes.io/headless`: present (value `""`) when the Service has no ClusterIP. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';

/** `endpoints.kubernetes.io/last-change-trigger-time`: when the change that led to this write happened. */
export const ANNOTATION_LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

/** `endpoints.kubernetes.io/over-capacity`: `truncated` when an Endpoints object was cut to 1000 addresses. */
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

/** `kubectl.kubernetes.io/last-applied-configuration`, never mirrored onto slices. */
export const ANNOTATION_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** `control-plane.alpha.kubernetes.io/leader`: leader-election records stored in Endpoints (never mirrored or deleted). */
export const ANNOTATION_LEADER_ELECTION = 'control-plane.alpha.kubernetes.io/leader';

/** `topology.kubernetes.io/zone` on a Node: copied into each endpoint's `zone`. */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** managed-by value of the EndpointSlice controller. */
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';

/** managed-by value of the EndpointSlice mirroring controller. */
export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
