/**
 * Test builders for the proxy's projections, shared by its table tests and the
 * data path tests: a service port and an endpoint with every field at its
 * plain default, overridable field by field; a state of them; a free TCP port;
 * and bounded polling.
 */
import net from 'node:net';
import type { ProxyState } from './dataplane.js';
import type { EndpointInfo } from './endpoint.js';
import type { ServicePortInfo } from './service-port.js';

/** A TCP service port `ns/<name>:` on 127.96.0.1:80 with Cluster policies, overridable. */
export function testServicePort(name: string, o: Partial<ServicePortInfo> = {}): ServicePortInfo {
  const protocol = o.protocol ?? 'TCP';
  return {
    key: `ns/${name}:/${protocol}`,
    namespace: 'ns',
    name,
    portName: '',
    protocol,
    clusterIPs: ['127.96.0.1'],
    port: 80,
    nodePort: 0,
    externalIPs: [],
    loadBalancerIPs: [],
    loadBalancerSourceRanges: [],
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ...o,
  };
}

/** A ready endpoint `ip:port` with weight 1, overridable. */
export function testEndpoint(ip: string, port: number, o: Partial<EndpointInfo> = {}): EndpointInfo {
  return { key: `${ip}:${port}`, ip, port, ready: true, serving: o.ready ?? true, terminating: false, nodeName: '', weight: 1, ...o };
}

/** A TCP port free on the wildcard address, so no listener on any address holds it. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen({ host: '0.0.0.0', port: 0 }, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A ProxyState of these service ports and endpoints (by service port key), no nodes. */
export function testState(ports: readonly ServicePortInfo[], eps: Record<string, EndpointInfo[]>): ProxyState {
  return { servicePorts: new Map(ports.map((p) => [p.key, p])), endpoints: new Map(Object.entries(eps)), nodes: [], hostAddresses: [], defaultScheduler: 'rr' };
}

/** Polls `probe` every 20 ms until it returns something other than undefined or false; throws naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
