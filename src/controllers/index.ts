/**
 * Controllers: each reconciles keys from a work queue against informer caches
 * and meets the rest of skiff only through the API (`../client/`). May import
 * `../api/` and `../client/`, never apiserver, store, node, proxy or dns.
 */
export { NamespaceController } from './namespace/controller.js';
export { GarbageCollector } from './garbagecollector/index.js';
export { ServiceAccountController } from './serviceaccount/controller.js';
export { DaemonSetController } from './daemonset/index.js';
export { ReplicaSetController } from './replicaset/index.js';
export { DeploymentController } from './deployment/index.js';
export { EndpointSliceController } from './endpointslice/index.js';
export { EndpointsController } from './endpoints/index.js';
export { EndpointSliceMirroringController } from './endpointslicemirroring/index.js';
export { LoadBalancerController } from './loadbalancer/index.js';
export { PodGCController } from './podgc/index.js';
