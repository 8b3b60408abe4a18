/**
 * The ReplicaSet controller and its pure decisions: which pods to delete first
 * (`ranking.ts`), adoption and release by owner references (`claim.ts`), the
 * status counters (`status.ts`) and the sync loop (`controller.ts`). Imports
 * only `../../api/`, `../../client/` and `../runtime/`.
 */
export { ReplicaSetController, planReplicas, podFromTemplate, DEFAULT_BURST_REPLICAS, type ReplicaPlan, type ReplicaSetControllerOptions } from './controller.js';
export { podsToDelete, deleteBefore, deletionCost, POD_DELETION_COST_ANNOTATION, type RankedPod } from './ranking.js';
export { planClaims, adoptPatch, releasePatch, type ClaimPlan } from './claim.js';
export { calculateReplicaSetStatus, replicaSetStatusChanged, setReplicaSetCondition, slowStartBatch, hasAllLabels } from './status.js';
export { isPodActive, isPodReady, isPodAvailable, controllerOf, newControllerRef } from './pods.js';
