/**
 * The controller runtime: context (client, shared informers, event recorders,
 * loggers), the manager that runs controllers, and expectations. Imports only
 * `../../client/` and `../../api/`.
 */
export { newControllerContext, ControllerManager, type Controller, type ControllerContext, type RootLogger } from './context.js';
export { EventRecorder, type EventType } from './events.js';
export { Expectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
export { LeaderElector, decideLease, nextLease, microTime, type LeaderElectionConfig, type LeaseDecision } from './leader.js';
