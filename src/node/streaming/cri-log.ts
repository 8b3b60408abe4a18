/**
 * Reading container logs the way the kubelet does (upstream
 * `pkg/kubelet/kuberuntime/logs/logs.go` and `pkg/util/tail`), as pure
 * functions: parsing one CRI record (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`),
 * the `PodLogOptions` a request carries, where `tailLines` starts in a file,
 * and the per-record filter that applies `sinceSeconds`/`sinceTime`,
 * `timestamps` and `limitBytes`. The file I/O (and `follow`) lives in
 * `log-reader.ts`.
 */

/** The CRI stream tag of a record. */
export type CriStream = 'stdout' | 'stderr';

/** One parsed CRI record. */
export interface CriRecord {
  /** The timestamp as written, e.g. `2016-10-06T00:17:09.669794202Z`. */
  timestamp: string;
  /** The timestamp in epoch milliseconds (sub-millisecond digits dropped). */
  timeMs: number;
  stream: CriStream;
  /** A `P` record: a piece of a longer line, without its newline. */
  partial: boolean;
  /** The text; a full (`F`) record keeps the newline it ended with in the file. */
  content: Buffer;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
// RFC 3339 with optional fraction, as Go's RFC3339NanoLenient accepts it.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

interface ParsedTime {
  ms: number;
  /** `2006-01-02T15:04:05` part. */
  base: string;
  fraction: string;
  zone: string;
}

function parseTime(text: string): ParsedTime | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  if (!Number.isFinite(ms)) return undefined;
  return { ms, base: text.slice(0, 19), fraction: frac, zone };
}

/**
 * Parses an RFC 3339 time (with or without fraction) to epoch milliseconds.
 *
 * @example
 * parseRFC3339('2024-01-02T03:04:05Z') // 1704164645000
 */
export function parseRFC3339(text: string): number | undefined {
  return parseTime(text)?.ms;
}

/**
 * Parses one line of a CRI log file (with or without its newline); returns an
 * Error naming what is wrong for lines that are not CRI records.
 *
 * @example
 * parseCriRecord(Buffer.from('2016-10-06T00:17:09.669794202Z stdout F hi\n'))
 * // → { stream: 'stdout', partial: false, content: <Buffer 'hi\n'>, … }
 */
export function parseCriRecord(line: Buffer): CriRecord | Error {
  const i1 = line.indexOf(SPACE);
  if (i1 < 0) return new Error('timestamp is not found');
  const timestamp = line.subarray(0, i1).toString('latin1');
  const t = parseTime(timestamp);
  if (!t) return new Error(`unexpected timestamp format ${JSON.stringify(timestamp)}`);
  const i2 = line.indexOf(SPACE, i1 + 1);
  if (i2 < 0) return new Error('stream type is not found');
  const stream = line.subarray(i1 + 1, i2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return new Error(`unexpected stream type ${JSON.stringify(stream)}`);
  const i3 = line.indexOf(SPACE, i2 + 1);
  if (i3 < 0) return new Error('log tag is not found');
  // Tags are `:`-separated for forward compatibility; the first says partial or full.
  const partial = line.subarray(i2 + 1, i3).toString('latin1').split(':')[0] === 'P';
  let content = line.subarray(i3 + 1);
  if (partial && content.length && content[content.length - 1] === NEWLINE) content = content.subarray(0, -1);
  return { timestamp, timeMs: t.ms, stream, partial, content };
}

/**
 * A record's timestamp as `kubectl logs --timestamps` shows it: Go's
 * RFC3339NanoFixed (always nine fractional digits; a zero offset prints `Z`).
 *
 * @example
 * formatLogTimestamp('2016-10-06T00:17:09.6697Z') // '2016-10-06T00:17:09.669700000Z'
 */
export function formatLogTimestamp(timestamp: string): string {
  const t = parseTime(timestamp);
  if (!t) return timestamp;
  const zone = t.zone === '+00:00' || t.zone === '-00:00' ? 'Z' : t.zone;
  return `${t.base}.${t.fraction.padEnd(9, '0')}${zone}`;
}

/** What a log request asks for (`v1.PodLogOptions` as the kubelet sees it). */
export interface LogOptions {
  /** Keep streaming while the container runs. */
  follow: boolean;
  /** Prefix every record with its timestamp. */
  timestamps: boolean;
  /** Start this many lines before the end; undefined = all. */
  tailLines?: number;
  /** Stop after this many bytes; undefined = no limit. */
  limitBytes?: number;
  /** Skip records older than this (epoch ms); from `sinceSeconds` or `sinceTime`, the later wins. */
  sinceMs?: number;
  /** Only this stream (`stream=Stdout|Stderr`); undefined = both. */
  stream?: CriStream;
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

function intParam(q: URLSearchParams, name: string): number | undefined | Error {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) return new Error(`${name}: invalid value ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

/**
 * The log options of a `/containerLogs` query, checked like
 * `ValidatePodLogOptions`. `tail=N` (or `tail=all`) is the legacy spelling of
 * `tailLines`. Returns an Error with the problem for invalid values.
 *
 * @example
 * logOptionsFromQuery(new URLSearchParams('follow=true&tailLines=10'), Date.now())
 * // → { follow: true, timestamps: false, tailLines: 10 }
 */
export function logOptionsFromQuery(q: URLSearchParams, nowMs: number): LogOptions | Error {
  const opts: LogOptions = { follow: TRUE.has(q.get('follow') ?? ''), timestamps: TRUE.has(q.get('timestamps') ?? '') };
  const legacyTail = q.get('tail');
  const tail = legacyTail === 'all' ? undefined : legacyTail !== null ? intParam(new URLSearchParams({ tailLines: legacyTail }), 'tailLines') : intParam(q, 'tailLines');
  const limit = intParam(q, 'limitBytes');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  for (const v of [tail, limit, sinceSeconds]) if (v instanceof Error) return v;
  if (typeof tail === 'number') {
    if (tail < 0) return new Error(`tailLines: Invalid value: ${tail}: must be greater than or equal to 0`);
    opts.tailLines = tail;
  }
  if (typeof limit === 'number') {
    if (limit < 1) return new Error(`limitBytes: Invalid value: ${limit}: must be greater than 0`);
    opts.limitBytes = limit;
  }
  const sinceTime = q.get('sinceTime');
  if (typeof sinceSeconds === 'number' && sinceTime) return new Error('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (typeof sinceSeconds === 'number') {
    if (sinceSeconds < 1) return new Error(`sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`);
    opts.sinceMs = nowMs - sinceSeconds * 1000;
  }
  if (sinceTime) {
    const ms = parseRFC3339(sinceTime);
    if (ms === undefined) return new Error(`sinceTime: invalid value ${JSON.stringify(sinceTime)}: must be an RFC 3339 time`);
    opts.sinceMs = ms;
  }
  const stream = q.get('stream');
  if (stream && stream !== 'All') {
    if (stream !== 'Stdout' && stream !== 'Stderr') return new Error(`invalid stream type ${JSON.stringify(stream)}`);
    opts.stream = stream === 'Stdout' ? 'stdout' : 'stderr';
  }
  return opts;
}

/**
 * Where reading starts so that exactly `n` newline-terminated lines follow
 * (`pkg/util/tail.FindTailLineStartIndex`): 0 when the file has no more than
 * `n` lines; an unterminated last line is not counted. `read(position, length)`
 * returns the bytes at `position`; blocks are read from the end.
 *
 * @example
 * const text = Buffer.from('a\nb\nc\n');
 * findTailStart((p, l) => text.subarray(p, p + l), text.length, 1) // 4
 */
export function findTailStart(read: (position: number, length: number) => Buffer, size: number, n: number, blockSize = 64 * 1024): number {
  if (n < 0) return 0;
  let seen = 0;
  for (let right = size; right > 0; right -= blockSize) {
    const left = Math.max(0, right - blockSize);
    const block = read(left, right - left);
    for (let i = block.length - 1; i >= 0; i--) {
      if (block[i] !== NEWLINE) continue;
      // The (n+1)-th newline from the end closes the line before the first one we keep.
      if (++seen > n) return left + i + 1;
    }
  }
  return 0;
}

/** What one record turns into. */
export interface FilteredRecord {
  stream: CriStream;
  /** Bytes to write (absent when the record is skipped). */
  bytes?: Buffer;
  /** True once `limitBytes` is used up: nothing more may be written. */
  done: boolean;
}

/**
 * The kubelet's log writer as a state machine over parsed records: drops
 * records older than `sinceMs` and of an unwanted stream, prefixes timestamps,
 * and cuts the output at `limitBytes`.
 *
 * @example
 * const f = new LogRecordFilter({ follow: false, timestamps: true, limitBytes: 5 });
 * f.next(record) // → { stream: 'stdout', bytes: <first 5 bytes>, done: true }
 */
export class LogRecordFilter {
  private remain: number;

  constructor(private readonly opts: LogOptions) {
    this.remain = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  next(rec: CriRecord): FilteredRecord {
    if (this.remain <= 0) return { stream: rec.stream, done: true };
    if (this.opts.sinceMs !== undefined && rec.timeMs < this.opts.sinceMs) return { stream: rec.stream, done: false };
    if (this.opts.stream && rec.stream !== this.opts.stream) return { stream: rec.stream, done: false };
    let bytes = this.opts.timestamps ? Buffer.concat([Buffer.from(`${formatLogTimestamp(rec.timestamp)} `), rec.content]) : rec.content;
    if (bytes.length > this.remain) bytes = bytes.subarray(0, this.remain);
    this.remain -= bytes.length;
    return { stream: rec.stream, bytes, done: this.remain <= 0 };
  }
}
