/**
 * The request and reply shapes the handler chain passes around (CoreDNS's
 * `request.Request` and `dns.Msg`, reduced to what skiff's handlers use), and the
 * chain itself: each handler answers or calls `next`, exactly like a CoreDNS
 * plugin, and may answer synchronously so cluster names never wait on a promise.
 */
import type { Answer, RecordType } from 'dns-packet';

/** Response codes skiff produces (RFC 1035 / 6891 names). */
export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | 'BADVERS';

/** Numeric values of {@link Rcode} (BADVERS is extended: 16). */
export const RCODE_VALUES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 };

/** The name of a numeric rcode as upstream servers send it ('RCODE_n' for the rest). */
export function rcodeName(n: number): string {
  for (const [k, v] of Object.entries(RCODE_VALUES)) if (v === n) return k;
  return n === 6 ? 'YXDOMAIN' : n === 7 ? 'YXRRSET' : n === 8 ? 'NXRRSET' : n === 9 ? 'NOTAUTH' : n === 10 ? 'NOTZONE' : `RCODE_${n}`;
}

/** One question as the client sent it. */
export interface DnsQuery {
  /** As received: case preserved, no trailing dot ('.' for the root). */
  name: string;
  /** dns-packet's type name, e.g. `A`, `SRV`, `UNKNOWN_65`. */
  type: RecordType | string;
  /** `IN` for every query that reaches the handlers. */
  class: string;
  /** Recursion desired. */
  rd: boolean;
  /** Checking disabled (DNSSEC). */
  cd: boolean;
  /** DNSSEC OK (EDNS DO bit). */
  dnssecOk: boolean;
  proto: 'udp' | 'tcp';
  /** The client's address ('' for queries made in-process). */
  remote: string;
}

/** A reply before encoding; the server adds header, question and OPT. */
export interface DnsReply {
  /** A numeric rcode from upstream is kept as its name (see {@link rcodeName}). */
  rcode: Rcode | string;
  authoritative: boolean;
  /** Recursion available; the server sets it when it forwards. */
  recursionAvailable?: boolean;
  /** Upstream said TC even over TCP; passed on. */
  truncated?: boolean;
  answers: Answer[];
  authorities: Answer[];
  /** Never holds the OPT record. */
  additionals: Answer[];
  /**
   * The reply is a function of the question and the projection alone (cluster-zone
   * answers): the server may reuse its encoded bytes until the projection's
   * generation changes. Never set it on forwarded or cached answers (their TTLs age).
   */
  cacheable?: boolean;
}

/** What a handler's `next` returns. */
export type Next = (q: DnsQuery) => DnsReply | Promise<DnsReply>;

/** One link of the chain (a CoreDNS plugin): answer, or pass to `next`. */
export interface DnsHandler {
  readonly name: string;
  serve(q: DnsQuery, next: Next): DnsReply | Promise<DnsReply>;
}

/** A reply carrying only an rcode. */
export function rcodeReply(rcode: Rcode, authoritative = false): DnsReply {
  return { rcode, authoritative, answers: [], authorities: [], additionals: [] };
}

/**
 * Composes handlers in order; a query no handler answers gets `terminal` (default
 * REFUSED: nothing here serves that name).
 *
 * @example
 * const resolve = chain([kubernetes, cache, forward]);
 * const reply = await resolve(query);
 */
export function chain(handlers: readonly DnsHandler[], terminal: Next = () => rcodeReply('REFUSED')): Next {
  let next = terminal;
  for (let i = handlers.length - 1; i >= 0; i--) {
    const h = handlers[i]!;
    const after = next;
    next = (q) => h.serve(q, after);
  }
  return next;
}
