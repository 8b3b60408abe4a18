/**
 * Least connection (IPVS `ip_vs_lc`): the backend with the fewest active
 * connections; ties go to the earliest in the list. Like IPVS `lc` (and unlike
 * `wlc`) it ignores weights except that weight 0 takes nothing.
 */
import type { Backend, Scheduler } from './scheduler.js';

/**
 * Least-connection scheduler (stateless).
 *
 * @example new LeastConnectionScheduler().pick([{…active: 2}, {…active: 0}], src, dst) // the second
 */
export class LeastConnectionScheduler implements Scheduler {
  readonly name = 'lc' as const;

  pick<B extends Backend>(backends: readonly B[], _source?: string, _destination?: string): B | undefined {
    let least: B | undefined;
    for (const b of backends) {
      if (b.weight <= 0) continue;
      if (!least || b.active < least.active) least = b;
    }
    return least;
  }
}
