/**
 * The pod garbage collector: force-deletes pods that nothing else will ever
 * finish (terminated beyond a threshold, orphaned, unscheduled and terminating,
 * on out-of-service nodes). Imports only `../../client/`, `../../api/` and the
 * controller runtime.
 */
export { PodGCController, type PodGCOptions } from './controller.js';
export { planPodGC, podKey, OUT_OF_SERVICE_TAINT, type PodGCInput, type PodGCPlan } from './plan.js';
