/**
 * Shortest expected delay (IPVS `ip_vs_sed`): the backend minimising
 * (active + 1) / weight — the delay a new connection would expect if every
 * backend served its connections at a rate proportional to its weight. Ties go to
 * the earliest in the list.
 */
import type { Backend, Scheduler } from './scheduler.js';

/** The first usable backend with the smallest (active + 1) / weight, compared by cross-multiplying as the kernel does. */
export function shortestExpectedDelay<B extends Backend>(backends: readonly B[]): B | undefined {
  let least: B | undefined;
  for (const b of backends) {
    if (b.weight <= 0) continue;
    if (!least || (least.active + 1) * b.weight > (b.active + 1) * least.weight) least = b;
  }
  return least;
}

/**
 * Shortest-expected-delay scheduler (stateless).
 *
 * @example // a: weight 1, active 0 → 1; b: weight 3, active 1 → 2/3: b
 */
export class ShortestExpectedDelayScheduler implements Scheduler {
  readonly name = 'sed' as const;

  pick<B extends Backend>(backends: readonly B[], _source?: string, _destination?: string): B | undefined {
    return shortestExpectedDelay(backends);
  }
}
