import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyState } from './dataplane.js';
import type { EndpointInfo } from './endpoint.js';
import { planFrontends, type FrontendPlan } from './frontends.js';
import type { NodeInfo } from './node-info.js';
import type { ServicePortInfo } from './service-port.js';
import { testEndpoint, testServicePort } from './testing.js';

const sp = testServicePort;
const ep = (ip: string, node: string, ready = true): EndpointInfo => testEndpoint(ip, 8080, { nodeName: node, ready });

const NODES: NodeInfo[] = [
  { name: 'node-1', internalIPs: ['127.0.1.1'], podCIDRs: ['127.128.1.0/24'] },
  { name: 'node-2', internalIPs: ['127.0.1.2'], podCIDRs: ['127.128.2.0/24'] },
];

function state(ports: ServicePortInfo[], eps: Record<string, EndpointInfo[]>, o: Partial<ProxyState> = {}): ProxyState {
  return {
    servicePorts: new Map(ports.map((p) => [p.key, p])),
    endpoints: new Map(Object.entries(eps)),
    nodes: NODES,
    hostAddresses: ['127.0.0.1'],
    defaultScheduler: 'rr',
    ...o,
  };
}

/** `key → endpoint ips` (with `!` for frontends not listened on). */
function summary(fs: FrontendPlan[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs) out[f.key] = (f.listen ? '' : '!') + f.endpoints.map((e) => e.ip).join(',');
  return out;
}

const A = ep('127.128.1.5', 'node-1');
const B = ep('127.128.2.5', 'node-2');

describe('planFrontends', () => {
  test('a ClusterIP Service listens on its ClusterIP with every ready endpoint', () => {
    assert.deepEqual(summary(planFrontends(state([sp('web')], { 'ns/web:/TCP': [A, B, ep('127.128.2.6', 'node-2', false)] })).frontends), { 'TCP/127.96.0.1:80': '127.128.1.5,127.128.2.5' });
  });

  test('a Service without usable endpoints is planned but not listened on', () => {
    assert.deepEqual(summary(planFrontends(state([sp('web')], {})).frontends), { 'TCP/127.96.0.1:80': '!' });
  });

  test('NodePort: every node IP and the host address, Cluster policy', () => {
    const plan = planFrontends(state([sp('web', { nodePort: 30080 })], { 'ns/web:/TCP': [A, B] }));
    assert.deepEqual(summary(plan.frontends), {
      'TCP/127.96.0.1:80': '127.128.1.5,127.128.2.5',
      'TCP/127.0.1.1:30080': '127.128.1.5,127.128.2.5',
      'TCP/127.0.1.2:30080': '127.128.1.5,127.128.2.5',
      'TCP/127.0.0.1:30080': '127.128.1.5,127.128.2.5',
    });
    assert.equal(plan.frontends.find((f) => f.ip === '127.0.1.2')?.node, 'node-2');
  });

  test('externalTrafficPolicy Local: each node IP its own endpoints; the host all served nodes; the ClusterIP stays Cluster', () => {
    const plan = planFrontends(state([sp('web', { nodePort: 30080, externalTrafficPolicy: 'Local', externalIPs: ['127.113.0.1'], loadBalancerIPs: ['127.112.0.1'] })], { 'ns/web:/TCP': [A, B] }));
    assert.deepEqual(summary(plan.frontends), {
      'TCP/127.96.0.1:80': '127.128.1.5,127.128.2.5',
      'TCP/127.113.0.1:80': '127.128.1.5,127.128.2.5',
      'TCP/127.112.0.1:80': '127.128.1.5,127.128.2.5',
      'TCP/127.0.1.1:30080': '127.128.1.5',
      'TCP/127.0.1.2:30080': '127.128.2.5',
      'TCP/127.0.0.1:30080': '127.128.1.5,127.128.2.5',
    });
  });

  test('externalTrafficPolicy Local: a node without endpoints refuses; a configured nodeName narrows the host', () => {
    const plan = planFrontends(state([sp('web', { nodePort: 30080, externalTrafficPolicy: 'Local' })], { 'ns/web:/TCP': [B] }, { nodeName: 'node-1' }));
    const s = summary(plan.frontends);
    assert.equal(s['TCP/127.0.1.1:30080'], '!');
    assert.equal(s['TCP/127.0.1.2:30080'], '127.128.2.5');
    assert.equal(s['TCP/127.0.0.1:30080'], '!');
  });

  test('endpoints of nodes the proxy does not serve are not Local to any frontend', () => {
    const plan = planFrontends(state([sp('web', { externalTrafficPolicy: 'Local', externalIPs: ['127.113.0.1'] })], { 'ns/web:/TCP': [A, ep('127.128.9.9', 'elsewhere')] }));
    assert.equal(summary(plan.frontends)['TCP/127.113.0.1:80'], '127.128.1.5');
  });

  test('internalTrafficPolicy Local: endpoints per client node, host clients use every served node', () => {
    const plan = planFrontends(state([sp('web', { internalTrafficPolicy: 'Local' })], { 'ns/web:/TCP': [A, B] }));
    const f = plan.frontends[0]!;
    assert.equal(f.listen, true);
    assert.deepEqual([...f.endpointsByNode!].map(([n, l]) => `${n}=${l.map((e) => e.ip).join()}`), ['node-1=127.128.1.5', 'node-2=127.128.2.5']);
    assert.deepEqual(f.endpoints.map((e) => e.ip), ['127.128.1.5', '127.128.2.5']);
  });

  test('internalTrafficPolicy Local listens while any node has a local endpoint', () => {
    const plan = planFrontends(state([sp('web', { internalTrafficPolicy: 'Local' })], { 'ns/web:/TCP': [A] }, { nodeName: 'node-2' }));
    const f = plan.frontends[0]!;
    assert.deepEqual(f.endpoints, [], 'host traffic counts as node-2, which has none');
    assert.equal(f.listen, true);
  });

  test('LoadBalancer source ranges travel with LoadBalancer frontends only', () => {
    const plan = planFrontends(state([sp('web', { loadBalancerIPs: ['127.112.0.1'], loadBalancerSourceRanges: ['127.0.0.0/24'], nodePort: 30080 })], { 'ns/web:/TCP': [A] }));
    for (const f of plan.frontends) assert.deepEqual(f.sourceRanges, f.kind === 'loadBalancer' ? ['127.0.0.0/24'] : [], f.key);
  });

  test('an address claimed twice goes to the first service port by key, and the conflict is reported', () => {
    const plan = planFrontends(state([sp('b', { externalIPs: ['127.113.0.1'] }), sp('a', { clusterIPs: ['127.96.0.2'], externalIPs: ['127.113.0.1'] })], { 'ns/a:/TCP': [A], 'ns/b:/TCP': [B] }));
    assert.equal(summary(plan.frontends)['TCP/127.113.0.1:80'], '127.128.1.5');
    assert.deepEqual(plan.conflicts, [{ key: 'TCP/127.113.0.1:80', servicePort: 'ns/b:/TCP', heldBy: 'ns/a:/TCP' }]);
  });

  test('TCP and UDP on one address and port are distinct frontends', () => {
    const plan = planFrontends(state([sp('dns'), { ...sp('dns'), key: 'ns/dns:/UDP', protocol: 'UDP' }], { 'ns/dns:/TCP': [A], 'ns/dns:/UDP': [A] }));
    assert.deepEqual(plan.frontends.map((f) => f.key).sort(), ['TCP/127.96.0.1:80', 'UDP/127.96.0.1:80']);
  });
});
