import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CriLogWriter, criTimestamp } from './cri-log-writer.js';

const T = Date.parse('2016-10-06T00:17:09.669Z') + 0.75;

function collect(feed: (w: CriLogWriter) => void, max?: number): string[] {
  const out: string[] = [];
  const w = new CriLogWriter('stdout', (b) => out.push(b.toString()), { now: () => T, ...(max ? { maxLineBytes: max } : {}) });
  feed(w);
  return out;
}

test('timestamps have nine fractional digits in UTC', () => {
  assert.equal(criTimestamp(T), '2016-10-06T00:17:09.669750000Z');
  assert.equal(criTimestamp(Date.parse('2020-01-01T00:00:00Z')), '2020-01-01T00:00:00.000000000Z');
});

const table: Array<[string, (w: CriLogWriter) => void, string[], number?]> = [
  ['one full line', (w) => w.write('hello\n'), ['… stdout F hello\n']],
  ['two lines in one chunk', (w) => w.write('a\nb\n'), ['… stdout F a\n', '… stdout F b\n']],
  ['a line split over chunks', (w) => (w.write('he'), w.write('llo\nwor'), w.write('ld\n')), ['… stdout F hello\n', '… stdout F world\n']],
  ['an empty line', (w) => w.write('\n'), ['… stdout F \n']],
  ['CRLF loses the CR', (w) => w.write('dos\r\n'), ['… stdout F dos\n']],
  ['text without newline at the end is partial', (w) => (w.write('tail'), w.end()), ['… stdout P tail\n']],
  ['nothing pending at the end writes nothing', (w) => (w.write('x\n'), w.end()), ['… stdout F x\n']],
  ['long lines are cut into partial records', (w) => w.write('abcdefghij\n'), ['… stdout P abcd\n', '… stdout P efgh\n', '… stdout F ij\n'], 4],
  ['a line of exactly the limit is one full record', (w) => w.write('abcd\n'), ['… stdout F abcd\n'], 4],
];
for (const [name, feed, want, max] of table) {
  test(name, () => {
    const got = collect(feed, max).map((l) => l.replace('2016-10-06T00:17:09.669750000Z', '…'));
    assert.deepEqual(got, want);
  });
}

test('stderr records carry their stream', () => {
  const out: string[] = [];
  new CriLogWriter('stderr', (b) => out.push(b.toString()), { now: () => T }).write('oops\n');
  assert.deepEqual(out, ['2016-10-06T00:17:09.669750000Z stderr F oops\n']);
});
