/**
 * The Deployment controller and its pure planners: the pod-template hash
 * (`hash.ts`), deployment arithmetic and revisions (`util.ts`), rolling /
 * recreate / proportional resize plans (`rolling.ts`), status and conditions
 * (`progress.ts`), history cleanup (`history.ts`) and the sync loop
 * (`controller.ts`). Imports only `../../api/`, `../../client/`, `../runtime/`
 * and the owner-reference helpers of `../replicaset/` (claim, pod predicates).
 */
export { DeploymentController, type DeploymentControllerOptions } from './controller.js';
export { computeHash, equalIgnoreHash, safeEncodeString, fnv32a, canonical, POD_TEMPLATE_HASH_LABEL } from './hash.js';
export { newRSNewReplicas, planOldReplicaSetsScaleDown, planScale, planRecreateScaleDown, proportion, replicaSetFraction, type ScaleOp } from './rolling.js';
export { calculateStatus, planRolloutStatus, applyPausedCondition, deploymentComplete, deploymentProgressing, deploymentTimedOut, stuckRequeue, statusEqual, type RolloutStatusPlan } from './progress.js';
export { planHistoryCleanup } from './history.js';
export {
  resolveFenceposts,
  scaledValue,
  maxSurge,
  maxUnavailable,
  setNewReplicaSetAnnotations,
  findNewReplicaSet,
  findOldReplicaSets,
  findActiveOrLatest,
  maxRevision,
  revisionOf,
  Reasons,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  CHANGE_CAUSE_ANNOTATION,
} from './util.js';
