/**
 * `agnhost netexec`: the HTTP(S) + UDP test server Kubernetes' network e2e
 * tests talk to. Endpoints, status codes, bodies and log lines follow upstream
 * `test/images/agnhost/netexec`; servers bind the pod IP instead of all
 * addresses (see pod-env.ts). SCTP is not available.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, chmodSync, closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { join, resolve as resolvePath } from 'node:path';
import { parseDialQuery, runDial } from './dial.js';
import type { FlagSpecs, FlagValues } from './flags.js';
import { atoi, formatGoDuration, goJSON, goQuote, goTimeString, parseGoDuration } from './go-compat.js';
import { decodedPath, formValues, listenOrDie, muxCleanPath, readBody, remoteAddr, requestURL, writeBody, writeGoError, writeRedirect, type FormValue } from './go-http.js';
import { fatalf, logf } from './log.js';
import { bindAddress, errnoText, joinHostPort, listenErrorText, podHostname } from './pod-env.js';
import { answerUdpCommand, parseListenAddresses } from './udp-command.js';

/** netexec's flags, as upstream. */
export const flagSpecs: FlagSpecs = {
  'http-port': { kind: 'int', default: 8080, usage: 'HTTP Listen Port' },
  'udp-port': { kind: 'int', default: 8081, usage: 'UDP Listen Port' },
  'sctp-port': { kind: 'int', default: -1, usage: 'SCTP Listen Port' },
  'tls-cert-file': { kind: 'string', default: '', usage: 'File containing an x509 certificate for HTTPS. (CA cert, if any, concatenated after server cert)' },
  'tls-private-key-file': { kind: 'string', default: '', usage: 'File containing an x509 private key matching --tls-cert-file' },
  'http-override': { kind: 'string', default: '', usage: 'Override the HTTP handler to always respond as if it were a GET with this path & params' },
  'udp-listen-addresses': { kind: 'string', default: '', usage: 'A comma separated list of ip addresses the udp servers listen from' },
  'delay-shutdown': { kind: 'int', default: 0, usage: 'Number of seconds to delay shutdown when receiving SIGTERM.' },
};

/** State the handlers share. */
interface NetexecState {
  /** A UDP server is up (upstream's serverReady). */
  udpReady: boolean;
  /** SIGTERM was received: /readyz fails from now on. */
  terminating: boolean;
  server: Server;
  host: string;
}

/** One request as a handler sees it (with `--http-override` applied). */
interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  path: string;
  form: FormValue;
}

type Handler = (call: Call, state: NetexecState) => void | Promise<void>;

// Monotonic zero for the `m=+…` part of Go's time strings: Go counts from process start.
const epochAtStartNs = BigInt(Date.now()) * 1_000_000n;
const hrAtStart = process.hrtime.bigint();

function hostName(): string {
  const h = podHostname();
  logf(`hostname: ${h}`);
  return h;
}

const SIGNAL_TEXT: Record<string, string> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGHUP: 'hangup', SIGQUIT: 'quit', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGPIPE: 'broken pipe', SIGUSR1: 'user defined signal 1', SIGUSR2: 'user defined signal 2' };

/** `exec.Command("/bin/sh", "-c", cmd).CombinedOutput()` in this process's cwd and env. */
function runShell(cmd: string): Promise<{ output: string; error?: string }> {
  return new Promise((resolve) => {
    // The inner shell gets the command verbatim; `2>&1` interleaves both streams in one pipe, as CombinedOutput does.
    const child = spawn('/bin/sh', ['-c', 'exec /bin/sh -c "$1" 2>&1', 'sh', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ output: '', error: `fork/exec /bin/sh: ${errnoText(err)}` }));
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (signal) resolve({ output, error: `signal: ${SIGNAL_TEXT[signal] ?? signal}` });
      else if (code !== 0) resolve({ output, error: `exit status ${code}` });
      else resolve({ output });
    });
  });
}

/** Go's `%s` of a map[string]string: `map[k1:v1 k2:v2]` with sorted keys. */
function goMapString(m: Record<string, string>): string {
  return `map[${Object.keys(m)
    .sort()
    .map((k) => `${k}:${m[k]}`)
    .join(' ')}]`;
}

/** Where uploads go: upstream's `/uploads` when it is a writable directory (a mounted volume), else `./uploads`. */
function uploadDir(): string {
  try {
    if (statSync('/uploads').isDirectory()) {
      accessSync('/uploads', fsConstants.W_OK);
      return '/uploads';
    }
  } catch {
    // Not there or not writable: fall back to the container's working directory.
  }
  const dir = resolvePath('uploads');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function uploadError(res: ServerResponse, error: string, detail: unknown): void {
  writeBody(res, 200, goJSON({ error }));
  logf(`${error.replace(/\.$/, '')}: ${detail instanceof Error ? detail.message : String(detail)}`);
}

async function upload({ req, res, method }: Call): Promise<void> {
  logf('GET /upload');
  const type = req.headers['content-type'] ?? '';
  let file: Blob | undefined;
  try {
    if (req.method !== method || !type.startsWith('multipart/form-data')) throw new Error('request Content-Type isn\'t multipart/form-data');
    const data = await new Response(await readBody(req), { headers: { 'content-type': type } }).formData();
    const entry = data.get('file');
    if (entry === null || typeof entry === 'string') throw new Error('http: no such file');
    file = entry;
  } catch (err) {
    uploadError(res, 'Unable to upload file.', err);
    return;
  }
  let path: string;
  try {
    const dir = uploadDir();
    for (;;) {
      path = join(dir, `upload${Math.floor(Math.random() * 2 ** 32)}`);
      try {
        closeSync(openSync(path, 'wx', 0o600));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } catch (err) {
    uploadError(res, 'Unable to open file for write', err);
    return;
  }
  try {
    writeFileSync(path, Buffer.from(await file.arrayBuffer()));
  } catch (err) {
    uploadError(res, 'Unable to write file.', err);
    return;
  }
  try {
    chmodSync(path, 0o700);
  } catch (err) {
    uploadError(res, 'Unable to chmod file.', err);
    return;
  }
  logf(`Wrote upload to ${path}`);
  writeBody(res, 201, goJSON({ output: path }));
}

/** Go's `server.Shutdown(ctx)`: stop listening, close connections as they go idle, give up after `timeoutNs`. */
function shutdown(server: Server, timeoutNs: number): Promise<string> {
  return new Promise((resolve) => {
    const poll = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      clearInterval(poll);
      resolve('context deadline exceeded');
    }, Math.max(1, timeoutNs / 1e6));
    server.close(() => {
      clearInterval(poll);
      clearTimeout(deadline);
      resolve('<nil>');
    });
    server.closeIdleConnections();
  });
}

const sleepNs = (ns: number): Promise<void> => new Promise((r) => setTimeout(r, ns / 1e6));

const routes: Record<string, Handler> = {
  '/': ({ res }) => {
    logf('GET /');
    const sinceStart = process.hrtime.bigint() - hrAtStart;
    writeBody(res, 200, `NOW: ${goTimeString(epochAtStartNs + sinceStart, sinceStart)}`);
  },
  '/clientip': ({ req, res }) => {
    logf('GET /clientip');
    writeBody(res, 200, remoteAddr(req));
  },
  '/header': ({ req, res, form }) => {
    const key = form('key');
    if (key !== '') {
      logf(`GET /header?key=${key}`);
      // Go's r.Header has no Host (it moves to r.Host); Get returns the first value.
      const value = key.toLowerCase() === 'host' ? '' : (req.headersDistinct[key.toLowerCase()]?.[0] ?? '');
      writeBody(res, 200, value);
      return;
    }
    logf('GET /header');
    const headers: Record<string, string[]> = {};
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
      if (name === 'Host') continue;
      (headers[name] ??= []).push(req.rawHeaders[i + 1]!);
    }
    const sorted = Object.fromEntries(Object.keys(headers).sort().map((k) => [k, headers[k]]));
    writeBody(res, 200, goJSON(sorted));
  },
  '/dial': async ({ res, url }, state) => {
    const q = url.searchParams;
    logf(`GET /dial?host=${q.get('host') ?? ''}&protocol=${q.get('protocol') ?? ''}&port=${q.get('port') ?? ''}&request=${q.get('request') ?? ''}&tries=${q.get('tries') ?? ''}`);
    const parsed = parseDialQuery(q);
    if ('message' in parsed) {
      writeGoError(res, parsed.message, parsed.status);
      return;
    }
    const out = await runDial(parsed, state.host);
    if (out.status === 200) writeBody(res, 200, out.body);
    else writeGoError(res, out.body, out.status);
  },
  '/echo': ({ res, form }) => {
    const msg = form('msg');
    const codeString = form('code');
    logf(`GET /echo?msg=${msg}&code=${codeString}`);
    let code = 200;
    if (codeString !== '') {
      try {
        code = atoi(codeString);
      } catch {
        writeBody(res, 200, `argument 'code' must be an integer or empty, got ${goQuote(codeString)}\n`);
        return;
      }
    }
    writeBody(res, code, msg);
  },
  '/exit': async ({ res, form }, state) => {
    const waitString = form('wait');
    const timeoutString = form('timeout');
    const codeString = form('code');
    logf(`GET /exit?code=${codeString}&timeout=${timeoutString}&wait=${waitString}`);
    let timeout = 0;
    let wait = 0;
    let code = 0;
    try {
      if (timeoutString !== '') timeout = parseGoDuration(timeoutString);
    } catch {
      writeBody(res, 200, `argument 'timeout' must be a valid golang duration or empty, got ${goQuote(timeoutString)}\n`);
      return;
    }
    try {
      if (waitString !== '') wait = parseGoDuration(waitString);
    } catch {
      writeBody(res, 200, `argument 'wait' must be a valid golang duration or empty, got ${goQuote(waitString)}\n`);
      return;
    }
    try {
      if (codeString !== '') code = atoi(codeString);
    } catch {
      writeBody(res, 200, `argument 'code' must be an integer [0-127] or empty, got ${goQuote(codeString)}\n`);
      return;
    }
    logf(`Will begin shutdown in ${formatGoDuration(wait)}, allowing ${formatGoDuration(timeout)} for connections to close, then will exit with ${code}`);
    await sleepNs(wait);
    if (timeout <= 0) process.exit(code);
    writeBody(res, 200);
    const result = await shutdown(state.server, timeout);
    logf(`Graceful shutdown completed with: ${result}`);
    process.exit(code);
  },
  '/healthz': ({ res }, state) => {
    logf('GET /healthz');
    writeBody(res, state.udpReady ? 200 : 412);
  },
  '/readyz': ({ res }, state) => {
    logf('GET /readyz');
    if (state.terminating) writeBody(res, 503, 'shutting down');
    else if (state.udpReady) writeBody(res, 200, 'ok');
    else writeBody(res, 412);
  },
  '/hostname': ({ res }) => {
    logf('GET /hostname');
    writeBody(res, 200, hostName());
  },
  '/hostName': ({ res }) => {
    logf('GET /hostName');
    writeBody(res, 200, hostName());
  },
  '/redirect': ({ res, form, method, path }) => {
    const location = form('location');
    const codeString = form('code');
    logf(`${method} /redirect?msg=${location}&code=${codeString}`);
    let code = 302;
    if (codeString !== '') {
      try {
        code = atoi(codeString);
      } catch {
        writeBody(res, 200, `argument 'code' must be an integer or empty, got ${goQuote(codeString)}\n`);
        return;
      }
    }
    writeRedirect(res, method, path, location, code);
  },
  '/shell': async ({ res, form }) => {
    const cmd = form('shellCommand') || form('cmd');
    logf(`GET /shell?cmd=${cmd}`);
    const { output, error } = await runShell(cmd);
    const out: Record<string, string> = {};
    if (error !== undefined) out.error = error;
    if (output.length > 0) out.output = output;
    logf(`Output: ${goMapString(out)}`);
    writeBody(res, 200, goJSON(out));
  },
  '/upload': upload,
  '/shutdown': () => {
    logf('GET /shutdown');
    process.exit(0);
  },
};

async function handle(req: IncomingMessage, res: ServerResponse, state: NetexecState, override: string): Promise<void> {
  const url = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(override) ? new URL(override) : requestURL(override || req.url || '/');
  const method = override ? 'GET' : (req.method ?? 'GET');
  const path = decodedPath(url);
  if (path === undefined) {
    writeGoError(res, '400 Bad Request', 400);
    return;
  }
  const clean = muxCleanPath(path);
  if (clean !== path && method !== 'CONNECT') {
    writeRedirect(res, method, path, clean + url.search, 301);
    return;
  }
  const handler = routes[path] ?? routes['/']!;
  const form = await formValues(req, url, method);
  try {
    await handler({ req, res, method, url, path, form }, state);
  } catch {
    // Go's server recovers a handler panic (e.g. an invalid status code) by dropping the connection.
    res.destroy();
  }
}

/**
 * Starts netexec: the UDP server(s) first, then HTTP(S). SIGTERM marks the
 * server terminating (/readyz 503) and exits 0 after `--delay-shutdown` seconds.
 */
export function run(flags: FlagValues): void {
  const host = bindAddress();
  const httpPort = flags['http-port'] as number;
  const udpPort = flags['udp-port'] as number;
  const delay = flags['delay-shutdown'] as number;
  const certFile = flags['tls-cert-file'] as string;
  const override = flags['http-override'] as string;

  const server: Server = certFile
    ? createHttpsServer({ cert: readFileSync(certFile), key: readFileSync((flags['tls-private-key-file'] as string) || certFile) })
    : createHttpServer();
  const state: NetexecState = { udpReady: false, terminating: false, server, host };

  process.on('SIGTERM', () => {
    if (state.terminating) return;
    state.terminating = true;
    if (delay > 0) {
      logf(`Sleeping ${delay} seconds before terminating...`);
      setTimeout(() => process.exit(0), delay * 1000);
    } else {
      process.exit(0);
    }
  });

  if (udpPort !== -1) {
    let addresses: string[];
    try {
      addresses = parseListenAddresses(flags['udp-listen-addresses'] as string, host, isIP);
    } catch (err) {
      fatalf((err as Error).message);
    }
    for (const address of addresses) startUdpServer(address, udpPort, state);
  }
  if ((flags['sctp-port'] as number) !== -1) logf('SCTP is not available in this agnhost; --sctp-port is ignored');

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res, state, override);
  });
  logf(`Started HTTP server on port ${httpPort}`);
  listenOrDie(server, host, httpPort);
}

function startUdpServer(address: string, port: number, state: NetexecState): void {
  const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  sock.once('error', (err: NodeJS.ErrnoException) => {
    const text = `failed to create listener for UDP address ${joinHostPort(address, port)}:${listenErrorText('udp', address, port, err)}`;
    // Upstream exits here. Deviation: when another container of the same pod already serves
    // the UDP port (two netexec containers with the default --udp-port, as tutorials that
    // stand agnhost in for two different programs do), the HTTP server keeps running and
    // reports healthy — the pod's UDP port is served, just not by this container.
    if (err.code === 'EADDRINUSE') {
      logf(`Warning: ${text}; continuing without a UDP server`);
      state.udpReady = true;
      return;
    }
    fatalf(`Error occurred: ${text}`);
  });
  sock.on('listening', () => {
    logf(`Started UDP server on port ${address} ${port}`);
    state.udpReady = true;
  });
  sock.on('message', (msg, rinfo) => {
    const client = joinHostPort(rinfo.address, rinfo.port);
    const answer = answerUdpCommand(msg.subarray(0, 2048).toString('utf8'), hostName, client);
    if (answer.log) logf(answer.log);
    if (answer.reply !== undefined) sock.send(answer.reply, rinfo.port, rinfo.address);
  });
  sock.bind(port, address);
}
