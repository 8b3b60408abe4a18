/**
 * NodePort allocation over a port range (`--service-node-port-range`, default
 * 30000-32767), as upstream's `portallocator`: dynamic picks prefer the upper
 * part of the range, requested ports are checked against range and use.
 */

import { AllocationError, ERR_FULL, OffsetBitmap, type RandomInt } from './range.js';

/** Parses `30000-32767` (or a single port `30000`). Throws on malformed input. */
export function parsePortRange(text: string): { base: number; size: number } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!m) throw new Error(`invalid port range: ${JSON.stringify(text)}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo || hi > 65535) throw new Error(`invalid port range: ${JSON.stringify(text)}`);
  return { base: lo, size: hi - lo + 1 };
}

/** Upstream `calculateRangeOffset` for ports: min(max(16, size/32), 128), 0 for tiny ranges. */
function rangeOffset(size: number): number {
  if (size <= 16) return 0;
  const off = Math.floor(size / 32);
  return Math.min(128, Math.max(16, off));
}

/** Allocates node ports. Example: `new PortAllocator('30000-32767').allocate(30080)`. */
export class PortAllocator {
  readonly base: number;
  readonly size: number;
  private readonly bitmap: OffsetBitmap;

  constructor(range = '30000-32767', opts: { random?: RandomInt } = {}) {
    const r = parsePortRange(range);
    this.base = r.base;
    this.size = r.size;
    this.bitmap = new OffsetBitmap(r.size, rangeOffset(r.size), opts.random);
  }

  /** `30000-32767` */
  rangeText(): string {
    return `${this.base}-${this.base + this.size - 1}`;
  }

  /** True when `port` lies in the range. */
  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  /**
   * Reserves `port`. Throws AllocationError with upstream text:
   * `provided port is not in the valid range. The range of valid ports is 30000-32767`
   * or `provided port is already allocated`.
   */
  allocate(port: number): void {
    if (!this.contains(port)) {
      throw new AllocationError('NotInRange', `provided port is not in the valid range. The range of valid ports is ${this.rangeText()}`);
    }
    if (!this.bitmap.take(port - this.base)) throw new AllocationError('Allocated', 'provided port is already allocated');
  }

  /** Reserves and returns a free port. Throws AllocationError `range is full`. */
  allocateNext(): number {
    const off = this.bitmap.next();
    if (off === undefined) throw new AllocationError('Full', ERR_FULL);
    return this.base + off;
  }

  /** Frees a port; ports outside the range are ignored. */
  release(port: number): void {
    if (this.contains(port)) this.bitmap.release(port - this.base);
  }

  /** True when `port` is allocated. */
  has(port: number): boolean {
    return this.contains(port) && this.bitmap.has(port - this.base);
  }

  /** Number of allocated ports. */
  used(): number {
    return this.bitmap.count();
  }

  /** Frees everything (before a rebuild). */
  clear(): void {
    this.bitmap.clear();
  }
}
