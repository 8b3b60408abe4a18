import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, type Answer, type Packet } from 'dns-packet';
import { AnswerCache, parsePlainQuery, questionEchoes } from './answer-cache.js';

const NAME = 'Web.default.svc.cluster.local';
const opt = (udpPayloadSize: number, flags = 0, ednsVersion = 0, options: Array<{ code: number; data: Buffer }> = []): Answer =>
  ({ type: 'OPT', name: '.', udpPayloadSize, extendedRcode: 0, ednsVersion, flags, flag_do: (flags & 0x8000) !== 0, options }) as Answer;
const query = (p: Partial<Packet> = {}): Buffer => encode({ type: 'query', id: 7, flags: 1 << 8, questions: [{ name: NAME, type: 'A', class: 'IN' }], ...p });

describe('parsePlainQuery', () => {
  const cases: Array<{ name: string; buf: Buffer; proto?: 'udp' | 'tcp'; key?: RegExp }> = [
    { name: 'a plain A query over UDP: limit 512, no EDNS', buf: query(), key: /\|1\|u512\|00$/ },
    { name: 'the same over TCP: limit 65535', buf: query(), proto: 'tcp', key: /\|1\|t65535\|00$/ },
    { name: 'EDNS 1232 with DO', buf: query({ additionals: [opt(1232, 0x8000)] }), key: /\|1\|u1232\|11$/ },
    { name: 'EDNS payload below 512 counts as 512', buf: query({ additionals: [opt(100)] }), key: /\|u512\|10$/ },
    { name: 'EDNS payload above the server maximum is clamped', buf: query({ additionals: [opt(65000)] }), key: /\|u4096\|10$/ },
    { name: 'SRV keeps its type number', buf: query({ questions: [{ name: `_http._tcp.${NAME}`, type: 'SRV', class: 'IN' }] }), key: /\|33\|u512\|00$/ },
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
      if (!c.key) return assert.equal(q, undefined);
      assert.ok(q, 'expected a plain query');
      assert.match(q.key, c.key);
      assert.equal(q.key.includes('\x03web\x07default\x03svc\x07cluster\x05local\x00|'), true, 'the name is lower-cased in the key');
    });
  }

  test('the key ignores the case of the name, the id and the RD/CD bits', () => {
    const a = parsePlainQuery(query(), 'udp', 4096)!;
    const b = parsePlainQuery(encode({ type: 'query', id: 99, flags: 1 << 4, questions: [{ name: NAME.toUpperCase(), type: 'A' }] }), 'udp', 4096)!;
    assert.equal(a.key, b.key);
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
    assert.equal(cache.lookup(pq), undefined);
    assert.ok(cache.store(pq, first, reply(NAME, 7, 0x8500), 'labels'));
    const second = encode({ type: 'query', id: 4242, flags: 1 << 4, questions: [{ name: NAME.toUpperCase(), type: 'A' }] });
    const pq2 = parsePlainQuery(second, 'udp', 4096)!;
    const hit = cache.lookup(pq2);
    assert.ok(hit);
    assert.equal(hit.labels, 'labels');
    const out = AnswerCache.render(hit, second, pq2);
    // What the full path would have written for the second query.
    assert.deepEqual(out, reply(NAME.toUpperCase(), 4242, 0x8410));
    gen++;
    assert.equal(cache.lookup(pq2), undefined);
    assert.equal(cache.size, 0);
  });

  test('keeps at most `capacity` replies, dropping the oldest', () => {
    const cache = new AnswerCache<number>({ generation: () => 0, capacity: 2 });
    for (const n of ['a', 'b', 'c']) {
      const q = encode({ type: 'query', id: 1, questions: [{ name: n, type: 'A' }] });
      cache.store(parsePlainQuery(q, 'udp', 4096)!, q, encode({ type: 'response', id: 1, questions: [{ name: n, type: 'A' }] }), 0);
    }
    assert.equal(cache.size, 2);
    const a = encode({ type: 'query', id: 1, questions: [{ name: 'a', type: 'A' }] });
    assert.equal(cache.lookup(parsePlainQuery(a, 'udp', 4096)!), undefined);
  });
});
