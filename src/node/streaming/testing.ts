/**
 * A small streaming runtime for tests of the kubelet server and of `kubectl
 * logs/exec/port-forward` end to end: containers "run" as soon as a pod
 * starts (no process), their CRI log files are written by the test
 * (`appendLog`), restarts are simulated (`restartContainer`), and `exec`
 * runs the command as a real child process on the host. A container whose
 * image is `simulated` has no log file, like a container the process
 * runtime only simulates; one whose image is `waiting` never runs. Also a bare WebSocket client for subprotocols the
 * `ws` client refuses to offer.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { join } from 'node:path';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import type { ExecIO, PodRunContext, Runtime, RuntimePodStatus, StreamingRuntime } from '../runtime.js';

interface FakeContainer {
  restartCount: number;
  lastTerminatedAt?: string;
  startedAt: string;
}

interface FakePod {
  pod: Pod;
  ctx: PodRunContext;
  startedAt: string;
  containers: Map<string, FakeContainer>;
}

function rfc3339Nano(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000000Z`;
}

/** Image name that makes a container simulated (no log file, no exec). */
export const SIMULATED_IMAGE = 'simulated';
/** Image name that keeps a container waiting in CrashLoopBackOff (never running, no log file). */
export const WAITING_IMAGE = 'waiting';

/**
 * @example
 * const rt = new FakeStreamingRuntime(tmpDir);
 * rt.appendLog(pod, 'app', 'stdout', 'hello\n');
 */
export class FakeStreamingRuntime implements Runtime, StreamingRuntime {
  readonly name = 'process';
  readonly version = 'skiff-fake://0.1';
  private readonly pods = new Map<string, FakePod>();
  private readonly listeners = new Set<(uid: string) => void>();

  constructor(private readonly root: string) {}

  async startPod(pod: Pod, ctx: PodRunContext): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (this.pods.has(uid)) return;
    const now = rfc3339Nano(Date.now()).replace(/\.\d+Z$/, 'Z');
    const containers = new Map<string, FakeContainer>();
    for (const c of pod.spec?.containers ?? []) {
      containers.set(c.name, { restartCount: 0, startedAt: now });
      if (c.image !== SIMULATED_IMAGE && c.image !== WAITING_IMAGE) this.touch(uid, c.name, 0);
    }
    this.pods.set(uid, { pod, ctx, startedAt: now, containers });
    setImmediate(() => this.emit(uid));
  }

  async stopPod(pod: Pod): Promise<void> {
    this.pods.delete(pod.metadata?.uid ?? '');
  }

  forgetPod(uid: string): void {
    this.pods.delete(uid);
  }

  onChange(listener: (uid: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  podStatus(pod: Pod): RuntimePodStatus | undefined {
    const p = this.pods.get(pod.metadata?.uid ?? '');
    if (!p) return undefined;
    const containerStatuses: ContainerStatus[] = (pod.spec?.containers ?? []).map((c) => {
      const f = p.containers.get(c.name) ?? { restartCount: 0, startedAt: p.startedAt };
      if (c.image === WAITING_IMAGE) {
        return { name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } }, lastState: {} };
      }
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: `${c.image ?? ''}@sha256:0`,
        containerID: `fake://${pod.metadata?.uid}/${c.name}/${f.restartCount}`,
        ready: true,
        started: true,
        restartCount: f.restartCount,
        state: { running: { startedAt: f.startedAt } },
        lastState: f.lastTerminatedAt
          ? { terminated: { exitCode: 1, reason: 'Error', startedAt: p.startedAt, finishedAt: f.lastTerminatedAt, containerID: `fake://${pod.metadata?.uid}/${c.name}/${f.restartCount - 1}` } }
          : {},
      };
    });
    return { startTime: p.startedAt, sandboxReady: true, containerStatuses };
  }

  containerLogPath(pod: Pod, container: string, previous: boolean): string | undefined {
    const p = this.pods.get(pod.metadata?.uid ?? '');
    const f = p?.containers.get(container);
    const spec = pod.spec?.containers?.find((c) => c.name === container);
    if (!p || !f || spec?.image === SIMULATED_IMAGE || spec?.image === WAITING_IMAGE) return undefined;
    const n = previous ? f.restartCount - 1 : f.restartCount;
    return n < 0 ? undefined : this.path(pod.metadata?.uid ?? '', container, n);
  }

  exec(_pod: Pod, _container: string, command: string[], io: ExecIO): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      child.on('error', reject);
      if (io.stdin) io.stdin.pipe(child.stdin);
      else child.stdin.end();
      child.stdin.on('error', () => {});
      if (io.stdout) child.stdout.pipe(io.stdout, { end: false });
      else child.stdout.resume();
      const err = io.tty ? io.stdout : io.stderr;
      if (err) child.stderr.pipe(err, { end: false });
      else child.stderr.resume();
      const kill = (): boolean => child.kill('SIGKILL');
      io.signal.addEventListener('abort', kill, { once: true });
      // 'close' comes after stdout and stderr ended, so all output went out before the code.
      child.on('close', (code, signal) => {
        io.signal.removeEventListener('abort', kill);
        resolve(code ?? (signal ? 137 : 1));
      });
    });
  }

  /** Appends one CRI record (`text` should end with a newline for an F record) to the container's current log. */
  appendLog(pod: Pod, container: string, stream: 'stdout' | 'stderr', text: string, atMs = Date.now()): void {
    const path = this.containerLogPath(pod, container, false);
    if (!path) throw new Error(`no log file for container ${container} of pod ${pod.metadata?.name}`);
    const partial = !text.endsWith('\n');
    appendFileSync(path, `${rfc3339Nano(atMs)} ${stream} ${partial ? 'P' : 'F'} ${partial ? `${text}\n` : text}`);
  }

  /** Simulates a crash and restart of `container`: a new log file, restartCount + 1, lastState terminated. */
  restartContainer(pod: Pod, container: string): void {
    const uid = pod.metadata?.uid ?? '';
    const f = this.pods.get(uid)?.containers.get(container);
    if (!f) throw new Error(`unknown container ${container} of pod ${pod.metadata?.name}`);
    f.lastTerminatedAt = rfc3339Nano(Date.now()).replace(/\.\d+Z$/, 'Z');
    f.restartCount++;
    f.startedAt = f.lastTerminatedAt;
    this.touch(uid, container, f.restartCount);
    this.emit(uid);
  }

  /** The pod IP the agent gave the pod. */
  podIP(pod: Pod): string | undefined {
    return this.pods.get(pod.metadata?.uid ?? '')?.ctx.podIP;
  }

  private path(uid: string, container: string, n: number): string {
    return join(this.root, uid, container, `${n}.log`);
  }

  private touch(uid: string, container: string, n: number): void {
    mkdirSync(join(this.root, uid, container), { recursive: true });
    writeFileSync(this.path(uid, container, n), '', { flag: 'a' });
  }

  private emit(uid: string): void {
    for (const l of this.listeners) l(uid);
  }
}

/** A WebSocket client connection as a byte stream (binary messages in and out). */
export interface RawWebSocket {
  /** The subprotocol the server chose. */
  protocol: string;
  /** Writes become masked binary messages; binary messages become readable bytes; a close ends it. */
  stream: Duplex;
}

/**
 * A bare WebSocket client that, unlike `ws`, offers subprotocols that are not
 * RFC tokens — `SPDY/3.1+portforward.k8s.io`, which kubectl sends. Rejects
 * with the status and body when the server refuses the upgrade.
 *
 * @example
 * const { stream } = await rawWebSocket('127.0.1.1', port, '/portForward/default/web', 'SPDY/3.1+portforward.k8s.io');
 * new SpdySession(stream, { server: false });
 */
export function rawWebSocket(host: string, port: number, path: string, protocol: string): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host,
      port,
      path,
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': protocol },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`upgrade refused: ${res.statusCode} ${body}`)));
    });
    req.on('error', reject);
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      let buf: Buffer = head;
      const stream = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
          socket.write(maskedFrame(0x2, chunk), cb);
        },
        final(cb) {
          socket.end(maskedFrame(0x8, Buffer.from([0x03, 0xe8])), () => cb());
        },
        destroy(err, cb) {
          socket.destroy();
          cb(err);
        },
      });
      const parse = (): void => {
        for (;;) {
          if (buf.length < 2) return;
          const opcode = buf[0]! & 0x0f;
          let len = buf[1]! & 0x7f;
          let off = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            off = 10;
          }
          if (buf.length < off + len) return;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (opcode === 0x2 || opcode === 0x0) stream.push(Buffer.from(payload));
          else if (opcode === 0x8) {
            stream.push(null);
            socket.end();
          }
        }
      };
      socket.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        parse();
      });
      socket.on('close', () => stream.push(null));
      socket.on('error', () => stream.destroy());
      parse();
      resolve({ protocol: String(res.headers['sec-websocket-protocol'] ?? ''), stream });
    });
    req.end();
  });
}

function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(len)]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}
