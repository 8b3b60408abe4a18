import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointInfo } from './endpoint.js';
import type { TrafficPolicy } from './service-port.js';
import { usableEndpoints } from './topology.js';

/** `name@node:flags` where flags are r (ready), s (serving), t (terminating). */
function ep(spec: string): EndpointInfo {
  const [id, flags = ''] = spec.split(':');
  const [name, node = ''] = id!.split('@');
  return { key: `${name}:80`, ip: name!, port: 80, ready: flags.includes('r'), serving: flags.includes('s') || flags.includes('r'), terminating: flags.includes('t'), nodeName: node, weight: 1 };
}

describe('usableEndpoints', () => {
  const cases: Array<{ name: string; eps: string[]; policy: TrafficPolicy; local?: string[]; want: string[] }> = [
    { name: 'Cluster uses ready endpoints', eps: ['a@n1:r', 'b@n2:', 'c@n2:st'], policy: 'Cluster', want: ['a'] },
    { name: 'Cluster falls back to serving terminating endpoints', eps: ['a@n1:', 'b@n2:st', 'c@n2:t'], policy: 'Cluster', want: ['b'] },
    { name: 'Cluster has nothing when nothing serves', eps: ['a@n1:', 'b@n2:t'], policy: 'Cluster', want: [] },
    { name: 'Local uses ready endpoints on the local node only', eps: ['a@n1:r', 'b@n2:r', 'c@n2:r'], policy: 'Local', local: ['n2'], want: ['b', 'c'] },
    { name: 'Local falls back to local terminating ones, not to remote ready ones', eps: ['a@n1:r', 'b@n2:st'], policy: 'Local', local: ['n2'], want: ['b'] },
    { name: 'Local is empty when the node has no endpoint', eps: ['a@n1:r'], policy: 'Local', local: ['n2'], want: [] },
    { name: 'Local over several nodes', eps: ['a@n1:r', 'b@n2:r', 'c@n3:r'], policy: 'Local', local: ['n1', 'n3'], want: ['a', 'c'] },
    { name: 'endpoints without nodeName are never local', eps: ['a:r'], policy: 'Local', local: ['n1'], want: [] },
    { name: 'the fallback is decided per policy: Cluster has a ready one elsewhere', eps: ['a@n1:r', 'b@n2:st'], policy: 'Cluster', want: ['a'] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(usableEndpoints(c.eps.map(ep), c.policy, new Set(c.local ?? [])).map((e) => e.ip), c.want));
  }
});
