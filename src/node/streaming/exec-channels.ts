/**
 * One exec (or attach) session over a WebSocket channel protocol: turns the
 * socket into the `ExecIO` a runtime gets (stdin from channel 0, stdout and
 * stderr to channels 1 and 2, terminal sizes from channel 4, the v5 close
 * signal as stdin EOF, the client going away as an abort), runs the command,
 * then writes the result Status on channel 3 and closes with 1000, like the
 * kubelet's `remotecommand` server.
 */
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ExecIO } from '../runtime.js';
import { decodeChannelMessage, encodeChannelMessage, encodeStatus, ERROR, parseResize, RESIZE, STDERR, STDIN, STDOUT, type ChannelCodec, type ExecStatus } from './channel-protocol.js';

/** Which streams the client asked for (`stdin`, `stdout`, `stderr`, `tty` query parameters). */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** How long to wait for output a command left in flight after it exited. */
const OUTPUT_GRACE_MS = 2000;

/**
 * Parses the stream flags of an exec or attach query (upstream
 * `remotecommand.NewOptions`): at least one of stdin, stdout, stderr; with a
 * tty, stderr is folded into stdout.
 *
 * @example
 * streamOptionsFromQuery(new URLSearchParams('stdout=true&stderr=true')) // { stdin: false, stdout: true, stderr: true, tty: false }
 */
export function streamOptionsFromQuery(q: URLSearchParams): StreamOptions | Error {
  const flag = (name: string): boolean => ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(q.get(name) ?? '');
  const tty = flag('tty');
  const opts = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
  if (!opts.stdin && !opts.stdout && !flag('stderr')) return new Error('you must specify at least 1 of stdin, stdout, stderr');
  return opts;
}

/**
 * Runs `run` with the socket's streams and reports its Status.
 *
 * @example
 * await serveChannelSession(ws, channelCodec('v5.channel.k8s.io'), opts, async (io) => execStatus({ exitCode: await runtime.exec(pod, c, cmd, io), command: cmd }));
 */
export async function serveChannelSession(ws: WebSocket, codec: ChannelCodec, opts: StreamOptions, run: (io: ExecIO) => Promise<ExecStatus>): Promise<void> {
  const abort = new AbortController();
  const resizeListeners: Array<(size: { width: number; height: number }) => void> = [];
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const open = (): boolean => ws.readyState === ws.OPEN;
  const send = (channel: number, data: Buffer, cb?: (err?: Error) => void): void => {
    if (!open()) return cb?.();
    ws.send(encodeChannelMessage(codec, channel, data), { binary: !codec.base64 }, (err) => cb?.(err ?? undefined));
  };
  const channelWriter = (channel: number): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        // Waiting for the socket write gives the command backpressure from a slow client.
        send(channel, chunk, () => cb());
      },
    });
  const stdout = opts.stdout ? channelWriter(STDOUT) : undefined;
  const stderr = opts.stderr ? channelWriter(STDERR) : undefined;

  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const msg = decodeChannelMessage(codec, isBinary ? raw : raw.toString('latin1'));
    if (!msg) return;
    if (msg.kind === 'close') {
      if (msg.channel === STDIN) stdin?.end();
      return;
    }
    if (msg.channel === STDIN && stdin && !stdin.writableEnded) stdin.write(msg.data);
    else if (msg.channel === RESIZE) {
      const size = parseResize(msg.data);
      if (size) for (const l of resizeListeners) l(size);
    }
  });
  ws.on('close', () => {
    abort.abort();
    if (stdin && !stdin.writableEnded) stdin.end();
  });
  ws.on('error', () => abort.abort());

  // An empty message on the lowest writable channel tells the client the session is up.
  send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));

  const io: ExecIO = {
    tty: opts.tty,
    signal: abort.signal,
    onResize: (l) => resizeListeners.push(l),
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
  };
  let status: ExecStatus;
  try {
    status = await run(io);
  } catch (err) {
    status = { metadata: {}, status: 'Failure', message: `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`, reason: 'InternalError', code: 500 };
  }
  // The runtime may resolve before its last output went through the writers: let them drain.
  await Promise.all([stdout, stderr].map((w) => (w ? settled(w) : undefined)));
  const payload = encodeStatus(codec, status);
  if (payload) await new Promise<void>((resolve) => send(ERROR, payload, () => resolve()));
  if (open()) ws.close(1000);
}

function settled(w: Writable): Promise<void> {
  if (w.writableFinished || w.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, OUTPUT_GRACE_MS);
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    w.once('finish', done);
    w.once('drain', done);
  });
}
