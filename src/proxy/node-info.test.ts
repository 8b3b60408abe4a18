import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { nodeInfoFromNode, NodeResolver, sameNodeInfo } from './node-info.js';

const node = (name: string, ip: string, cidr?: string): Node => ({
  metadata: { name },
  spec: cidr ? { podCIDR: cidr } : {},
  status: { addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] },
});

describe('nodes', () => {
  test('projects InternalIPs and pod CIDRs', () => {
    assert.deepEqual(nodeInfoFromNode(node('node-1', '127.0.1.1', '127.128.1.0/24')), { name: 'node-1', internalIPs: ['127.0.1.1'], podCIDRs: ['127.128.1.0/24'] });
    assert.deepEqual(nodeInfoFromNode({ metadata: { name: 'x' }, spec: { podCIDRs: ['127.128.9.0/24'], podCIDR: '127.128.9.0/24' } }).podCIDRs, ['127.128.9.0/24']);
    assert.equal(sameNodeInfo(nodeInfoFromNode(node('a', '1.1.1.1')), nodeInfoFromNode(node('a', '1.1.1.1'))), true);
    assert.equal(sameNodeInfo(nodeInfoFromNode(node('a', '1.1.1.1')), undefined), false);
  });

  const resolver = new NodeResolver([nodeInfoFromNode(node('node-1', '127.0.1.1', '127.128.1.0/24')), nodeInfoFromNode(node('node-2', '127.0.1.2', '127.128.2.0/24'))]);
  const cases: Array<[string, string | undefined]> = [
    ['127.0.1.2', 'node-2'],
    ['127.128.1.77', 'node-1'],
    ['127.128.2.1', 'node-2'],
    ['127.0.0.1', undefined],
    ['127.128.3.1', undefined],
    ['::1', undefined],
  ];
  for (const [ip, want] of cases) test(`a client at ${ip} is on ${want ?? 'no node'}`, () => assert.equal(resolver.nodeOf(ip), want));
});
