import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { kubeletLocation } from './kubelet-location.js';

function node(port: number | undefined, opts: { runtime?: string; addresses?: Array<{ type: string; address: string }> } = {}): Node {
  return {
    metadata: { name: 'node-1', ...(opts.runtime ? { annotations: { 'skiff.io/runtime': opts.runtime } } : {}) },
    status: {
      addresses: opts.addresses ?? [
        { type: 'Hostname', address: 'node-1' },
        { type: 'InternalIP', address: '127.0.1.1' },
      ],
      ...(port !== undefined ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}),
    },
  };
}

test('InternalIP and the published port', () => {
  assert.deepEqual(kubeletLocation(node(38211), { pod: 'web', subresource: 'log' }), { host: '127.0.1.1', port: 38211 });
});

test('ExternalIP, then Hostname, when there is no InternalIP', () => {
  assert.deepEqual(kubeletLocation(node(1, { addresses: [{ type: 'Hostname', address: 'h' }, { type: 'ExternalIP', address: '10.0.0.1' }] }), { pod: 'p', subresource: 'exec' }), { host: '10.0.0.1', port: 1 });
  assert.deepEqual(kubeletLocation(node(1, { addresses: [{ type: 'Hostname', address: 'h' }] }), { pod: 'p', subresource: 'exec' }), { host: 'h', port: 1 });
});

const refusals: Array<[string, Node, { pod: string; container?: string; subresource: 'log' | 'exec' | 'attach' | 'portforward' }, RegExp]> = [
  ['a simulated node, logs', node(0, { runtime: 'simulated' }), { pod: 'web', container: 'app', subresource: 'log' }, /^container "app" in pod "web" is simulated by skiff \(node "node-1" runs the simulated runtime\): it has no process, so it has no logs; schedule it onto a node of the process runtime/],
  ['a simulated node, exec', node(0, { runtime: 'simulated' }), { pod: 'web', container: 'app', subresource: 'exec' }, /so there is nothing to exec into/],
  ['a simulated node, port-forward', node(undefined, { runtime: 'simulated' }), { pod: 'web', subresource: 'portforward' }, /^pod "web" is simulated by skiff .*nothing listens on its ports/],
  ['another node without a port', node(0), { pod: 'web', subresource: 'log' }, /^node "node-1" publishes no kubelet endpoint \(status\.daemonEndpoints\.kubeletEndpoint\.Port is 0\)/],
  ['no address', node(5, { addresses: [] }), { pod: 'web', subresource: 'log' }, /^node "node-1" has no address/],
];
for (const [name, n, what, want] of refusals) {
  test(name, () => {
    const got = kubeletLocation(n, what);
    assert.ok('error' in got);
    assert.match(got.error, want);
  });
}
