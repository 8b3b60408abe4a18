/**
 * ClusterIP allocation over one CIDR, as upstream's bitmap `ipallocator.Range`:
 * the network address (and, for IPv4, the broadcast address) are never
 * handed out, dynamic picks prefer the upper part of the range, and the first
 * usable address is kept for the `kubernetes` Service.
 */

import { AllocationError, ERR_FULL, OffsetBitmap, type RandomInt } from './range.js';
import { parseIP } from '../../api/validation/names.js';

/** Options of an IPAllocator. */
export interface IPAllocatorOptions {
  /** Random source for dynamic picks. */
  random?: RandomInt;
}

function toBig(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function fromBig(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)).join('.');
  const words: string[] = [];
  for (let i = 7; i >= 0; i--) words.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest zero run, as Go's net.IP.String does.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** Upstream `calculateRangeOffset`: min(max(16, size/16), 256), 0 for tiny ranges. */
function rangeOffset(cidrSize: bigint): number {
  if (cidrSize <= 16n) return 0;
  const off = cidrSize / 16n;
  if (off < 16n) return 16;
  if (off > 256n) return 256;
  return Number(off);
}

/** Allocates service IPs from a CIDR. Example: `new IPAllocator('127.96.0.0/12').allocateNext()`. */
export class IPAllocator {
  /** The CIDR in canonical form, e.g. `127.96.0.0/12`. */
  readonly cidr: string;
  readonly family: 4 | 6;
  private readonly network: bigint;
  private readonly base: bigint;
  private readonly bits: number;
  private readonly bitmap: OffsetBitmap;

  constructor(cidr = '127.96.0.0/12', opts: IPAllocatorOptions = {}) {
    const [addr = '', prefixText = ''] = cidr.split('/');
    const ip = parseIP(addr);
    const prefix = Number(prefixText);
    if (!ip || !/^\d+$/.test(prefixText)) throw new Error(`invalid CIDR address: ${cidr}`);
    this.family = ip.family;
    this.bits = ip.family === 4 ? 32 : 128;
    if (prefix > this.bits) throw new Error(`invalid CIDR address: ${cidr}`);
    const hostBits = BigInt(this.bits - prefix);
    this.network = (toBig(ip.bytes) >> hostBits) << hostBits;
    this.cidr = `${fromBig(this.network, this.family)}/${prefix}`;
    const rangeSize = 1n << hostBits;
    let max = rangeSize;
    if (this.family === 6) {
      if (max > 65536n) max = 65536n;
    } else {
      max -= 1n; // broadcast
    }
    max -= 1n; // network address
    if (max < 0n) max = 0n;
    this.base = this.network + 1n;
    this.bitmap = new OffsetBitmap(Number(max), rangeOffset(rangeSize), opts.random, new Set([0]));
  }

  /** The first usable address, kept for the `kubernetes` Service (`127.96.0.1` by default). */
  firstIP(): string {
    return fromBig(this.base, this.family);
  }

  /** Number of addresses this allocator can hand out. */
  size(): number {
    return this.bitmap.size;
  }

  private offsetOf(ip: string): number | undefined {
    const p = parseIP(ip);
    if (!p || p.family !== this.family) return undefined;
    const v = toBig(p.bytes);
    const off = v - this.base;
    if (off < 0n || off >= BigInt(this.bitmap.size)) return undefined;
    return Number(off);
  }

  /** True when `ip` lies in the allocatable part of the range. */
  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  /**
   * Reserves a specific address. Throws AllocationError with upstream text:
   * `the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 127.96.0.0/12`
   * or `provided IP is already allocated`.
   */
  allocate(ip: string): void {
    const off = this.offsetOf(ip);
    if (off === undefined) {
      throw new AllocationError('NotInRange', `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    }
    if (!this.bitmap.take(off)) throw new AllocationError('Allocated', 'provided IP is already allocated');
  }

  /** Reserves and returns a free address. Throws AllocationError `range is full`. */
  allocateNext(): string {
    const off = this.bitmap.next();
    if (off === undefined) throw new AllocationError('Full', ERR_FULL);
    return fromBig(this.base + BigInt(off), this.family);
  }

  /** Frees an address; addresses outside the range are ignored. */
  release(ip: string): void {
    const off = this.offsetOf(ip);
    if (off !== undefined) this.bitmap.release(off);
  }

  /** True when `ip` is allocated. */
  has(ip: string): boolean {
    const off = this.offsetOf(ip);
    return off !== undefined && this.bitmap.has(off);
  }

  /** Number of allocated addresses. */
  used(): number {
    return this.bitmap.count();
  }

  /** Frees everything (before a rebuild). */
  clear(): void {
    this.bitmap.clear();
  }
}
