/**
 * Never queue (IPVS `ip_vs_nq`): an idle backend (no active connection) gets the
 * connection at once — the first idle one in list order, whatever its weight;
 * when none is idle, shortest expected delay decides.
 */
import type { Backend, Scheduler } from './scheduler.js';
import { shortestExpectedDelay } from './sed.js';

/**
 * Never-queue scheduler (stateless).
 *
 * @example // a: active 3 weight 10, b: active 0 weight 1 → b (idle wins)
 */
export class NeverQueueScheduler implements Scheduler {
  readonly name = 'nq' as const;

  pick<B extends Backend>(backends: readonly B[], _source?: string, _destination?: string): B | undefined {
    for (const b of backends) if (b.weight > 0 && b.active === 0) return b;
    return shortestExpectedDelay(backends);
  }
}
