import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findTailStart, formatLogTimestamp, LogRecordFilter, logOptionsFromQuery, parseCriRecord, type CriRecord } from './cri-log.js';

describe('parseCriRecord', () => {
  const table: Array<[string, string, Partial<CriRecord> | string]> = [
    ['a full stdout line keeps its newline', '2016-10-06T00:17:09.669794202Z stdout F hello\n', { stream: 'stdout', partial: false, content: Buffer.from('hello\n') }],
    ['a partial line loses the newline the file added', '2016-10-06T00:17:09.669794202Z stderr P part\n', { stream: 'stderr', partial: true, content: Buffer.from('part') }],
    ['tags after a colon are ignored', '2016-10-06T00:17:09Z stdout F:x y\n', { partial: false, content: Buffer.from('y\n') }],
    ['an empty full line', '2016-10-06T00:17:09Z stdout F \n', { content: Buffer.from('\n') }],
    ['text may contain spaces', '2016-10-06T00:17:09Z stdout F a b  c\n', { content: Buffer.from('a b  c\n') }],
    ['no spaces at all', 'garbage', 'timestamp is not found'],
    ['a bad timestamp', 'yesterday stdout F x\n', 'unexpected timestamp format "yesterday"'],
    ['a bad stream', '2016-10-06T00:17:09Z stdin F x\n', 'unexpected stream type "stdin"'],
    ['no tag', '2016-10-06T00:17:09Z stdout\n', 'stream type is not found'],
  ];
  for (const [name, line, want] of table) {
    test(name, () => {
      const got = parseCriRecord(Buffer.from(line));
      if (typeof want === 'string') {
        assert.ok(got instanceof Error);
        assert.equal(got.message, want);
        return;
      }
      assert.ok(!(got instanceof Error), String(got));
      for (const [k, v] of Object.entries(want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
    });
  }

  test('the timestamp is parsed to milliseconds, offsets included', () => {
    const a = parseCriRecord(Buffer.from('2024-01-02T03:04:05.678901234Z stdout F x\n')) as CriRecord;
    assert.equal(a.timeMs, Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const b = parseCriRecord(Buffer.from('2024-01-02T05:04:05+02:00 stdout F x\n')) as CriRecord;
    assert.equal(b.timeMs, Date.UTC(2024, 0, 2, 3, 4, 5));
  });
});

describe('formatLogTimestamp (Go RFC3339NanoFixed)', () => {
  const table: Array<[string, string]> = [
    ['2016-10-06T00:17:09.669794202Z', '2016-10-06T00:17:09.669794202Z'],
    ['2016-10-06T00:17:09.6697Z', '2016-10-06T00:17:09.669700000Z'],
    ['2016-10-06T00:17:09Z', '2016-10-06T00:17:09.000000000Z'],
    ['2016-10-06T02:17:09.5+02:00', '2016-10-06T02:17:09.500000000+02:00'],
    ['2016-10-06T00:17:09+00:00', '2016-10-06T00:17:09.000000000Z'],
  ];
  for (const [input, want] of table) test(`${input} → ${want}`, () => assert.equal(formatLogTimestamp(input), want));
});

describe('logOptionsFromQuery', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  const table: Array<[string, object | string]> = [
    ['', { follow: false, timestamps: false }],
    ['follow=true&timestamps=1&tailLines=10&limitBytes=5', { follow: true, timestamps: true, tailLines: 10, limitBytes: 5 }],
    ['tail=3', { follow: false, timestamps: false, tailLines: 3 }],
    ['tail=all', { follow: false, timestamps: false }],
    ['sinceSeconds=60', { follow: false, timestamps: false, sinceMs: now - 60_000 }],
    ['sinceTime=2024-01-01T11:00:00Z', { follow: false, timestamps: false, sinceMs: now - 3_600_000 }],
    ['stream=Stderr', { follow: false, timestamps: false, stream: 'stderr' }],
    ['stream=All', { follow: false, timestamps: false }],
    ['tailLines=-1', 'tailLines: Invalid value: -1: must be greater than or equal to 0'],
    ['limitBytes=0', 'limitBytes: Invalid value: 0: must be greater than 0'],
    ['sinceSeconds=0', 'sinceSeconds: Invalid value: 0: must be greater than 0'],
    ['sinceSeconds=1&sinceTime=2024-01-01T11:00:00Z', 'at most one of `sinceTime` or `sinceSeconds` may be specified'],
    ['tailLines=ten', 'tailLines: invalid value "ten": must be an integer'],
    ['stream=Both', 'invalid stream type "Both"'],
  ];
  for (const [query, want] of table) {
    test(query || '(empty)', () => {
      const got = logOptionsFromQuery(new URLSearchParams(query), now);
      if (typeof want === 'string') {
        assert.ok(got instanceof Error);
        assert.equal(got.message, want);
      } else assert.deepEqual(got, want);
    });
  }
});

describe('findTailStart', () => {
  // The reference: the start of the last n newline-terminated lines, an unterminated tail not counted.
  const reference = (text: string, n: number): number => {
    let seen = 0;
    for (let i = text.length - 1; i >= 0; i--) if (text[i] === '\n' && ++seen > n) return i + 1;
    return 0;
  };
  const texts = ['', 'a\n', 'a\nb\nc\n', 'a\nb\nc', '\n\n\n', 'one line without newline', 'x\n'.repeat(50)];
  for (const text of texts) {
    for (const n of [0, 1, 2, 3, 60]) {
      for (const block of [1, 3, 64]) {
        test(`${JSON.stringify(text.slice(0, 12))} n=${n} block=${block}`, () => {
          const buf = Buffer.from(text);
          assert.equal(findTailStart((p, l) => buf.subarray(p, p + l), buf.length, n, block), reference(text, n));
        });
      }
    }
  }
  test('a negative count means the whole file', () => assert.equal(findTailStart(() => Buffer.alloc(0), 10, -1), 0));
});

describe('LogRecordFilter', () => {
  const rec = (content: string, at = '2024-01-01T00:00:10Z', stream: 'stdout' | 'stderr' = 'stdout'): CriRecord =>
    parseCriRecord(Buffer.from(`${at} ${stream} F ${content}`)) as CriRecord;

  test('records pass through unchanged by default', () => {
    const f = new LogRecordFilter({ follow: false, timestamps: false });
    assert.deepEqual(f.next(rec('a\n')), { stream: 'stdout', bytes: Buffer.from('a\n'), done: false });
  });
  test('timestamps are prefixed in the fixed nano format', () => {
    const f = new LogRecordFilter({ follow: false, timestamps: true });
    assert.equal(f.next(rec('a\n')).bytes?.toString(), '2024-01-01T00:00:10.000000000Z a\n');
  });
  test('records before since are skipped', () => {
    const f = new LogRecordFilter({ follow: false, timestamps: false, sinceMs: Date.UTC(2024, 0, 1, 0, 0, 5) });
    assert.equal(f.next(rec('old\n', '2024-01-01T00:00:01Z')).bytes, undefined);
    assert.equal(f.next(rec('new\n', '2024-01-01T00:00:06Z')).bytes?.toString(), 'new\n');
  });
  test('limitBytes cuts the record that crosses it and then is done', () => {
    const f = new LogRecordFilter({ follow: false, timestamps: false, limitBytes: 5 });
    assert.deepEqual(f.next(rec('abc\n')), { stream: 'stdout', bytes: Buffer.from('abc\n'), done: false });
    assert.deepEqual(f.next(rec('defg\n')), { stream: 'stdout', bytes: Buffer.from('d'), done: true });
    assert.equal(f.next(rec('more\n')).done, true);
  });
  test('a stream filter drops the other stream', () => {
    const f = new LogRecordFilter({ follow: false, timestamps: false, stream: 'stderr' });
    assert.equal(f.next(rec('out\n')).bytes, undefined);
    assert.equal(f.next(rec('err\n', undefined, 'stderr')).bytes?.toString(), 'err\n');
  });
});
