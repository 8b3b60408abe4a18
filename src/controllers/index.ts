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
export { PodGCController } from './podgc/index.js';
