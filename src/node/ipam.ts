/**
 * Address bookkeeping of the node agent: IPv4 text ⇄ number, CIDR parsing, the
 * per-node `/24` pod CIDRs carved out of the cluster CIDR, node InternalIPs, and
 * the pod IPs handed out inside one node's pod CIDR. Pure data structures, no I/O.
 */

/** `a.b.c.d` → unsigned 32-bit number. Throws on malformed input. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address "${ip}"`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`invalid IPv4 address "${ip}"`);
    n = n * 256 + Number(p);
  }
  return n;
}

/** Unsigned 32-bit number → `a.b.c.d`. */
export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A parsed IPv4 CIDR. */
export interface Cidr {
  /** Network address as a number. */
  base: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

/** Parses `10.0.0.0/8`; the base is masked to the prefix. Throws on malformed input. */
export function parseCidr(cidr: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipToInt(m[1]!) / size) * size;
  return { base, prefix, size };
}

/** Whether `ip` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  let n: number;
  try {
    n = ipToInt(ip);
  } catch {
    return false;
  }
  return n >= cidr.base && n < cidr.base + cidr.size;
}

/**
 * Lowest-free allocation of small integer indexes, used for per-node `/24`s and
 * node InternalIPs. Index 0 is never handed out so that node 1 maps to `…1`.
 *
 * @example
 * const a = new IndexAllocator(1, 32767);
 * a.allocate(); // 1
 * a.reserve(2);
 * a.allocate(); // 3
 */
export class IndexAllocator {
  private readonly used = new Set<number>();
  private hint: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.hint = min;
  }

  /** Marks `i` as used (an address found on an existing object). Out-of-range values are ignored. */
  reserve(i: number): void {
    if (i >= this.min && i <= this.max) this.used.add(i);
  }

  /** Frees `i`. */
  release(i: number): void {
    this.used.delete(i);
    if (i < this.hint && i >= this.min) this.hint = i;
  }

  /** The lowest free index, now marked used; undefined when full. */
  allocate(): number | undefined {
    for (let i = this.hint; i <= this.max; i++) {
      if (!this.used.has(i)) {
        this.used.add(i);
        this.hint = i + 1;
        return i;
      }
    }
    return undefined;
  }

  /** Number of indexes in use. */
  count(): number {
    return this.used.size;
  }
}

/**
 * Hands out one `/24` per node from the cluster CIDR (default `127.128.0.0/9`,
 * 32 767 blocks; block 0 is skipped so node 1 gets `127.128.1.0/24`).
 */
export class PodCidrAllocator {
  private readonly cluster: Cidr;
  private readonly indexes: IndexAllocator;

  constructor(clusterCIDR = '127.128.0.0/9') {
    this.cluster = parseCidr(clusterCIDR);
    if (this.cluster.prefix > 24) throw new Error(`cluster CIDR ${clusterCIDR} is smaller than one /24 node block`);
    this.indexes = new IndexAllocator(1, this.cluster.size / 256 - 1);
  }

  private indexOf(cidr: string): number | undefined {
    try {
      const c = parseCidr(cidr);
      if (c.prefix !== 24 || c.base < this.cluster.base || c.base >= this.cluster.base + this.cluster.size) return undefined;
      return (c.base - this.cluster.base) / 256;
    } catch {
      return undefined;
    }
  }

  /** Marks a pod CIDR found on an existing Node as taken (ignored when outside the cluster CIDR). */
  reserve(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.indexes.reserve(i);
  }

  /** Frees a pod CIDR of a deleted Node. */
  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.indexes.release(i);
  }

  /** The next free `/24`, e.g. `127.128.1.0/24`; throws when the cluster CIDR is exhausted. */
  allocate(): string {
    const i = this.indexes.allocate();
    if (i === undefined) throw new Error(`no free /24 left in cluster CIDR ${intToIp(this.cluster.base)}/${this.cluster.prefix}`);
    return `${intToIp(this.cluster.base + i * 256)}/24`;
  }
}

/**
 * Node InternalIPs, starting in the node CIDR (default `127.0.1.0/24`: node-1 =
 * 127.0.1.1). When the block is full, allocation continues in the following
 * `/24`s (127.0.2.1, …) up to `127.63.255.254`, so 10 000 simulated nodes still
 * get distinct loopback addresses; `.0` and `.255` host parts are skipped.
 */
export class NodeIPAllocator {
  private readonly base: number;
  private readonly indexes: IndexAllocator;

  constructor(nodeCIDR = '127.0.1.0/24') {
    this.base = parseCidr(nodeCIDR).base;
    const limit = ipToInt('127.63.255.254');
    const span = Math.max(0, limit - this.base);
    // Index i → the i-th usable address counted over 254 usable hosts per /24.
    this.indexes = new IndexAllocator(1, Math.floor(span / 256) * 254 + 254);
  }

  private ipOf(i: number): string {
    const block = Math.floor((i - 1) / 254);
    const host = ((i - 1) % 254) + 1;
    return intToIp(this.base + block * 256 + host);
  }

  private indexOf(ip: string): number | undefined {
    let n: number;
    try {
      n = ipToInt(ip);
    } catch {
      return undefined;
    }
    const off = n - this.base;
    const host = off % 256;
    if (off < 0 || host === 0 || host === 255) return undefined;
    return Math.floor(off / 256) * 254 + host;
  }

  /** Marks an address found on an existing Node as taken. */
  reserve(ip: string): void {
    const i = this.indexOf(ip);
    if (i !== undefined) this.indexes.reserve(i);
  }

  release(ip: string): void {
    const i = this.indexOf(ip);
    if (i !== undefined) this.indexes.release(i);
  }

  /** The next free address; throws when none is left. */
  allocate(): string {
    const i = this.indexes.allocate();
    if (i === undefined) throw new Error('no free node InternalIP left');
    return this.ipOf(i);
  }
}

/**
 * Pod IPs inside one node's pod CIDR (host-local IPAM): next-fit from the last
 * address handed out, so a freed IP is not reused at once; network and
 * broadcast addresses are never used.
 *
 * @example
 * const ips = new PodIPAllocator('127.128.1.0/24');
 * ips.allocate('uid-1'); // '127.128.1.1'
 */
export class PodIPAllocator {
  readonly cidr: Cidr;
  private readonly byOwner = new Map<string, number>();
  private readonly owners = new Map<number, string>();
  private cursor = 0;

  constructor(cidr: string) {
    this.cidr = parseCidr(cidr);
  }

  /** The IP held by `owner` (a pod UID), if any. */
  get(owner: string): string | undefined {
    const n = this.byOwner.get(owner);
    return n === undefined ? undefined : intToIp(n);
  }

  /** Records that `owner` already holds `ip` (found on a running pod). False if outside the CIDR or taken by another owner. */
  reserve(owner: string, ip: string): boolean {
    if (!cidrContains(this.cidr, ip)) return false;
    const n = ipToInt(ip);
    const holder = this.owners.get(n);
    if (holder !== undefined && holder !== owner) return false;
    this.owners.set(n, owner);
    this.byOwner.set(owner, n);
    return true;
  }

  /** The IP of `owner`, allocating one if it has none; undefined when the block is full. */
  allocate(owner: string): string | undefined {
    const have = this.get(owner);
    if (have) return have;
    const hosts = this.cidr.size - 2;
    for (let k = 0; k < hosts; k++) {
      this.cursor = (this.cursor % hosts) + 1;
      const n = this.cidr.base + this.cursor;
      if (!this.owners.has(n)) {
        this.owners.set(n, owner);
        this.byOwner.set(owner, n);
        return intToIp(n);
      }
    }
    return undefined;
  }

  /** Frees the IP of `owner`. */
  release(owner: string): void {
    const n = this.byOwner.get(owner);
    if (n === undefined) return;
    this.byOwner.delete(owner);
    this.owners.delete(n);
  }

  /** Number of IPs in use. */
  count(): number {
    return this.byOwner.size;
  }
}
