import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { hostPortMappings, openHostPorts } from './host-ports.js';

const pod = (ports: object[], hostNetwork = false): Pod => ({ metadata: { name: 'p' }, spec: { hostNetwork, containers: [{ name: 'c', image: 'x', ports: ports as never }] } });

test('hostPortMappings: only ports with a hostPort, TCP by default, hostIP when set, none for hostNetwork', () => {
  const p = pod([{ containerPort: 80 }, { containerPort: 8080, hostPort: 9100 }, { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.9.9' }, { containerPort: 1, hostPort: 2, protocol: 'SCTP' }]);
  assert.deepEqual(hostPortMappings(p, '127.0.1.1', '127.128.1.5'), [
    { protocol: 'TCP', hostIP: '127.0.1.1', hostPort: 9100, podIP: '127.128.1.5', containerPort: 8080 },
    { protocol: 'UDP', hostIP: '127.0.9.9', hostPort: 5353, podIP: '127.128.1.5', containerPort: 53 },
  ]);
  assert.deepEqual(hostPortMappings(pod([{ containerPort: 80, hostPort: 80 }], true), '127.0.1.1', '127.0.1.1'), []);
});

test('a TCP hostPort forwards node IP:hostPort to the pod, and a taken port is reported, not thrown', async () => {
  const podIP = '127.79.3.4';
  const backend = http.createServer((_q, r) => r.end('from the pod'));
  await new Promise<void>((r) => backend.listen(0, podIP, r));
  const containerPort = (backend.address() as { port: number }).port;
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.79.3.1', r));
  const hostPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const ports = await openHostPorts([{ protocol: 'TCP', hostIP: '127.79.3.1', hostPort, podIP, containerPort }]);
  const again = await openHostPorts([{ protocol: 'TCP', hostIP: '127.79.3.1', hostPort, podIP, containerPort }]);
  try {
    assert.deepEqual(ports.failed, []);
    assert.match(again.failed[0]?.reason ?? '', /already in use on the node/);
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.79.3.1', port: hostPort, agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    assert.equal(body, 'from the pod');
  } finally {
    ports.close();
    again.close();
    backend.close();
  }
});
