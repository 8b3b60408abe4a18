/**
 * The allocation bitmap shared by the IP and port allocators: `size` slots,
 * dynamic picks random within [offset, size) first and fall back to
 * [0, offset) — upstream's `randomScanStrategyWithOffset`, which keeps the
 * low block free for addresses and ports that users request by number.
 */

/** Why an allocation failed; `message` is the upstream text. */
export type AllocationErrorReason = 'NotInRange' | 'Allocated' | 'Full';

/** Thrown by allocators; the service registry turns it into a field error or a 500. */
export class AllocationError extends Error {
  readonly reason: AllocationErrorReason;
  constructor(reason: AllocationErrorReason, message: string) {
    super(message);
    this.name = 'AllocationError';
    this.reason = reason;
  }
}

/** `range is full` */
export const ERR_FULL = 'range is full';

/** A random source returning an integer in [0, n). Injected so tests are deterministic. */
export type RandomInt = (n: number) => number;

/** `Math.random`-based default. */
export const defaultRandom: RandomInt = (n) => Math.floor(Math.random() * n);

/** A set of `size` slots with offset-aware random picking. */
export class OffsetBitmap {
  private readonly used = new Set<number>();

  constructor(
    readonly size: number,
    readonly offset: number,
    private readonly random: RandomInt = defaultRandom,
    /** Slots that `next()` never returns (they can still be taken with `take`). */
    private readonly reserved: ReadonlySet<number> = new Set(),
  ) {}

  /** Marks `i` used; false when already used. */
  take(i: number): boolean {
    if (this.used.has(i)) return false;
    this.used.add(i);
    return true;
  }

  /** A free slot, marked used; undefined when none is left. */
  next(): number | undefined {
    const pick = (lo: number, hi: number): number | undefined => {
      const n = hi - lo;
      if (n <= 0) return undefined;
      const start = this.random(n);
      for (let k = 0; k < n; k++) {
        const at = lo + ((start + k) % n);
        if (!this.used.has(at) && !this.reserved.has(at)) return at;
      }
      return undefined;
    };
    const at = pick(this.offset, this.size) ?? pick(0, Math.min(this.offset, this.size));
    if (at !== undefined) this.used.add(at);
    return at;
  }

  /** Frees `i` (no-op when free). */
  release(i: number): void {
    this.used.delete(i);
  }

  has(i: number): boolean {
    return this.used.has(i);
  }

  /** Number of used slots. */
  count(): number {
    return this.used.size;
  }

  /** Frees everything. */
  clear(): void {
    this.used.clear();
  }
}
