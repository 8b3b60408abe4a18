/**
 * The Kubernetes WebSocket channel protocols (upstream
 * `apimachinery/pkg/util/httpstream/wsstream` and the kubelet's
 * `remotecommand/websocket.go`): every message starts with a channel byte
 * (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize); the `base64.`
 * variants send text messages with the channel as an ASCII digit and the
 * payload base64-encoded. `v4.` writes the exec result as a `metav1.Status`
 * JSON on channel 3 (older versions write only a failure's message); `v5.`
 * adds the close signal `[255, channel]` a client sends to half-close stdin.
 * Pure encoders and decoders; the sockets live in the kubelet server.
 */

/** Channel numbers of exec and attach. */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** The v5 close signal's channel byte: `[255, n]` closes channel n. */
export const CLOSE_SIGNAL = 255;

/** Exec/attach subprotocols the kubelet accepts, newest first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'] as const;

/** Port-forward WebSocket subprotocols: SPDY tunnelled in WebSocket (kubectl 1.31+) and the channel protocol. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const PORT_FORWARD_PROTOCOLS = [PORT_FORWARD_TUNNEL_PROTOCOL, 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'portforward.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'] as const;

/** How a negotiated subprotocol frames messages. */
export interface ChannelCodec {
  protocol: string;
  /** Text messages, channel as ASCII digit, payload base64. */
  base64: boolean;
  /** 4 = Status JSON on the error channel for success and failure; 1 = failure message only. */
  statusVersion: 1 | 4;
  /** The client may send `[255, channel]` to close a channel (v5). */
  closeSignal: boolean;
}

/**
 * The first protocol the client offered that the server supports (the
 * client's order wins, as in `wsstream.handshake`); `''` when the client
 * offered none; undefined when nothing matches.
 *
 * @example
 * negotiateProtocol(['v5.channel.k8s.io'], EXEC_PROTOCOLS) // 'v5.channel.k8s.io'
 */
export function negotiateProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (!offered.length) return '';
  return offered.find((p) => supported.includes(p));
}

/** The framing of `protocol` (`''` means the binary channel protocol). */
export function channelCodec(protocol: string): ChannelCodec {
  const base64 = protocol.includes('base64.');
  const v5 = protocol.startsWith('v5.');
  return { protocol, base64, statusVersion: v5 || protocol.startsWith('v4.') ? 4 : 1, closeSignal: v5 };
}

/**
 * One message carrying `data` on `channel`.
 *
 * @example
 * encodeChannelMessage(channelCodec('v5.channel.k8s.io'), STDOUT, Buffer.from('hi')) // <Buffer 01 68 69>
 */
export function encodeChannelMessage(codec: ChannelCodec, channel: number, data: Buffer): Buffer | string {
  if (codec.base64) return String.fromCharCode(48 + channel) + data.toString('base64');
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = channel;
  data.copy(out, 1);
  return out;
}

/** A decoded client message. */
export type ChannelMessage = { kind: 'data'; channel: number; data: Buffer } | { kind: 'close'; channel: number };

/**
 * Decodes one client message; undefined for an empty or malformed one.
 *
 * @example
 * decodeChannelMessage(channelCodec('v5.channel.k8s.io'), Buffer.from([255, 0])) // { kind: 'close', channel: 0 }
 */
export function decodeChannelMessage(codec: ChannelCodec, message: Buffer | string): ChannelMessage | undefined {
  if (codec.base64) {
    const text = typeof message === 'string' ? message : message.toString('latin1');
    if (!text.length) return undefined;
    const channel = text.charCodeAt(0) - 48;
    if (channel < 0 || channel > 9) return undefined;
    return { kind: 'data', channel, data: Buffer.from(text.slice(1), 'base64') };
  }
  const buf = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
  if (!buf.length) return undefined;
  const channel = buf[0]!;
  if (channel === CLOSE_SIGNAL && codec.closeSignal) return buf.length >= 2 ? { kind: 'close', channel: buf[1]! } : undefined;
  return { kind: 'data', channel, data: buf.subarray(1) };
}

/** A `metav1.Status` as exec writes it on the error channel. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: Array<{ reason?: string; message: string }> };
}

/** Go's `%v` of a string slice: `[sh -c echo hi]`. */
function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/**
 * The Status for an exec result: Success for exit code 0; `NonZeroExitCode`
 * with an `ExitCode` cause otherwise (kubectl turns it into `command
 * terminated with exit code N`); an internal error when the command could
 * not run at all.
 *
 * @example
 * execStatus({ exitCode: 3, command: ['sh', '-c', 'exit 3'] }).details // { causes: [{ reason: 'ExitCode', message: '3' }] }
 */
export function execStatus(result: { exitCode: number; command: readonly string[] } | { error: string }): ExecStatus {
  if ('error' in result) {
    const msg = `error executing command in container: ${result.error}`;
    return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${msg}`, reason: 'InternalError', code: 500, details: { causes: [{ message: msg }] } };
  }
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command ${goSlice(result.command)}, exit code ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/**
 * What goes on the error channel for `status`: the JSON for v4/v5, only a
 * failure's message for older protocols (nothing on success).
 */
export function encodeStatus(codec: ChannelCodec, status: ExecStatus): Buffer | undefined {
  if (codec.statusVersion === 4) return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? '');
}

/** A terminal size from the resize channel (`{"Width":80,"Height":24}`), or undefined when malformed. */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width === 'number' && typeof v.Height === 'number') return { width: v.Width, height: v.Height };
  } catch {
    // fall through
  }
  return undefined;
}

/** The first message of a port-forward channel: the port as two little-endian bytes. */
export function portPrefix(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}
