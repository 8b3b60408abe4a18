/**
 * netexec's `/dial`: asks this pod to contact another endpoint over HTTP or
 * UDP, `tries` times, and report what came back. The query is validated by a
 * pure function; the dialers do the I/O with Go's 5 s timeouts and error texts.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { isIP } from 'node:net';
import { atoi, GoError, goJSON } from './go-compat.js';
import { errnoText, joinHostPort } from './pod-env.js';

/** A validated `/dial` request. */
export interface DialRequest {
  host: string;
  port: string;
  /** HTTP path (without the leading slash) or UDP payload, e.g. `hostname`. */
  request: string;
  protocol: 'http' | 'udp';
  tries: number;
}

/** A `/dial` query Go's handler rejects with 400, and its message. */
export interface DialRejection {
  status: 400;
  message: string;
}

/**
 * Validates `/dial` query parameters in the order upstream does: `tries`, then
 * `request`, then `protocol` (http default; sctp is not available here).
 *
 * @example
 * parseDialQuery(new URLSearchParams('request=hostname&host=10.0.0.1&port=8080&protocol=http&tries=1'))
 * // → { host: '10.0.0.1', port: '8080', request: 'hostname', protocol: 'http', tries: 1 }
 */
export function parseDialQuery(q: URLSearchParams): DialRequest | DialRejection {
  const tryParam = q.get('tries') ?? '';
  let tries = 1;
  if (tryParam !== '') {
    try {
      tries = atoi(tryParam);
    } catch (err) {
      return { status: 400, message: `tries parameter is invalid. ${(err as Error).message}` };
    }
  }
  const request = q.get('request') ?? '';
  if (request === '') return { status: 400, message: 'request parameter not specified. <nil>' };
  const protocol = (q.get('protocol') ?? '').toLowerCase();
  if (protocol !== '' && protocol !== 'http' && protocol !== 'udp') return { status: 400, message: `unsupported protocol. ${q.get('protocol') ?? ''}` };
  return { host: q.get('host') ?? '', port: q.get('port') ?? '', request, protocol: protocol === 'udp' ? 'udp' : 'http', tries };
}

/** The address a dial goes to, resolved like `net.ResolveTCPAddr`/`ResolveUDPAddr`. */
export interface DialAddress {
  ip: string;
  port: number;
}

/**
 * Resolves host and port: an empty host means this pod's own address (Go dials
 * the local system), a name is looked up in DNS, the port must be 0–65535.
 * Throws {@link GoError} with the text upstream puts after "host and/or port param are invalid.".
 */
export async function resolveDialAddress(host: string, port: string, localIP: string): Promise<DialAddress> {
  let p = 0;
  if (port !== '') {
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new GoError(`address ${port}: invalid port`);
    p = Number(port);
  }
  if (host === '') return { ip: localIP, port: p };
  if (isIP(host)) return { ip: host, port: p };
  try {
    return { ip: (await lookup(host)).address, port: p };
  } catch {
    throw new GoError(`lookup ${host}: no such host`);
  }
}

const TIMEOUT_MS = 5000;

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/**
 * The source address for a dial from this pod: its own IP when both ends are
 * on loopback. Otherwise the kernel would pick 127.0.0.1 and the callee would
 * see the wrong client IP (a real pod always sends from its pod IP); for other
 * destinations the kernel's choice is the right one.
 *
 * @example
 * sourceAddressFor('127.96.0.5', '127.128.1.7') // → '127.128.1.7'
 * sourceAddressFor('10.0.0.1', '127.128.1.7') // → undefined
 */
export function sourceAddressFor(dest: string, podIP: string): string | undefined {
  return isLoopback(dest) && isLoopback(podIP) && isIP(dest) === isIP(podIP) ? podIP : undefined;
}

/**
 * One HTTP try: GET `http://ip:port/<request>` with a 5 s budget, following
 * up to 10 redirects like Go's client; resolves with the body of any status.
 */
export function dialHTTP(request: string, addr: DialAddress, localIP: string): Promise<string> {
  const first = `http://${joinHostPort(addr.ip, addr.port)}/${request}`;
  const deadline = Date.now() + TIMEOUT_MS;
  const get = (url: string, redirects: number): Promise<string> =>
    new Promise((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new GoError(`Get ${JSON.stringify(url)}: invalid URL`));
        return;
      }
      const localAddress = sourceAddressFor(target.hostname.replace(/^\[|\]$/g, ''), localIP);
      const req = httpRequest(target, { method: 'GET', timeout: Math.max(1, deadline - Date.now()), agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
        const loc = res.headers.location;
        if (loc && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0)) {
          res.resume();
          if (redirects >= 10) reject(new GoError(`Get ${JSON.stringify(loc)}: stopped after 10 redirects`));
          else get(new URL(loc, target).href, redirects + 1).then(resolve, reject);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', (err) => reject(new GoError(`Get ${JSON.stringify(url)}: ${errnoText(err)}`)));
      });
      req.on('timeout', () => {
        req.destroy();
        reject(new GoError(`Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const op = err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' ? `dial tcp ${joinHostPort(target.hostname.replace(/^\[|\]$/g, ''), target.port || 80)}: connect: ` : '';
        reject(new GoError(`Get ${JSON.stringify(url)}: ${op}${errnoText(err)}`));
      });
      req.end();
    });
  return get(first, 0);
}

/** One UDP try: send the request as one datagram and wait 5 s for one datagram back. */
export function dialUDP(request: string, addr: DialAddress, localIP: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIP(addr.ip) === 6 ? 'udp6' : 'udp4');
    let local = '';
    const remote = joinHostPort(addr.ip, addr.port);
    const done = (err?: Error, reply?: string): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new GoError(`reading from udp connection failed. err:'read udp ${local}->${remote}: i/o timeout'`)), TIMEOUT_MS);
    sock.on('message', (msg) => {
      if (msg.length === 0) done(new GoError(`reading from udp connection failed. err:'<nil>'`));
      else done(undefined, msg.subarray(0, 2048).toString('utf8'));
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const phase = local === '' ? `udp dial failed. err:dial udp ${remote}: ` : `reading from udp connection failed. err:'read udp ${local}->${remote}: read: `;
      done(new GoError(`${phase}${errnoText(err)}${local === '' ? '' : "'"}`));
    });
    const connect = (): void =>
      sock.connect(addr.port, addr.ip, () => {
        const a = sock.address();
        local = joinHostPort(a.address, a.port);
        sock.send(request, (err) => {
          if (err) done(new GoError(`udp connection write failed. err:write udp ${local}->${remote}: ${errnoText(err as NodeJS.ErrnoException)}`));
        });
      });
    const source = sourceAddressFor(addr.ip, localIP);
    if (source) sock.bind(0, source, connect);
    else connect();
  });
}

/**
 * Runs a validated dial and renders upstream's JSON: `responses` (present only
 * when the last try returned something) and `errors` (when any try failed).
 * A 400 carries the message for `http.Error` instead.
 */
export async function runDial(d: DialRequest, localIP: string): Promise<{ status: number; body: string }> {
  let addr: DialAddress;
  try {
    addr = await resolveDialAddress(d.host, d.port, localIP);
  } catch (err) {
    return { status: 400, body: `host and/or port param are invalid. ${(err as Error).message}` };
  }
  const dialer = d.protocol === 'udp' ? dialUDP : dialHTTP;
  const responses: string[] = [];
  const errors: string[] = [];
  let last = '';
  for (let i = 0; i < d.tries; i++) {
    try {
      last = await dialer(d.request, addr, localIP);
      responses.push(last);
    } catch (err) {
      last = '';
      errors.push((err as Error).message);
    }
  }
  const out: { errors?: string[]; responses?: string[] } = {};
  if (errors.length > 0) out.errors = errors;
  if (last.length > 0) out.responses = responses;
  return { status: 200, body: goJSON(out) };
}
