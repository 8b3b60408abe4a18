import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, type Answer, type Packet } from 'dns-packet';
import { encodeReply, parseRequest, replyLimit, sectionsFit, type ParsedRequest } from './wire.js';
import type { DnsReply } from './query.js';

function query(p: Partial<Packet> & { opcode?: number } = {}): Buffer {
  const { opcode, ...rest } = p;
  const buf = encode({ type: 'query', id: 4242, flags: 1 << 8, questions: [{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }], ...rest });
  if (opcode !== undefined) buf.writeUInt16BE((buf.readUInt16BE(2) & ~(0xf << 11)) | (opcode << 11), 2);
  return buf;
}
const opt = (udpPayloadSize: number, ednsVersion = 0): Answer =>
  ({ type: 'OPT', name: '.', udpPayloadSize, extendedRcode: 0, ednsVersion, flags: 0, flag_do: false, options: [] }) as Answer;

describe('parseRequest', () => {
  test('decides drop, error or resolve for each kind of packet', () => {
    const truncatedQuestion = query().subarray(0, 20);
    const cases: Array<[string, Buffer, 'drop' | string | undefined]> = [
      ['runt packet', Buffer.from([1, 2, 3]), 'drop'],
      ['a response', encode({ type: 'response', id: 1, questions: [{ name: 'x', type: 'A' }] }), 'drop'],
      ['a question cut short', truncatedQuestion, 'FORMERR'],
      ['no question', query({ questions: [] }), 'FORMERR'],
      ['two questions', query({ questions: [{ name: 'a', type: 'A' }, { name: 'b', type: 'A' }] }), 'FORMERR'],
      ['opcode STATUS', query({ opcode: 2 }), 'NOTIMP'],
      ['opcode NOTIFY', query({ opcode: 4 }), 'NOTIMP'],
      ['opcode UPDATE', query({ opcode: 5 }), 'NOTIMP'],
      ['class CH', query({ questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] }), 'NOTIMP'],
      ['EDNS version 1', query({ additionals: [opt(1232, 1)] }), 'BADVERS'],
      ['two OPT records', query({ additionals: [opt(1232), opt(1232)] }), 'FORMERR'],
      ['a plain query', query(), undefined],
      ['an EDNS query', query({ additionals: [opt(1232)] }), undefined],
    ];
    for (const [what, buf, want] of cases) {
      const r = parseRequest(buf);
      if (want === 'drop') assert.equal(r, undefined, what);
      else {
        assert.ok(r, what);
        assert.equal(r.error, want, what);
        assert.equal(r.id, buf.readUInt16BE(0), `${what}: id echoed`);
      }
    }
    assert.deepEqual(parseRequest(query({ additionals: [opt(1232)] }))?.edns, { udpSize: 1232, version: 0, dnssecOk: false });
  });

  test('replyLimit honours EDNS0 sizes within [512, max]', () => {
    const base: ParsedRequest = { id: 1, opcode: 0, rd: true, cd: false };
    const cases: Array<[ParsedRequest, 'udp' | 'tcp', number]> = [
      [base, 'udp', 512],
      [{ ...base, edns: { udpSize: 1232, version: 0, dnssecOk: false } }, 'udp', 1232],
      [{ ...base, edns: { udpSize: 100, version: 0, dnssecOk: false } }, 'udp', 512],
      [{ ...base, edns: { udpSize: 65000, version: 0, dnssecOk: false } }, 'udp', 4096],
      [base, 'tcp', 65535],
    ];
    for (const [req, proto, want] of cases) assert.equal(replyLimit(req, proto, 4096), want);
  });
});

describe('encodeReply', () => {
  const req = parseRequest(query())!;
  const many = (n: number): Answer[] => Array.from({ length: n }, (_, i) => ({ type: 'A', name: 'web.default.svc.cluster.local', ttl: 5, data: `127.128.${i >> 8}.${i & 255}` }));
  const reply = (answers: Answer[], additionals: Answer[] = []): DnsReply => ({ rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals });
  const opts = { limit: 512, udpSize: 4096, recursionAvailable: true };

  test('sets header bits and echoes the question', () => {
    const out = decode(encodeReply(req, reply(many(1)), opts));
    assert.equal(out.id, 4242);
    assert.equal(out.flag_qr, true);
    assert.equal(out.flag_aa, true);
    assert.equal(out.flag_rd, true);
    assert.equal(out.flag_ra, true);
    assert.equal(out.flag_tc, false);
    assert.deepEqual(out.questions, [{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    assert.equal((out as { rcode?: string }).rcode, 'NOERROR');
  });

  test('truncates to the limit with TC, keeping the answers that fit', () => {
    const buf = encodeReply(req, reply(many(100)), opts);
    assert.ok(buf.length <= 512, `reply of ${buf.length} bytes exceeds 512`);
    const out = decode(buf);
    assert.equal(out.flag_tc, true);
    assert.ok((out.answers?.length ?? 0) > 0 && (out.answers?.length ?? 0) < 100);
    const big = decode(encodeReply(req, reply(many(100)), { ...opts, limit: 65535 }));
    assert.equal(big.flag_tc, false);
    assert.equal(big.answers?.length, 100);
  });

  test('drops only the additional section, without TC, when that is enough', () => {
    const out = decode(encodeReply(req, reply(many(10), many(30)), opts));
    assert.equal(out.flag_tc, false);
    assert.equal(out.answers?.length, 10);
    assert.equal(out.additionals?.length, 0);
  });

  test('adds an OPT record when the query had one, with BADVERS in the extended rcode', () => {
    const ednsReq = parseRequest(query({ additionals: [opt(1232)] }))!;
    const out = decode(encodeReply(ednsReq, reply(many(1)), opts));
    const o = out.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize: number } | undefined;
    assert.equal(o?.udpPayloadSize, 4096);
    const bad = parseRequest(query({ additionals: [opt(1232, 1)] }))!;
    const r = decode(encodeReply(bad, { rcode: 'BADVERS', authoritative: false, answers: [], authorities: [], additionals: [] }, opts));
    assert.equal((r as { rcode?: string }).rcode, 'NOERROR');
    assert.equal((r.additionals?.find((a) => a.type === 'OPT') as { extendedRcode: number } | undefined)?.extendedRcode, 1);
  });
});

describe('sectionsFit', () => {
  const withCounts = (qd: number, an: number, ns: number, ar: number): Buffer => {
    const b = query();
    b.writeUInt16BE(qd, 4);
    b.writeUInt16BE(an, 6);
    b.writeUInt16BE(ns, 8);
    b.writeUInt16BE(ar, 10);
    return b;
  };
  const cases: Array<[string, Buffer, boolean]> = [
    ['a plain query', query(), true],
    ['a query with EDNS0', query({ additionals: [opt(1232)] }), true],
    ['a reply with compressed names', encode({ type: 'response', id: 1, questions: [{ name: 'a.b', type: 'A' }], answers: [{ type: 'A', name: 'a.b', ttl: 1, data: '1.2.3.4' }] }), true],
    ['header only, counting nothing', Buffer.alloc(12), true],
    ['a header claiming 65535 answers', withCounts(1, 65535, 0, 0), false],
    ['a header claiming two questions', withCounts(2, 0, 0, 0), false],
    ['a question cut short', query().subarray(0, 20), false],
    ['a reserved label type (0x40)', Buffer.concat([withCounts(1, 0, 0, 0).subarray(0, 12), Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1])]), false],
    ['RDATA longer than the packet', (() => { const b = encode({ type: 'response', id: 1, answers: [{ type: 'A', name: 'a', ttl: 1, data: '1.2.3.4' }] }); b.writeUInt16BE(200, b.length - 6); return b; })(), false],
    ['a runt', Buffer.alloc(5), false],
  ];
  for (const [name, buf, want] of cases) test(name, () => assert.equal(sectionsFit(buf), want));

  test('a header that lies about its counts is FORMERR before any decoding', () => {
    assert.equal(parseRequest(withCounts(1, 4000, 4000, 4000))?.error, 'FORMERR');
  });
});
