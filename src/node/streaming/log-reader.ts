/**
 * Streams one CRI log file to a sink with the kubelet's semantics
 * (`ReadLogs` in upstream `pkg/kubelet/kuberuntime/logs/logs.go`): start at
 * `tailLines`, parse records, filter them (`LogRecordFilter`), and with
 * `follow` keep reading as the file grows for as long as the container runs,
 * then drain what is left. Growth is noticed through `fs.watch` with a 1 s
 * poll as a safety net, like upstream's fsnotify plus `logForceCheckPeriod`.
 * Log rotation is not followed (the process runtime does not rotate).
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { findTailStart, LogRecordFilter, parseCriRecord, type CriStream, type LogOptions } from './cri-log.js';

/** Where the log bytes go; a returned promise means "wait before writing more". */
export type LogSink = (stream: CriStream, bytes: Buffer) => void | Promise<void>;

/** Controls of one {@link streamLogFile} call. */
export interface LogStreamControl {
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Whether the container that writes this file still runs (asked when `follow` reaches the end). */
  stillRunning(): boolean;
  /** How long to wait for growth before checking again. Default 1000 ms. */
  pollMs?: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  return fh.read(buf, 0, length, position).then(({ bytesRead }) => buf.subarray(0, bytesRead));
}

/**
 * Opens `path` (rejects with the open error, before anything is written) and
 * returns a function that streams it to `sink` under `opts`; the returned
 * promise resolves when the stream is complete (end of file, container
 * stopped while following, `limitBytes` reached, or the signal aborted).
 *
 * @example
 * const run = await openLogStream('/…/0.log', { follow: true, timestamps: false });
 * await run((stream, bytes) => res.write(bytes), { signal, stillRunning: () => true });
 */
export async function openLogStream(path: string, opts: LogOptions): Promise<(sink: LogSink, ctl: LogStreamControl) => Promise<void>> {
  const fh = await open(path, 'r');
  // Where reading starts is fixed now: what is written after the open is "new".
  let start: number;
  try {
    start = opts.tailLines !== undefined ? await tailStart(fh, (await fh.stat()).size, opts.tailLines) : 0;
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
  return async (sink, ctl) => {
    let watcher: FSWatcher | undefined;
    try {
      await pump(fh, path, start, opts, sink, ctl, (w) => (watcher = w));
    } finally {
      watcher?.close();
      await fh.close().catch(() => {});
    }
  };
}

async function pump(fh: FileHandle, path: string, start: number, opts: LogOptions, sink: LogSink, ctl: LogStreamControl, setWatcher: (w: FSWatcher) => void): Promise<void> {
  let position = start;
  const filter = new LogRecordFilter(opts);
  // Without follow, tailLines also bounds how many records are written (upstream "limited mode").
  let limited = opts.tailLines !== undefined && !opts.follow ? opts.tailLines : Number.POSITIVE_INFINITY;
  let pending: Buffer = Buffer.alloc(0);
  let finalPass = false;
  let wake: (() => void) | undefined;
  let watching = false;

  const emit = async (line: Buffer): Promise<boolean> => {
    const rec = parseCriRecord(line);
    if (rec instanceof Error) return true; // upstream logs and skips unparsable lines
    const out = filter.next(rec);
    if (out.bytes?.length) await sink(out.stream, out.bytes);
    if (limited !== Number.POSITIVE_INFINITY) limited--;
    return !out.done && limited > 0;
  };

  if (limited <= 0) return;
  while (!ctl.signal.aborted) {
    const chunk = await readAt(fh, position, CHUNK);
    position += chunk.length;
    if (chunk.length) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let start = 0;
      for (let nl = pending.indexOf(NEWLINE, start); nl >= 0; nl = pending.indexOf(NEWLINE, start)) {
        const line = pending.subarray(start, nl + 1);
        start = nl + 1;
        if (!(await emit(line))) return;
        if (ctl.signal.aborted) return;
      }
      pending = pending.subarray(start);
      continue;
    }
    // End of file.
    if (!opts.follow || finalPass) {
      // An unterminated last line is still written when the stream ends.
      if (pending.length) await emit(pending);
      return;
    }
    if (!ctl.stillRunning()) {
      // One more pass picks up whatever the container wrote before it stopped.
      finalPass = true;
      continue;
    }
    if (!watching) {
      watching = true;
      try {
        const w = watch(path, { persistent: false }, () => wake?.());
        w.on('error', () => {});
        setWatcher(w);
      } catch {
        // No inotify (or the file went away): the poll below still notices growth.
      }
      continue; // the write that happened before the watch started must not be missed
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        ctl.signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ctl.pollMs ?? 1000);
      wake = done;
      ctl.signal.addEventListener('abort', done, { once: true });
    });
  }
}

async function tailStart(fh: FileHandle, size: number, n: number): Promise<number> {
  // The pure scan reads synchronously: prefetch the blocks it will look at, from the end back.
  const blocks = new Map<number, Buffer>();
  let need = 0;
  for (let right = size; right > 0; right -= CHUNK) {
    const left = Math.max(0, right - CHUNK);
    const b = await readAt(fh, left, right - left);
    blocks.set(left, b);
    for (const byte of b) if (byte === NEWLINE) need++;
    if (need > n) break;
  }
  return findTailStart((p, l) => blocks.get(p)?.subarray(0, l) ?? Buffer.alloc(0), size, n, CHUNK);
}
