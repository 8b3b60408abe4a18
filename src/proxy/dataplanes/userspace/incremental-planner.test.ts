import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import { planFrontends, type FrontendsPlan } from '../../frontends.js';
import type { ServicePortInfo } from '../../service-port.js';
import { testEndpoint, testServicePort } from '../../testing.js';
import { IncrementalPlanner } from './incremental-planner.js';

/** A comparable digest of a plan: frontends sorted by key, with owner, listen flag and endpoints. */
function digest(p: FrontendsPlan): string[] {
  const fs = p.frontends.map((f) => `${f.key} ${f.servicePort} ${f.listen} ${f.endpoints.map((e) => e.key).join(',')}`).sort();
  return [...fs, ...p.conflicts.map((c) => `conflict ${c.key} ${c.servicePort} ${c.heldBy}`).sort()];
}

type Step = [string, (s: { sps: Map<string, ServicePortInfo>; eps: Map<string, readonly EndpointInfo[]>; nodes: ProxyState['nodes'] }) => void];

const svc = (n: number, o: Partial<ServicePortInfo> = {}): ServicePortInfo => testServicePort(`s${n}`, { clusterIPs: [`127.96.1.${n}`], port: 8080, ...o });

describe('IncrementalPlanner', () => {
  test('every step plans exactly what planFrontends plans', () => {
    const sps = new Map<string, ServicePortInfo>();
    const eps = new Map<string, readonly EndpointInfo[]>();
    let nodes: ProxyState['nodes'] = [];
    const steps: Step[] = [
      ['100 services, no endpoints', (s) => {
        for (let i = 1; i <= 100; i++) s.sps.set(svc(i).key, svc(i));
      }],
      ['one gets an endpoint', (s) => s.eps.set(svc(5).key, [testEndpoint('127.128.0.1', 80)])],
      ['another gets two', (s) => s.eps.set(svc(7).key, [testEndpoint('127.128.0.1', 80), testEndpoint('127.128.0.2', 80)])],
      ['the first loses its endpoint', (s) => s.eps.delete(svc(5).key)],
      ['a service is removed', (s) => s.sps.delete(svc(9).key)],
      ['a NodePort service appears', (s) => s.sps.set(svc(200).key, svc(200, { nodePort: 30080 }))],
      ['a node joins', (s) => (s.nodes = [{ name: 'node-1', internalIPs: ['127.0.1.1'], podCIDRs: [] }])],
      ['a new service claims an existing address (conflict)', (s) => s.sps.set(svc(300).key, svc(300, { clusterIPs: ['127.96.1.7'] }))],
      ['its endpoints change while in conflict', (s) => s.eps.set(svc(300).key, [testEndpoint('127.128.0.3', 80)])],
      ['the conflict goes away', (s) => s.sps.delete(svc(300).key)],
      ['a changed service takes the address of a removed one', (s) => {
        s.sps.delete(svc(10).key);
        s.sps.set(svc(11).key, svc(11, { clusterIPs: ['127.96.1.10'] }));
      }],
      ['an address claimed by a service that stays, with a smaller key', (s) => s.sps.set(svc(1).key, svc(1, { clusterIPs: ['127.96.1.12'] }))],
      ['nothing changes', () => {}],
    ];
    const planner = new IncrementalPlanner();
    for (const [name, change] of steps) {
      const box = { sps, eps, nodes };
      change(box);
      nodes = box.nodes;
      const state: ProxyState = { servicePorts: new Map(sps), endpoints: new Map(eps), nodes, hostAddresses: ['127.0.0.1'], defaultScheduler: 'rr' };
      assert.deepEqual(digest(planner.plan(state)), digest(planFrontends(state)), name);
    }
  });
});
