/**
 * What an agnhost process learns from its pod: the address it binds and the
 * hostname it reports. A container binds all interfaces of its own network
 * namespace; a skiff pod shares the host's loopback, so it binds its pod IP.
 */
import { hostname } from 'node:os';

/** The address servers bind: env `POD_IP`, else 127.0.0.1. */
export function bindAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_IP?.trim() || '127.0.0.1';
}

/** The hostname answered by `/hostname` and friends: env `HOSTNAME` (the pod name), else the host's name. */
export function podHostname(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOSTNAME?.trim() || hostname();
}

/** `host:port` the way Go prints a network address (`[::1]:80` for IPv6). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Go's text for a failed listen, e.g. `listen tcp 127.0.0.1:80: bind: permission denied`.
 */
export function listenErrorText(proto: 'tcp' | 'udp', host: string, port: number, err: NodeJS.ErrnoException): string {
  return `listen ${proto} ${joinHostPort(host, port)}: bind: ${errnoText(err)}`;
}

const ERRNO_TEXT: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  ENOENT: 'no such file or directory',
  EPIPE: 'broken pipe',
};

/** The strerror-style text Go prints for an errno (`connection refused`), else Node's message. */
export function errnoText(err: NodeJS.ErrnoException): string {
  return (err.code && ERRNO_TEXT[err.code]) || err.message;
}
