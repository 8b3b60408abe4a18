/**
 * Load-balancing schedulers of the service proxy, with IPVS semantics (`rr`, `wrr`,
 * `lc`, `dh`, `sh`, `sed`, `nq`) plus `random`: pure choice functions over the
 * usable backends of a service port and the client's addresses. Imports nothing
 * outside `src/proxy/`.
 */
import { DestinationHashScheduler } from './dh.js';
import { LeastConnectionScheduler } from './lc.js';
import { NeverQueueScheduler } from './nq.js';
import { RandomScheduler } from './random.js';
import { RoundRobinScheduler } from './rr.js';
import type { Scheduler, SchedulerName } from './scheduler.js';
import { ShortestExpectedDelayScheduler } from './sed.js';
import { SourceHashScheduler } from './sh.js';
import { WeightedRoundRobinScheduler } from './wrr.js';

export { SCHEDULER_NAMES, isSchedulerName, type Backend, type Scheduler, type SchedulerName } from './scheduler.js';
export { RoundRobinScheduler } from './rr.js';
export { WeightedRoundRobinScheduler } from './wrr.js';
export { LeastConnectionScheduler } from './lc.js';
export { DestinationHashScheduler } from './dh.js';
export { SourceHashScheduler } from './sh.js';
export { ShortestExpectedDelayScheduler, shortestExpectedDelay } from './sed.js';
export { NeverQueueScheduler } from './nq.js';
export { RandomScheduler } from './random.js';
export { addressValue, buildTable, hash32, TableCache, TABLE_BITS, TABLE_SIZE } from './hash-table.js';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  /** Random source in [0, 1) for `random`. Default `Math.random`. */
  random?: () => number;
}

/**
 * A new scheduler instance (one per service port: some keep a position).
 *
 * @example createScheduler('sh').pick(backends, clientIP, serviceIP)
 */
export function createScheduler(name: SchedulerName, opts: SchedulerOptions = {}): Scheduler {
  switch (name) {
    case 'rr':
      return new RoundRobinScheduler();
    case 'wrr':
      return new WeightedRoundRobinScheduler();
    case 'lc':
      return new LeastConnectionScheduler();
    case 'dh':
      return new DestinationHashScheduler();
    case 'sh':
      return new SourceHashScheduler();
    case 'sed':
      return new ShortestExpectedDelayScheduler();
    case 'nq':
      return new NeverQueueScheduler();
    case 'random':
      return new RandomScheduler(opts.random);
  }
}
