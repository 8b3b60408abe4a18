/**
 * Fixed proxy states for the kernel renderers' golden tests (iptables,
 * nftables, ipvsadm render the same fixtures into `testdata/<name>.<ext>`), and
 * the golden-file assertion: `UPDATE_GOLDEN=1` rewrites the expected files.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import type { ServicePortInfo } from '../../service-port.js';
import { testEndpoint, testServicePort } from '../../testing.js';

const NODES = [
  { name: 'node-1', internalIPs: ['127.0.1.1'], podCIDRs: ['10.180.0.0/24'] },
  { name: 'node-2', internalIPs: ['127.0.1.2'], podCIDRs: ['10.180.1.0/24'] },
];

function port(ns: string, name: string, portName: string, o: Partial<ServicePortInfo>): ServicePortInfo {
  const protocol = o.protocol ?? 'TCP';
  return { ...testServicePort(name, o), namespace: ns, portName, key: `${ns}/${name}:${portName}/${protocol}` };
}

function state(ports: Array<[ServicePortInfo, EndpointInfo[]]>, o: Partial<ProxyState> = {}): ProxyState {
  return {
    servicePorts: new Map(ports.map(([p]) => [p.key, p])),
    endpoints: new Map(ports.filter(([, e]) => e.length > 0).map(([p, e]) => [p.key, e])),
    nodes: [],
    hostAddresses: [],
    defaultScheduler: 'rr',
    ...o,
  };
}

/** The golden fixtures by name. */
export const GOLDEN_STATES: Readonly<Record<string, ProxyState>> = {
  // Upstream's ns1/svc1:p80 → KUBE-SVC-XPGD46QRK7WJZT7O / KUBE-SEP-SXIVWICOYRO3J4NJ, plus a two-endpoint UDP port.
  clusterip: state([
    [port('ns1', 'svc1', 'p80', { clusterIPs: ['172.30.0.41'], port: 80 }), [testEndpoint('10.180.0.1', 80)]],
    [port('ns2', 'svc2', 'dns', { clusterIPs: ['172.30.0.42'], port: 53, protocol: 'UDP' }), [testEndpoint('10.180.0.2', 5353), testEndpoint('10.180.1.2', 5353)]],
  ]),
  'nodeport-loadbalancer': state(
    [
      [
        port('ns3', 'web', 'http', { clusterIPs: ['172.30.0.43'], port: 80, nodePort: 30080, externalIPs: ['192.168.99.11'], loadBalancerIPs: ['127.112.0.1'] }),
        [testEndpoint('10.180.0.3', 8080, { nodeName: 'node-1' }), testEndpoint('10.180.1.3', 8080, { nodeName: 'node-2' }), testEndpoint('10.180.1.4', 8080, { nodeName: 'node-2' })],
      ],
      [port('ns3', 'fw', '', { clusterIPs: ['172.30.0.44'], port: 443, nodePort: 30443, loadBalancerIPs: ['127.112.0.2'], loadBalancerSourceRanges: ['203.0.113.0/25', '127.0.0.0/8'] }), [testEndpoint('10.180.0.5', 8443, { nodeName: 'node-1' })]],
    ],
    { nodes: NODES, hostAddresses: ['127.0.0.1'] },
  ),
  'traffic-policy-local': state(
    [
      [
        port('ns4', 'etp', 'http', { clusterIPs: ['172.30.0.45'], port: 80, nodePort: 30081, externalTrafficPolicy: 'Local' }),
        [testEndpoint('10.180.0.6', 80, { nodeName: 'node-1' }), testEndpoint('10.180.1.6', 80, { nodeName: 'node-2' })],
      ],
      [
        port('ns4', 'itp', 'http', { clusterIPs: ['172.30.0.46'], port: 80, internalTrafficPolicy: 'Local' }),
        [testEndpoint('10.180.0.7', 80, { nodeName: 'node-1' }), testEndpoint('10.180.1.7', 80, { nodeName: 'node-2' })],
      ],
      // Local with endpoints only on node-2: drop, not reject.
      [port('ns4', 'remote', 'http', { clusterIPs: ['172.30.0.47'], port: 80, nodePort: 30082, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' }), [testEndpoint('10.180.1.8', 80, { nodeName: 'node-2' })]],
    ],
    { nodes: NODES, hostAddresses: ['127.0.0.1'], nodeName: 'node-1' },
  ),
  'affinity-scheduler': state(
    [
      [
        port('ns5', 'sticky', 'http', { clusterIPs: ['172.30.0.48'], port: 80, affinityTimeoutSeconds: 10800, scheduler: 'lc' }),
        [testEndpoint('10.180.0.9', 80, { weight: 3 }), testEndpoint('10.180.1.9', 80)],
      ],
      [port('ns5', 'random', '', { clusterIPs: ['172.30.0.49'], port: 80, scheduler: 'random' }), [testEndpoint('10.180.0.10', 80)]],
      [port('ns5', 'wrr', '', { clusterIPs: ['172.30.0.50'], port: 80 }), [testEndpoint('10.180.0.11', 80, { weight: 2 }), testEndpoint('10.180.0.12', 80)]],
    ],
    { defaultScheduler: 'wrr' },
  ),
  'no-endpoints-terminating': state(
    [
      [port('ns6', 'empty', 'http', { clusterIPs: ['172.30.0.51'], port: 80, nodePort: 30083, externalIPs: ['192.168.99.12'] }), []],
      // Only not-ready endpoints: nothing usable, so reject.
      [port('ns6', 'unready', 'http', { clusterIPs: ['172.30.0.52'], port: 80 }), [testEndpoint('10.180.0.13', 80, { ready: false, serving: false })]],
      // No ready endpoint, one serving while terminating: the fallback serves.
      [
        port('ns6', 'draining', 'http', { clusterIPs: ['172.30.0.53'], port: 80 }),
        [testEndpoint('10.180.0.14', 80, { ready: false, serving: true, terminating: true }), testEndpoint('10.180.0.15', 80, { ready: false, serving: false, terminating: true })],
      ],
    ],
    { nodes: NODES.slice(0, 1), hostAddresses: ['127.0.0.1'] },
  ),
};

/** Compares `actual` with `testdata/<file>` beside this module; `UPDATE_GOLDEN=1` writes it instead. */
export function assertGolden(file: URL, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`golden file ${file.pathname} is missing: run with UPDATE_GOLDEN=1 and review it`);
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `rendered text differs from ${file.pathname} (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}
