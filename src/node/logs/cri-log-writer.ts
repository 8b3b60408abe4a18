/**
 * Container output in the CRI log format the kubelet and containerd write
 * (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line, upstream
 * containerd `pkg/cri/io/logger.go`): every complete line is one `F` record;
 * a line longer than the maximum record size (16 KiB) is cut into `P` records
 * followed by an `F` record, and text left without a newline when the stream
 * ends is written as a `P` record. `\n` and a preceding `\r` are not part of the text.
 */

/** The CRI stream tag. */
export type LogStream = 'stdout' | 'stderr';

/** The kubelet's default maximum record size (`--max-container-log-line-size`, 16 KiB). */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/**
 * A CRI timestamp: RFC 3339 in UTC with exactly nine fractional digits, like containerd.
 *
 * @example
 * criTimestamp(Date.parse('2016-10-06T00:17:09.669Z') + 0.75) // '2016-10-06T00:17:09.669750000Z'
 */
export function criTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const subMsNanos = Math.min(999_999, Math.max(0, Math.round((ms - whole) * 1e6)));
  const iso = new Date(whole).toISOString(); // 2016-10-06T00:17:09.669Z
  return `${iso.slice(0, 23)}${String(subMsNanos).padStart(6, '0')}Z`;
}

/** One CRI record (with its trailing newline). */
export function criRecord(timestamp: string, stream: LogStream, partial: boolean, text: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp} ${stream} ${partial ? 'P' : 'F'} `), typeof text === 'string' ? Buffer.from(text) : text, Buffer.from('\n')]);
}

/** Options of {@link CriLogWriter}. */
export interface CriLogWriterOptions {
  /** Record size limit in bytes. Default {@link MAX_LOG_LINE_BYTES}. */
  maxLineBytes?: number;
  /** Milliseconds with sub-millisecond fraction; default `performance.timeOrigin + performance.now()`. */
  now?: () => number;
}

/**
 * Turns one output stream into CRI records handed to `sink`.
 *
 * @example
 * const w = new CriLogWriter('stdout', (rec) => file.write(rec));
 * child.stdout.on('data', (b) => w.write(b));
 * child.stdout.on('end', () => w.end());
 */
export class CriLogWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly max: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: LogStream,
    private readonly sink: (record: Buffer) => void,
    opts: CriLogWriterOptions = {},
  ) {
    this.max = opts.maxLineBytes ?? MAX_LOG_LINE_BYTES;
    this.now = opts.now ?? (() => performance.timeOrigin + performance.now());
  }

  /** Feeds a chunk of output. */
  write(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (;;) {
      const nl = buf.indexOf(0x0a);
      const piece = nl < 0 ? buf : buf.subarray(0, nl);
      this.append(piece);
      if (nl < 0) return;
      this.flush(false, true);
      buf = buf.subarray(nl + 1);
    }
  }

  /** Ends the stream: text without a final newline becomes a partial record. */
  end(): void {
    if (this.pendingBytes > 0) this.flush(true, false);
  }

  private append(piece: Buffer): void {
    while (piece.length > 0) {
      const room = this.max - this.pendingBytes;
      if (piece.length <= room) {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
        return;
      }
      this.pending.push(piece.subarray(0, room));
      this.pendingBytes += room;
      piece = piece.subarray(room);
      // A full record and more to come on the same line: emit it as partial.
      this.flush(true, false);
    }
  }

  private flush(partial: boolean, stripCR: boolean): void {
    let text = Buffer.concat(this.pending);
    if (stripCR && text.length > 0 && text[text.length - 1] === 0x0d) text = text.subarray(0, text.length - 1);
    this.pending = [];
    this.pendingBytes = 0;
    this.sink(criRecord(criTimestamp(this.now()), this.stream, partial, text));
  }
}
