/**
 * One probe or lifecycle-hook action, run once (upstream
 * `pkg/kubelet/prober/prober.go` and `pkg/probe/{http,tcp,exec}`): `httpGet`
 * (host defaults to the pod IP; 200–399 is success; redirects to the same host
 * are followed, a redirect elsewhere is a success with a warning; the body is
 * read up to 10 KiB), `tcpSocket` (a connection is success) and `exec`
 * (exit code 0 is success; the output is the message). Messages mimic the
 * kubelet's Go wording so `kubectl describe` reads the same.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import { resolveProbePort } from './ports.js';

/** Result of one action: `warning` counts as success, `unknown` is discarded. */
export type ProbeResult = 'success' | 'warning' | 'failure' | 'unknown';

/** A result and the text the kubelet would put in the `Unhealthy` event. */
export interface ProbeOutcome {
  result: ProbeResult;
  output: string;
}

/** What an `exec` action reports. */
export interface ExecOutcome {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

/** Where actions run: the pod's address, the container's ports and a way to exec in it. */
export interface HandlerTarget {
  podIP: string;
  container: Pick<Container, 'name' | 'ports'>;
  /** Runs `command` in the container's context, killing it after `timeoutMs`. */
  exec(command: string[], timeoutMs: number): Promise<ExecOutcome>;
  /** `User-Agent` of HTTP probes. Default `kube-probe/1.32`. */
  userAgent?: string;
}

/** Any probe or hook handler shape. */
export interface ActionHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: { port: number; service?: string };
}

const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's dial error wording for a Node socket error. */
function dialError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `dial tcp ${hostPort(host, port)}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where}: connect: connection refused`;
    case 'EADDRNOTAVAIL':
      return `${where}: connect: cannot assign requested address`;
    case 'ENETUNREACH':
      return `${where}: connect: network is unreachable`;
    case 'EHOSTUNREACH':
      return `${where}: connect: no route to host`;
    default:
      return `${where}: ${err.message}`;
  }
}

/** The URL an httpGet action targets (upstream `formatURL`). */
export function probeURL(action: HTTPGetAction, target: Pick<HandlerTarget, 'podIP' | 'container'>): URL {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const host = action.host || target.podIP;
  const port = resolveProbePort(action.port, target.container);
  let path = action.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  return new URL(`${scheme}://${hostPort(host, port)}${path}`);
}

interface HttpAnswer {
  status: number;
  location?: string;
  body: string;
}

function httpGetOnce(url: URL, headers: Record<string, string>, deadline: number): Promise<HttpAnswer> {
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const ms = Math.max(1, deadline - Date.now());
    const r = req(url, { method: 'GET', headers, rejectUnauthorized: false, agent: false } as Parameters<typeof httpRequest>[1], (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        if (size < MAX_BODY) chunks.push(b.subarray(0, MAX_BODY - size));
        size += b.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => r.destroy(Object.assign(new Error('timeout'), { code: 'PROBE_TIMEOUT' })), ms);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end();
  });
}

/**
 * Runs an httpGet action.
 *
 * @example
 * await httpGetCheck({ path: '/healthz', port: 8080 }, target, 1000) // { result: 'success', output: 'ok' }
 */
export async function httpGetCheck(action: HTTPGetAction, target: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  let url: URL;
  try {
    url = probeURL(action, target);
  } catch (err) {
    return { result: 'unknown', output: (err as Error).message };
  }
  const headers: Record<string, string> = {};
  for (const h of action.httpHeaders ?? []) if (h.name) headers[h.name] = h.value;
  const lower = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
  if (!lower.has('user-agent')) headers['User-Agent'] = target.userAgent ?? 'kube-probe/1.32';
  if (!lower.has('accept')) headers['Accept'] = '*/*';
  const deadline = Date.now() + timeoutMs;
  const firstHost = url.hostname;
  for (let hops = 0; ; hops++) {
    let ans: HttpAnswer;
    try {
      ans = await httpGetOnce(url, headers, deadline);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'PROBE_TIMEOUT' ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : dialError(e, url.hostname, Number(url.port));
      return { result: 'failure', output: `Get "${url.href}": ${why}` };
    }
    if (ans.status >= 300 && ans.status < 400 && ans.location) {
      const next = new URL(ans.location, url);
      if (next.hostname !== firstHost) {
        return { result: 'warning', output: `Probe terminated redirects, Response body: ${ans.body}` };
      }
      if (hops + 1 >= MAX_REDIRECTS) return { result: 'failure', output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
      url = next;
      continue;
    }
    if (ans.status >= 200 && ans.status < 400) return { result: 'success', output: ans.body };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${ans.status}` };
  }
}

/** Runs a tcpSocket action: success when a connection opens within the timeout. */
export function tcpCheck(action: TCPSocketAction, target: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  let port: number;
  try {
    port = resolveProbePort(action.port, target.container);
  } catch (err) {
    return Promise.resolve({ result: 'unknown', output: (err as Error).message });
  }
  const host = action.host || target.podIP;
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ result: 'failure', output: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ result: 'success', output: '' });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(err, host, port) });
    });
  });
}

/** Runs an exec action in the container: exit code 0 is success, the output is the message. */
export async function execCheck(action: ExecAction, target: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const command = action.command ?? [];
  if (command.length === 0) return { result: 'unknown', output: 'exec probe has no command' };
  try {
    const r = await target.exec(command, timeoutMs);
    if (r.timedOut) return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    return { result: r.exitCode === 0 ? 'success' : 'failure', output: r.output };
  } catch (err) {
    return { result: 'failure', output: (err as Error).message };
  }
}

/**
 * Runs whichever action `handler` holds.
 *
 * @example
 * await runAction(container.readinessProbe!, target, 1000)
 */
export function runAction(handler: ActionHandler, target: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (handler.exec) return execCheck(handler.exec, target, timeoutMs);
  if (handler.httpGet) return httpGetCheck(handler.httpGet, target, timeoutMs);
  if (handler.tcpSocket) return tcpCheck(handler.tcpSocket, target, timeoutMs);
  if (handler.grpc) return Promise.resolve({ result: 'failure', output: 'grpc probes are not supported by skiff yet: use httpGet, tcpSocket or exec' });
  return Promise.resolve({ result: 'unknown', output: 'missing probe handler' });
}
