/**
 * The edge between bytes and the handler chain: request validation (what gets
 * dropped, FORMERR, NOTIMP, BADVERS), EDNS0 payload sizes, and reply encoding with
 * truncation. The codec itself is dns-packet's; these functions only decide.
 */
import { encode, encodingLength, decode, AUTHORITATIVE_ANSWER, CHECKING_DISABLED, DNSSEC_OK, RECURSION_AVAILABLE, RECURSION_DESIRED, TRUNCATED_RESPONSE } from 'dns-packet';
import type { Answer, OptAnswer, Packet, Question } from 'dns-packet';
import { RCODE_VALUES, rcodeReply, type DnsReply, type Rcode } from './query.js';

/** Largest reply without EDNS0 (RFC 1035). */
export const CLASSIC_UDP_SIZE = 512;
/** Largest message over TCP. */
export const MAX_TCP_SIZE = 65535;

/** A request that passed the header checks. `error` set means "answer with this rcode, do not resolve". */
export interface ParsedRequest {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** The question when exactly one was decodable. */
  question?: Question;
  /** Present when the query carried an OPT record. */
  edns?: { udpSize: number; version: number; dnssecOk: boolean };
  error?: Rcode;
}

const KNOWN_CLASSES = new Set(['IN', 'CS', 'CH', 'HS', 'ANY']);

function validName(name: string): boolean {
  // dns-packet joins labels with '.', so a label holding a dot or an empty label cannot be re-encoded faithfully.
  return name === '.' || !name.split('.').some((l) => l === '');
}

/** Offset just past the (possibly compressed) name at `o`, or -1 when it runs off the end or uses a reserved label type. */
function skipName(buf: Buffer, o: number): number {
  for (;;) {
    if (o >= buf.length) return -1;
    const len = buf[o]!;
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2 <= buf.length ? o + 2 : -1;
    if (len & 0xc0) return -1;
    o += len + 1;
  }
}

/**
 * Whether every section the header counts fits in the packet (names, fixed
 * fields, RDATA lengths). dns-packet reads past the end of a short buffer
 * instead of failing, which for a header claiming thousands of records costs
 * milliseconds per packet; this O(length) walk turns such packets into FORMERR first.
 */
export function sectionsFit(buf: Buffer): boolean {
  if (buf.length < 12) return false;
  let o = 12;
  const qd = buf.readUInt16BE(4);
  for (let i = 0; i < qd; i++) {
    o = skipName(buf, o);
    if (o < 0 || o + 4 > buf.length) return false;
    o += 4;
  }
  const rrs = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  for (let i = 0; i < rrs; i++) {
    o = skipName(buf, o);
    if (o < 0 || o + 10 > buf.length) return false;
    o += 10 + buf.readUInt16BE(o + 8);
    if (o > buf.length) return false;
  }
  return true;
}

/**
 * Checks a raw query. Returns undefined for packets that get no reply at all:
 * shorter than a header, or responses (answering those could ping-pong with
 * another server). Everything else gets a reply, with `error` for malformed
 * (FORMERR), non-QUERY opcodes (NOTIMP), non-IN classes (NOTIMP) and EDNS
 * versions above 0 (BADVERS, RFC 6891).
 */
export function parseRequest(buf: Buffer): ParsedRequest | undefined {
  if (buf.length < 12) return undefined;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return undefined;
  const base: ParsedRequest = { id: buf.readUInt16BE(0), opcode: (flags >> 11) & 0xf, rd: (flags & RECURSION_DESIRED) !== 0, cd: (flags & CHECKING_DISABLED) !== 0 };
  if (!sectionsFit(buf)) return { ...base, error: 'FORMERR' };
  let pkt: ReturnType<typeof decode>;
  try {
    pkt = decode(buf);
  } catch {
    return { ...base, error: 'FORMERR' };
  }
  const questions = pkt.questions ?? [];
  const q = questions.length === 1 && questions[0] && validName(questions[0].name) ? questions[0] : undefined;
  // A class dns-packet cannot name would be re-encoded as 0; leave the question out of such replies.
  const echo = q && KNOWN_CLASSES.has(q.class ?? 'IN') ? q : undefined;
  const withQ: ParsedRequest = echo ? { ...base, question: echo } : base;
  if (base.opcode !== 0) return { ...withQ, error: 'NOTIMP' };
  if (!q) return { ...base, error: 'FORMERR' };
  const opts = (pkt.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
  if (opts.length > 1) return { ...withQ, error: 'FORMERR' };
  const opt = opts[0];
  const req: ParsedRequest = opt ? { ...withQ, edns: { udpSize: opt.udpPayloadSize, version: opt.ednsVersion, dnssecOk: (opt.flags & DNSSEC_OK) !== 0 } } : withQ;
  if (opt && opt.ednsVersion > 0) return { ...req, error: 'BADVERS' };
  if (q.class !== 'IN') return { ...req, error: 'NOTIMP' };
  return req;
}

/**
 * The largest reply the client accepts: over UDP its EDNS0 payload size (never
 * below 512, never above `maxUdpSize`), 512 without EDNS0; 65535 over TCP.
 */
export function replyLimit(req: ParsedRequest, proto: 'udp' | 'tcp', maxUdpSize: number): number {
  if (proto === 'tcp') return MAX_TCP_SIZE;
  if (!req.edns) return CLASSIC_UDP_SIZE;
  return Math.min(Math.max(req.edns.udpSize, CLASSIC_UDP_SIZE), Math.max(maxUdpSize, CLASSIC_UDP_SIZE));
}

/** The numeric value of an rcode name (`RCODE_n` and the other RFC names too). */
export function rcodeValue(rcode: string): number {
  if (rcode in RCODE_VALUES) return RCODE_VALUES[rcode as Rcode];
  const named: Record<string, number> = { YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 };
  if (rcode in named) return named[rcode]!;
  const m = /^RCODE_(\d+)$/.exec(rcode);
  return m ? Number(m[1]) & 0xfff : RCODE_VALUES.SERVFAIL;
}

/** Options of {@link encodeReply}. */
export interface EncodeOptions {
  /** Byte limit from {@link replyLimit}. */
  limit: number;
  /** Payload size advertised in our OPT record. */
  udpSize: number;
  /** Set RA (this server recurses). */
  recursionAvailable: boolean;
}

/**
 * Encodes `reply` to `req`, fitting `opts.limit`: when too big it first drops the
 * additional section (no TC needed, RFC 2181 §9), then keeps the longest prefix
 * of answers that fits and sets TC so the client retries over TCP.
 */
export function encodeReply(req: ParsedRequest, reply: DnsReply, opts: EncodeOptions): Buffer {
  const rcode = rcodeValue(reply.rcode);
  const ra = reply.recursionAvailable ?? opts.recursionAvailable;
  const build = (answers: Answer[], authorities: Answer[], additionals: Answer[], tc: boolean): Packet => {
    let flags = ((req.opcode & 0xf) << 11) | (rcode & 0xf);
    if (reply.authoritative) flags |= AUTHORITATIVE_ANSWER;
    if (tc) flags |= TRUNCATED_RESPONSE;
    if (req.rd) flags |= RECURSION_DESIRED;
    if (ra) flags |= RECURSION_AVAILABLE;
    if (req.cd) flags |= CHECKING_DISABLED;
    const extra = [...additionals];
    if (req.edns) {
      const opt = { type: 'OPT', name: '.', udpPayloadSize: opts.udpSize, extendedRcode: rcode >> 4, ednsVersion: 0, flags: req.edns.dnssecOk ? DNSSEC_OK : 0, flag_do: req.edns.dnssecOk, options: [] } satisfies OptAnswer;
      extra.push(opt);
    }
    return { type: 'response', id: req.id, flags, questions: req.question ? [req.question] : [], answers, authorities, additionals: extra };
  };
  const full = build(reply.answers, reply.authorities, reply.additionals, reply.truncated === true);
  if (encodingLength(full) <= opts.limit) return encode(full);
  const noExtra = build(reply.answers, reply.authorities, [], reply.truncated === true);
  if (encodingLength(noExtra) <= opts.limit) return encode(noExtra);
  // Binary search for the most answers that fit with TC set.
  let lo = 0;
  let hi = reply.answers.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encodingLength(build(reply.answers.slice(0, mid), [], [], true)) <= opts.limit) lo = mid;
    else hi = mid - 1;
  }
  return encode(build(reply.answers.slice(0, lo), [], [], true));
}

/** A reply for a request that failed the checks of {@link parseRequest}. */
export function errorReply(req: ParsedRequest): DnsReply {
  return rcodeReply(req.error ?? 'SERVFAIL');
}
