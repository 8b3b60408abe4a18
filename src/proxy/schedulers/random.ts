/**
 * Random choice, as the iptables data path's `statistic --mode random` rules do,
 * generalised to weights: each usable backend is chosen with probability
 * weight / (sum of weights), so equal weights (the default) mean uniform.
 */
import type { Backend, Scheduler } from './scheduler.js';

/**
 * Random scheduler; `random` (default `Math.random`) is injectable for tests.
 *
 * @example new RandomScheduler(() => 0).pick(backends, src, dst) // the first usable backend
 */
export class RandomScheduler implements Scheduler {
  readonly name = 'random' as const;

  constructor(private readonly random: () => number = Math.random) {}

  pick<B extends Backend>(backends: readonly B[], _source?: string, _destination?: string): B | undefined {
    let total = 0;
    for (const b of backends) if (b.weight > 0) total += b.weight;
    if (total <= 0) return undefined;
    let r = this.random() * total;
    let last: B | undefined;
    for (const b of backends) {
      if (b.weight <= 0) continue;
      last = b;
      if (r < b.weight) return b;
      r -= b.weight;
    }
    return last;
  }
}
