import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { FrontendPlan } from '../../frontends.js';
import { ProxyMetrics } from '../../metrics.js';
import { NodeResolver } from '../../node-info.js';
import type { SchedulerName } from '../../schedulers/scheduler.js';
import type { ServicePortInfo } from '../../service-port.js';
import { testEndpoint, testServicePort } from '../../testing.js';
import { ServicePortBalancer } from './balancer.js';
import { Route } from './route.js';

const eps = [testEndpoint('127.128.0.1', 80), testEndpoint('127.128.0.2', 80)];

function route(o: { scheduler?: SchedulerName; info?: Partial<ServicePortInfo>; plan?: Partial<FrontendPlan> }): Route {
  const info = testServicePort('web', o.info);
  const b = new ServicePortBalancer(new ProxyMetrics(new Registry()));
  b.update(info, eps, o.scheduler ?? 'rr', 0);
  const plan: FrontendPlan = { key: 'TCP/127.96.0.1:80', protocol: 'TCP', ip: '127.96.0.1', port: 80, servicePort: info.key, kind: 'clusterIP', endpoints: eps, sourceRanges: [], listen: true, ...o.plan };
  return new Route(plan, b, new NodeResolver([]));
}

describe('Route: what a connection needs to know', () => {
  const cases: Array<[string, Parameters<typeof route>[0], { needsClient: boolean; shareable: boolean }]> = [
    ['plain round robin', {}, { needsClient: false, shareable: true }],
    ['least connection: blind to the client, but its counts live in one process', { scheduler: 'lc' }, { needsClient: false, shareable: false }],
    ['weighted round robin', { scheduler: 'wrr' }, { needsClient: false, shareable: false }],
    ['source hashing reads the client', { scheduler: 'sh' }, { needsClient: true, shareable: false }],
    ['ClientIP affinity', { info: { affinityTimeoutSeconds: 10 } }, { needsClient: true, shareable: false }],
    ['loadBalancerSourceRanges', { plan: { kind: 'loadBalancer', sourceRanges: ['10.0.0.0/8'] } }, { needsClient: true, shareable: false }],
    ['internalTrafficPolicy Local (per client node)', { plan: { endpointsByNode: new Map([['node-1', eps]]) } }, { needsClient: true, shareable: false }],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      const r = route(input);
      assert.deepEqual({ needsClient: r.needsClient, shareable: r.shareable }, want);
    });
  }
});
