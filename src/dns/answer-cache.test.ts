import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, type Answer, type Packet } from 'dns-packet';
import { AnswerCache, hashWireName, parsePlainQuery, questionEchoes } from './answer-cache.js';

const NAME = 'Web.default.svc.cluster.local';
const opt = (udpPayloadSize: number, flags = 0, ednsVersion = 0, options: Array<{ code: number; data: Buffer }> = []): Answer =>
  ({ type: 'OPT', name: '.', udpPayloadSize, extendedRcode: 0, ednsVersion, flags, flag_do: (flags & 0x8000) !== 0, options }) as Answer;
const query = (p: Partial<Packet> = {}): Buffer => encode({ type: 'query', id: 7, flags: 1 << 8, questions: [{ name: NAME, type: 'A', class: 'IN' }], ...p });

describe('parsePlainQuery', () => {
  type Want = { qtype: number; limit: number; edns: boolean; dnssecOk: boolean };
  const cases: Array<{ name: string; buf: Buffer; proto?: 'udp' | 'tcp'; want?: Want }> = [
    { name: 'a plain A query over UDP: limit 512, no EDNS', buf: query(), want: { qtype: 1, limit: 512, edns: false, dnssecOk: false } },
    { name: 'the same over TCP: limit 65535', buf: query(), proto: 'tcp', want: { qtype: 1, limit: 65535, edns: false, dnssecOk: false } },
    { name: 'EDNS 1232 with DO', buf: query({ additionals: [opt(1232, 0x8000)] }), want: { qtype: 1, limit: 1232, edns: true, dnssecOk: true } },
    { name: 'EDNS payload below 512 counts as 512', buf: query({ additionals: [opt(100)] }), want: { qtype: 1, limit: 512, edns: true, dnssecOk: false } },
    { name: 'EDNS payload above the server maximum is clamped', buf: query({ additionals: [opt(65000)] }), want: { qtype: 1, limit: 4096, edns: true, dnssecOk: false } },
    { name: 'SRV keeps its type number', buf: query({ questions: [{ name: `_http._tcp.${NAME}`, type: 'SRV', class: 'IN' }] }), want: { qtype: 33, limit: 512, edns: false, dnssecOk: false } },
    { name: 'a response is not a query', buf: encode({ type: 'response', id: 1, questions: [{ name: NAME, type: 'A' }] }) },
    { name: 'opcode NOTIFY goes the full way', buf: (() => { const b = query(); b[2] = b[2]! | (4 << 3); return b; })() },
    { name: 'two questions', buf: query({ questions: [{ name: 'a', type: 'A' }, { name: 'b', type: 'A' }] }) },
    { name: 'class CH', buf: query({ questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] }) },
    { name: 'EDNS version 1 (BADVERS)', buf: query({ additionals: [opt(1232, 0, 1)] }) },
    { name: 'EDNS with an option (cookie)', buf: query({ additionals: [opt(1232, 0, 0, [{ code: 10, data: Buffer.alloc(8) }])] }) },
    { name: 'an additional record that is not OPT', buf: query({ additionals: [{ type: 'A', name: 'x', ttl: 1, data: '1.2.3.4' }] }) },
    { name: 'a label with a dot byte', buf: query({ questions: [{ name: 'a\\.b.svc', type: 'A' }] }).fill(0x2e, 13, 14) },
    { name: 'trailing bytes', buf: Buffer.concat([query(), Buffer.from([0])]) },
    { name: 'truncated question', buf: query().subarray(0, 20) },
    { name: 'header only', buf: query().subarray(0, 12) },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const q = parsePlainQuery(c.buf, c.proto ?? 'udp', 4096);
      if (!c.want) return assert.equal(q, undefined);
      assert.ok(q, 'expected a plain query');
      assert.deepEqual({ qtype: q.qtype, limit: q.limit, edns: q.edns, dnssecOk: q.dnssecOk }, c.want);
      assert.equal(q.upper, true, 'NAME has an upper-case letter');
      const lower = Buffer.from(c.buf.toString('latin1', 12, q.nameEnd).toLowerCase(), 'latin1');
      assert.equal(q.hash, hashWireName(lower, 0, lower.length), 'the hash is that of the lower-cased name');
    });
  }

  test('the variant tells apart what chooses the reply, and ignores the case of the name, the id and the RD/CD bits', () => {
    const a = parsePlainQuery(query(), 'udp', 4096)!;
    const b = parsePlainQuery(encode({ type: 'query', id: 99, flags: 1 << 4, questions: [{ name: NAME.toUpperCase(), type: 'A' }] }), 'udp', 4096)!;
    assert.equal(a.hash, b.hash);
    assert.equal(a.variant, b.variant);
    const variants = new Set(
      [query(), query({ additionals: [opt(1232)] }), query({ additionals: [opt(1232, 0x8000)] }), query({ additionals: [opt(1400)] }), query({ questions: [{ name: NAME, type: 'AAAA', class: 'IN' }] })].map(
        (buf) => parsePlainQuery(buf, 'udp', 4096)!.variant,
      ),
    );
    variants.add(parsePlainQuery(query(), 'tcp', 4096)!.variant);
    assert.equal(variants.size, 6);
  });
});

describe('AnswerCache', () => {
  const reply = (name: string, id: number, flags: number): Buffer =>
    encode({
      type: 'response',
      id,
      flags,
      questions: [{ name, type: 'A', class: 'IN' }],
      answers: [
        { type: 'A', name, ttl: 5, data: '127.96.0.12' },
        { type: 'A', name: 'other.default.svc.cluster.local', ttl: 5, data: '127.96.0.13' },
      ],
    });

  test('questionEchoes finds the answer owners that repeat the question', () => {
    const q = query();
    const pq = parsePlainQuery(q, 'udp', 4096)!;
    const echoes = questionEchoes(reply(NAME, 7, 0x8500), q, pq);
    assert.deepEqual(echoes, [pq.nameEnd + 4]);
    assert.equal(questionEchoes(reply('other.name', 7, 0x8500), q, pq), undefined, 'a reply to another question is not patchable');
  });

  test('render patches the id, RD, CD and the spelling of the question; a new generation empties the cache', () => {
    let gen = 1;
    const cache = new AnswerCache<string>({ generation: () => gen });
    const first = query();
    const pq = parsePlainQuery(first, 'udp', 4096)!;
    assert.equal(cache.lookup(pq, first), undefined);
    assert.ok(cache.store(pq, first, reply(NAME, 7, 0x8500), 'labels'));
    const second = encode({ type: 'query', id: 4242, flags: 1 << 4, questions: [{ name: NAME.toUpperCase(), type: 'A' }] });
    const pq2 = parsePlainQuery(second, 'udp', 4096)!;
    const hit = cache.lookup(pq2, second);
    assert.ok(hit);
    assert.equal(hit.labels, 'labels');
    const out = AnswerCache.render(hit, second, pq2);
    // What the full path would have written for the second query.
    assert.deepEqual(out, reply(NAME.toUpperCase(), 4242, 0x8410));
    gen++;
    assert.equal(cache.lookup(pq2, second), undefined);
    assert.equal(cache.size, 0);
  });

  test('a reply kept for one spelling answers another: lower-case, mixed, and not a different variant', () => {
    const cache = new AnswerCache<string>({ generation: () => 1 });
    const first = query();
    const pq = parsePlainQuery(first, 'udp', 4096)!;
    cache.store(pq, first, reply(NAME, 7, 0x8500), 'x');
    for (const spelling of [NAME.toLowerCase(), 'wEB.DEFAULT.svc.Cluster.local']) {
      const q = encode({ type: 'query', id: 11, flags: 1 << 8, questions: [{ name: spelling, type: 'A' }] });
      const p = parsePlainQuery(q, 'udp', 4096)!;
      const hit = cache.lookup(p, q);
      assert.ok(hit, spelling);
      assert.deepEqual(AnswerCache.render(hit, q, p), reply(spelling, 11, 0x8500), spelling);
    }
    const edns = query({ additionals: [opt(1232)] });
    assert.equal(cache.lookup(parsePlainQuery(edns, 'udp', 4096)!, edns), undefined, 'EDNS is another variant');
    const other = encode({ type: 'query', id: 1, questions: [{ name: 'web.default.svc.cluster.locam', type: 'A' }] });
    assert.equal(cache.lookup(parsePlainQuery(other, 'udp', 4096)!, other), undefined);
  });

  test('keeps at most `capacity` replies, dropping the oldest', () => {
    const cache = new AnswerCache<number>({ generation: () => 0, capacity: 2 });
    for (const n of ['a', 'b', 'c']) {
      const q = encode({ type: 'query', id: 1, questions: [{ name: n, type: 'A' }] });
      cache.store(parsePlainQuery(q, 'udp', 4096)!, q, encode({ type: 'response', id: 1, questions: [{ name: n, type: 'A' }] }), 0);
    }
    assert.equal(cache.size, 2);
    const a = encode({ type: 'query', id: 1, questions: [{ name: 'a', type: 'A' }] });
    assert.equal(cache.lookup(parsePlainQuery(a, 'udp', 4096)!, a), undefined);
  });
});
