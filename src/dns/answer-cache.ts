/**
 * The answer fast path: encoded replies to plain cluster-zone queries kept as
 * bytes, keyed by the question, and reused until the projection changes. A hit
 * costs one header scan, one Map lookup and one copy; only the id, the RD and CD
 * bits and the question's spelling (DNS echoes the case the client sent, also in
 * the answer owners that repeat it) are patched. Everything unusual — compression,
 * odd label bytes, EDNS options, several records, trailing bytes — is not "plain"
 * and goes the full decode/answer/encode way, so the fast path can never answer
 * differently from the slow one.
 */

/** The header fields and question of a query the fast path can serve. */
export interface PlainQuery {
  /** Offset just past the question name (its root byte included); the name starts at 12. */
  nameEnd: number;
  /** Numeric QTYPE. */
  qtype: number;
  /** The reply limit in bytes (see {@link parsePlainQuery}). */
  limit: number;
  /** Whether the query carries an EDNS0 OPT record, and its DO bit. */
  edns: boolean;
  dnssecOk: boolean;
  /** What besides the name chooses the reply (QTYPE, protocol, limit, EDNS, DO) as one number. */
  variant: number;
  /** FNV-1a of the wire name with letters lower-cased (see {@link hashWireName}). */
  hash: number;
  /** Whether the name has an upper-case letter (cached replies hold it lower-cased). */
  upper: boolean;
}

const RFC1035_UDP = 512;
const MAX_TCP = 65535;
const TYPE_OPT = 41;
const CLASS_IN = 1;

/** Label bytes the fast path accepts: letters, digits, `-` and `_` (everything else goes the slow way). */
const PLAIN_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  PLAIN_BYTE[c] = /[A-Za-z0-9_-]/.test(ch) ? 1 : 0;
}

/** An ASCII byte with an upper-case letter folded to lower case (DNS names compare case-insensitively). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

/**
 * FNV-1a over a wire name's bytes (length bytes included) with ASCII letters
 * lower-cased: the cache's hash of a name, computed from a query while
 * parsePlainQuery scans it, or from a kept lower-case name.
 */
export function hashWireName(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    h = Math.imul(h ^ lower(c), FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * Recognizes a plain query without decoding it: QR=0, opcode QUERY, exactly one
 * question of class IN with an uncompressed name of plain labels, no answer or
 * authority records, at most one additional record which is an EDNS0 version-0
 * OPT at the root with no options, and no trailing bytes. Returns undefined for
 * anything else (the caller then takes the full path).
 *
 * The reply limit follows {@link replyLimit}: TCP 65535, UDP without EDNS 512,
 * UDP with EDNS its payload size clamped to [512, maxUdpSize].
 *
 * @example
 * parsePlainQuery(encode({ type: 'query', id: 1, questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }] }), 'udp', 4096)
 * // → { nameEnd: 43, qtype: 1, limit: 512, edns: false, dnssecOk: false, variant: …, hash: …, upper: false }
 */
export function parsePlainQuery(buf: Buffer, proto: 'udp' | 'tcp', maxUdpSize: number): PlainQuery | undefined {
  const n = buf.length;
  if (n < 17) return undefined;
  const b2 = buf[2]!;
  // QR set (a response) or an opcode other than QUERY.
  if (b2 & 0xf8) return undefined;
  // QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
  if (buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return undefined;
  const arcount = buf[11]!;
  if (arcount > 1) return undefined;
  let o = 12;
  let upper = false;
  let h = FNV_OFFSET;
  for (;;) {
    if (o >= n) return undefined;
    const len = buf[o]!;
    h = Math.imul(h ^ len, FNV_PRIME);
    if (len === 0) {
      o++;
      break;
    }
    if (len > 63 || o + 1 + len > n) return undefined;
    for (let i = o + 1; i <= o + len; i++) {
      let c = buf[i]!;
      if (!PLAIN_BYTE[c]) return undefined;
      if (c >= 0x41 && c <= 0x5a) {
        upper = true;
        c |= 0x20;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    o += len + 1;
    if (o - 12 > 254) return undefined;
  }
  const nameEnd = o;
  if (o + 4 > n) return undefined;
  const qtype = (buf[o]! << 8) | buf[o + 1]!;
  if (((buf[o + 2]! << 8) | buf[o + 3]!) !== CLASS_IN) return undefined;
  o += 4;
  let limit: number;
  let edns = 0;
  let dnssecOk = 0;
  if (arcount === 0) {
    if (o !== n) return undefined;
    limit = proto === 'tcp' ? MAX_TCP : RFC1035_UDP;
  } else {
    // OPT: root owner, TYPE 41, CLASS = payload size, TTL = ext-rcode | version | flags, RDLENGTH 0.
    if (o + 11 !== n || buf[o] !== 0 || ((buf[o + 1]! << 8) | buf[o + 2]!) !== TYPE_OPT) return undefined;
    if (buf[o + 6] !== 0) return undefined; // EDNS version > 0 is BADVERS: the slow path says so
    if (buf[o + 9] !== 0 || buf[o + 10] !== 0) return undefined;
    const udpSize = (buf[o + 3]! << 8) | buf[o + 4]!;
    edns = 1;
    dnssecOk = buf[o + 7]! & 0x80 ? 1 : 0;
    limit = proto === 'tcp' ? MAX_TCP : Math.min(Math.max(udpSize, RFC1035_UDP), Math.max(maxUdpSize, RFC1035_UDP));
  }
  // limit < 2^16, so the variant is exact in a double.
  const variant = (((qtype * 2 + (proto === 'tcp' ? 1 : 0)) * 65536 + limit) * 2 + edns) * 2 + dnssecOk;
  return { nameEnd, qtype, limit, edns: edns === 1, dnssecOk: dnssecOk === 1, variant, hash: h >>> 0, upper };
}

/** Where in an encoded reply the query's name must be written again: the answer owners that repeat the question. */
export function questionEchoes(reply: Buffer, query: Buffer, q: PlainQuery): number[] | undefined {
  const nameLen = q.nameEnd - 12;
  if (reply.length < q.nameEnd + 4) return undefined;
  // The reply must carry the very question bytes (it always does when our encoder wrote it).
  if (reply.compare(query, 12, q.nameEnd + 4, 12, q.nameEnd + 4) !== 0) return undefined;
  const ancount = reply.readUInt16BE(6);
  const out: number[] = [];
  let o = q.nameEnd + 4;
  for (let i = 0; i < ancount; i++) {
    const start = o;
    for (;;) {
      if (o >= reply.length) return undefined;
      const len = reply[o]!;
      if (len === 0) {
        o++;
        break;
      }
      if (len & 0xc0) return undefined; // compressed: not our encoder's output
      o += len + 1;
    }
    if (o - start === nameLen && reply.compare(query, 12, q.nameEnd, start, o) === 0) out.push(start);
    if (o + 10 > reply.length) return undefined;
    o += 10 + reply.readUInt16BE(o + 8);
  }
  return o <= reply.length ? out : undefined;
}

/** One cached reply. `labels` are whatever the caller needs to account for a hit (metrics). */
export interface CachedAnswer<L> {
  /** The reply, with the question's name (and its echoes) lower-cased. */
  bytes: Buffer;
  /** Offsets of the answer owners that repeat the question's name. */
  echoes: number[];
  labels: L;
  /** The question's wire name, lower-cased (length bytes and root included). */
  name: Buffer;
  /** {@link PlainQuery.variant} of the question. */
  variant: number;
}

/** Options of {@link AnswerCache}. */
export interface AnswerCacheOptions {
  /** The projection's change counter; any change empties the cache. */
  generation: () => number;
  /** Most replies kept; the oldest go first. Default 20 000. */
  capacity?: number;
}

/**
 * Encoded replies keyed by the question (its lower-cased name and
 * {@link PlainQuery.variant}), valid for one generation of the projection. A
 * lookup hashes nothing and builds no string: parsePlainQuery hashed the name
 * while checking it, and the few entries under that hash are compared byte by byte.
 *
 * @example
 * const cache = new AnswerCache<string>({ generation: () => records.generation() });
 * const q = parsePlainQuery(buf, 'udp', 4096);
 * const hit = q && cache.lookup(q, buf);
 * if (hit) send(AnswerCache.render(hit, buf, q));
 * // … on a miss, after the full path produced `out` for a cacheable reply:
 * else if (q) cache.store(q, buf, out, 'labels');
 */
export class AnswerCache<L> {
  private readonly entries = new Map<number, Array<CachedAnswer<L>>>();
  /** Every entry held, oldest first. */
  private readonly order = new Set<CachedAnswer<L>>();
  private gen: number;
  private readonly capacity: number;

  constructor(private readonly opts: AnswerCacheOptions) {
    this.gen = opts.generation();
    this.capacity = opts.capacity ?? 20_000;
  }

  /** The cached entry for the question `q` parsed from `query` in the current generation, or undefined. */
  lookup(q: PlainQuery, query: Buffer): CachedAnswer<L> | undefined {
    if (!this.current()) return undefined;
    const list = this.entries.get(q.hash);
    if (list === undefined) return undefined;
    const len = q.nameEnd - 12;
    for (const e of list) {
      if (e.variant !== q.variant || e.name.length !== len) continue;
      let same = true;
      for (let i = 0; i < len; i++) {
        if (lower(query[12 + i]!) !== e.name[i]) {
          same = false;
          break;
        }
      }
      if (same) return e;
    }
    return undefined;
  }

  /** The reply to `query` built from `hit`: a fresh Buffer with id, RD, CD and the question's spelling patched in. */
  static render<L>(hit: CachedAnswer<L>, query: Buffer, q: PlainQuery): Buffer {
    const t = hit.bytes;
    const out = Buffer.allocUnsafe(t.length);
    out.set(t);
    out[0] = query[0]!;
    out[1] = query[1]!;
    out[2] = (t[2]! & 0xfe) | (query[2]! & 0x01); // RD
    out[3] = (t[3]! & 0xef) | (query[3]! & 0x10); // CD
    if (q.upper) {
      // The kept reply spells the name in lower case; DNS echoes the client's spelling.
      // Byte by byte: names are short, and a loop costs less than a copy call here.
      const end = q.nameEnd;
      for (let i = 12; i < end; i++) out[i] = query[i]!;
      for (const at of hit.echoes) for (let i = 12, j = at; i < end; i++, j++) out[j] = query[i]!;
    }
    return out;
  }

  /**
   * Keeps `reply` (the full path's bytes for `query`) for this generation; returns
   * the kept entry, or undefined when its shape is not patchable.
   */
  store(q: PlainQuery, query: Buffer, reply: Buffer, labels: L): CachedAnswer<L> | undefined {
    const echoes = questionEchoes(reply, query, q);
    if (!echoes) return undefined;
    const bytes = Buffer.from(reply);
    const name = Buffer.from(query.subarray(12, q.nameEnd));
    lowerLetters(name, 0, name.length);
    lowerLetters(bytes, 12, q.nameEnd);
    for (const at of echoes) lowerLetters(bytes, at, at + name.length);
    const entry: CachedAnswer<L> = { bytes, echoes, labels, name, variant: q.variant };
    this.adopt(entry);
    return entry;
  }

  /** Keeps an entry another cache made (a reader process gets its parent's) for the current generation. */
  adopt(entry: CachedAnswer<L>): void {
    this.current();
    const h = hashWireName(entry.name, 0, entry.name.length);
    let list = this.entries.get(h);
    if (!list) this.entries.set(h, (list = []));
    const i = list.findIndex((e) => e.variant === entry.variant && e.name.equals(entry.name));
    if (i >= 0) {
      this.order.delete(list[i]!);
      list[i] = entry;
    } else list.push(entry);
    this.order.add(entry);
    while (this.order.size > this.capacity) {
      const oldest = this.order.values().next().value!;
      this.order.delete(oldest);
      const oh = hashWireName(oldest.name, 0, oldest.name.length);
      const ol = this.entries.get(oh)!;
      ol.splice(ol.indexOf(oldest), 1);
      if (ol.length === 0) this.entries.delete(oh);
    }
  }

  /** Entries held now. */
  get size(): number {
    return this.order.size;
  }

  /** Empties the cache when the generation moved; false then (nothing cached is current). */
  private current(): boolean {
    const g = this.opts.generation();
    if (g === this.gen) return true;
    this.entries.clear();
    this.order.clear();
    this.gen = g;
    return false;
  }
}

function lowerLetters(b: Buffer, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    b[i] = lower(b[i]!);
  }
}
