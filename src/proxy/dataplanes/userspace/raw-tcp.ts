/**
 * Node's own TCP handles (`tcp_wrap`, `stream_wrap`), the layer `net.Socket`
 * is built on, for the proxy's connection path. A `net.Socket` is a stream:
 * two state objects, an event emitter, a dozen listeners, a queue per
 * direction; a proxied connection needs two of them and moves bytes it never
 * looks at. On the handles themselves a connection is two objects, a callback
 * per read and a write request per forwarded chunk: the benchmark's new
 * connections/s went from 1.10× to about 1.3× a `pipe()` proxy's with the same
 * processes (see bench/proxy.ts), most of what is left being the kernel's.
 *
 * The bindings are reached through `process.binding`, whose allow-list keeps
 * these three modules for exactly such uses; raw-tcp.test.ts pins the shapes
 * this file relies on, so a Node that changes them fails there first.
 */

/** A request whose completion calls `oncomplete` (connect, write, shutdown). */
interface Req {
  oncomplete: (...args: never[]) => void;
}

/** `TCPConnectWrap`: completes with (status, handle). */
export interface ConnectReq extends Req {
  oncomplete: (this: ConnectReq, status: number, handle: RawTcp) => void;
}

/** `WriteWrap`: completes (only when the write went asynchronous) with its status. */
export interface WriteReq extends Req {
  handle: RawTcp;
  /** Keeps the written bytes alive while the write is queued. */
  buffer: Buffer | undefined;
  async: boolean;
  oncomplete: (this: WriteReq, status: number) => void;
}

/** `ShutdownWrap`: completes once queued writes are out and the FIN is sent. */
export interface ShutdownReq extends Req {
  handle: RawTcp;
  oncomplete: (this: ShutdownReq, status: number) => void;
}

/** A libuv TCP handle as `tcp_wrap` exposes it; methods return 0 or a negative libuv error. */
export interface RawTcp {
  /** Called for every read: the bytes, their count and offset are in {@link readState}. */
  onread: ((this: RawTcp, arrayBuffer: ArrayBuffer | undefined) => void) | undefined;
  /** Set on listening handles: called with each accepted connection. */
  onconnection: ((this: RawTcp, status: number, client: RawTcp | undefined) => void) | undefined;
  readStart(): number;
  readStop(): number;
  /** Reads go into `buf` (offset 0) instead of a fresh allocation each time. */
  useUserBuffer(buf: Uint8Array): void;
  writeBuffer(req: WriteReq, buf: Buffer): number;
  shutdown(req: ShutdownReq): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  setNoDelay(on: boolean): number;
  getpeername(out: { address?: string }): number;
  close(cb?: () => void): void;
  /** Closes with an RST (SO_LINGER 0). */
  reset(cb?: () => void): number;
}

interface TcpWrapBinding {
  TCP: new (type: number) => RawTcp;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number; SERVER: number };
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

const binding = (process as unknown as { binding(name: string): unknown }).binding.bind(process);
const tcpWrap = binding('tcp_wrap') as TcpWrapBinding;
const streamWrap = binding('stream_wrap') as StreamWrapBinding;

/** libuv's end-of-stream status, as read callbacks report it. */
export const UV_EOF = (binding('uv') as { UV_EOF: number }).UV_EOF;

/** Shared with C++: after a read, its byte count (or error) and offset; after a write, whether it queued. */
export const readState = streamWrap.streamBaseState;
export const { kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = streamWrap;

/** A new, unconnected TCP handle. */
export function newSocketHandle(): RawTcp {
  return new tcpWrap.TCP(tcpWrap.constants.SOCKET);
}

export const ConnectWrap = tcpWrap.TCPConnectWrap;
export const WriteWrap = streamWrap.WriteWrap;
export const ShutdownWrap = streamWrap.ShutdownWrap;

/** The handle of a listening `net.Server` (undefined before it listens or after it closes). */
export function serverHandle(server: object): RawTcp | undefined {
  return (server as { _handle?: RawTcp | null })._handle ?? undefined;
}
