/**
 * Round robin (IPVS `ip_vs_rr`): each new connection goes to the backend after the
 * one chosen last, in list order, skipping quiesced (weight 0) backends.
 */
import type { Backend, Scheduler } from './scheduler.js';

/**
 * Round-robin scheduler. The position survives backend-list changes: it resumes
 * after the last chosen backend when that backend is still listed, else at the
 * same index (so a removal does not restart the cycle from the first backend).
 *
 * @example
 * const rr = new RoundRobinScheduler(); // picks a, b, c, a, b, c, …
 */
export class RoundRobinScheduler implements Scheduler {
  readonly name = 'rr' as const;
  private lastKey = '';
  private lastIndex = -1;

  pick<B extends Backend>(backends: readonly B[], _source?: string, _destination?: string): B | undefined {
    const n = backends.length;
    if (n === 0) return undefined;
    let start = this.lastIndex;
    if (start >= 0 && backends[start]?.key !== this.lastKey) {
      // The list changed under us: find the last choice by key, else keep the index.
      const i = backends.findIndex((b) => b.key === this.lastKey);
      start = i >= 0 ? i : start - 1;
    }
    for (let step = 1; step <= n; step++) {
      const i = (((start + step) % n) + n) % n;
      const b = backends[i]!;
      if (b.weight > 0) {
        this.lastIndex = i;
        this.lastKey = b.key;
        return b;
      }
    }
    return undefined;
  }
}
