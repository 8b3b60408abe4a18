/**
 * Weighted round robin (IPVS `ip_vs_wrr`): a current weight starts at the largest
 * weight and drops by the weights' greatest common divisor after each pass over
 * the list; a pass hands connections to every backend whose weight reaches the
 * current weight. Weights 4, 3, 2 give a a b a b c a b c, then repeat.
 */
import type { Backend, Scheduler } from './scheduler.js';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Weighted round-robin scheduler. The pass state resets whenever the keys or
 * weights of the list change, as the kernel resets it on a destination change.
 *
 * @example
 * const s = new WeightedRoundRobinScheduler();
 * // weights {a: 2, b: 1}: a, a, b, a, a, b, …
 */
export class WeightedRoundRobinScheduler implements Scheduler {
  readonly name = 'wrr' as const;
  private list: readonly Backend[] | undefined;
  private signature = '';
  private index = -1;
  private current = 0;
  private max = 0;
  private step = 1;

  pick<B extends Backend>(backends: readonly B[], _source?: string, _destination?: string): B | undefined {
    const n = backends.length;
    if (n === 0) return undefined;
    if (backends !== this.list) this.reset(backends);
    if (this.max <= 0) return undefined;
    // At most one full sweep of current weights over the list finds a backend.
    const limit = n * (Math.ceil(this.max / this.step) + 1);
    for (let k = 0; k < limit; k++) {
      this.index = (this.index + 1) % n;
      if (this.index === 0) {
        this.current -= this.step;
        if (this.current <= 0) this.current = this.max;
      }
      const b = backends[this.index]!;
      if (b.weight > 0 && b.weight >= this.current) return b;
    }
    return undefined;
  }

  private reset(backends: readonly Backend[]): void {
    this.list = backends;
    let sig = '';
    let max = 0;
    let g = 0;
    for (const b of backends) {
      sig += `${b.key}*${b.weight},`;
      if (b.weight > 0) {
        max = Math.max(max, b.weight);
        g = gcd(g, b.weight);
      }
    }
    if (sig === this.signature) return;
    this.signature = sig;
    this.max = max;
    this.step = g || 1;
    this.index = -1;
    this.current = 0;
  }
}
