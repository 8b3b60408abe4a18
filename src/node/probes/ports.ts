/**
 * Probe and lifecycle-hook ports: a number, or the name of one of the
 * container's `ports` (upstream `probe.ResolveContainerPort`).
 */
import type { Container } from 'kubernetes-types/core/v1.js';

/** Thrown when a port cannot be resolved; the probe result is then discarded, as upstream. */
export class ProbePortError extends Error {
  readonly code = 'InvalidProbePort';
  constructor(message: string) {
    super(message);
    this.name = 'ProbePortError';
  }
}

/**
 * The port number for `port` in `container`.
 *
 * @throws {ProbePortError} for a name the container does not declare or a number outside 1–65535.
 * @example
 * resolveProbePort('http', { name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }) // 8080
 * resolveProbePort('8080', container) // 8080 (a numeric string is a number)
 */
export function resolveProbePort(port: number | string | undefined, container: Pick<Container, 'ports'>): number {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string' && /^\d+$/.test(port)) n = Number(port);
  else if (typeof port === 'string') {
    n = container.ports?.find((p) => p.name === port)?.containerPort;
    if (n === undefined) throw new ProbePortError(`couldn't find port: ${port} in ${JSON.stringify((container.ports ?? []).map((p) => p.name ?? p.containerPort))}`);
  }
  if (n === undefined || !Number.isInteger(n) || n <= 0 || n >= 65536) throw new ProbePortError(`invalid port number: ${String(port)}`);
  return n;
}
