import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from 'kubernetes-types/core/v1.js';
import { DEFAULT_MEMORY_REQUEST, podHostPorts, podRequests } from './resources.js';

const c = (name: string, requests?: Record<string, string>, extra: Partial<Container> = {}): Container => ({ name, ...(requests ? { resources: { requests } } : {}), ...extra });

test('requests of app containers add up; init containers count as the max', () => {
  const cases: Array<{ name: string; spec: Parameters<typeof podRequests>[0]; cpu: number; mem: number }> = [
    { name: 'no requests', spec: { containers: [c('a')] }, cpu: 0, mem: 0 },
    { name: 'two containers', spec: { containers: [c('a', { cpu: '100m', memory: '1Gi' }), c('b', { cpu: '0.5' })] }, cpu: 600, mem: 2 ** 30 },
    {
      name: 'upstream example: init 2/1G and 2/3G, app 2/1G + 1/1G → 3 cpu, 3G',
      spec: { initContainers: [c('i1', { cpu: '2', memory: '1G' }), c('i2', { cpu: '2', memory: '3G' })], containers: [c('a', { cpu: '2', memory: '1G' }), c('b', { cpu: '1', memory: '1G' })] },
      cpu: 3000,
      mem: 3e9,
    },
    {
      name: 'a sidecar adds to the app containers and to later init containers',
      spec: { initContainers: [c('side', { cpu: '1' }, { restartPolicy: 'Always' }), c('i', { cpu: '2' })], containers: [c('a', { cpu: '1' })] },
      cpu: 3000,
      mem: 0,
    },
    { name: 'overhead is added', spec: { containers: [c('a', { cpu: '1' })], overhead: { cpu: '250m' } }, cpu: 1250, mem: 0 },
  ];
  for (const t of cases) {
    const r = podRequests(t.spec);
    assert.equal(r.milliCPU, t.cpu, t.name);
    assert.equal(r.memory, t.mem, t.name);
  }
});

test('non-zero requests default to 100m and 200Mi per container for scoring', () => {
  const r = podRequests({ containers: [c('a'), c('b', { cpu: '1' })] });
  assert.equal(r.nonZeroMilliCPU, 1100);
  assert.equal(r.nonZeroMemory, 2 * DEFAULT_MEMORY_REQUEST);
});

test('extended resources and ephemeral-storage are counted, unknown standard names ignored', () => {
  const r = podRequests({ containers: [c('a', { 'nvidia.com/gpu': '2', 'ephemeral-storage': '1Gi', 'hugepages-2Mi': '4Mi', 'kubernetes.io/foo': '1' })] });
  assert.equal(r.scalar.get('nvidia.com/gpu'), 2);
  assert.equal(r.scalar.get('hugepages-2Mi'), 4 * 2 ** 20);
  assert.equal(r.scalar.has('kubernetes.io/foo'), false);
  assert.equal(r.ephemeralStorage, 2 ** 30);
});

test('host ports default to TCP on 0.0.0.0 and skip container-only ports', () => {
  const ports = podHostPorts({ spec: { containers: [c('a', undefined, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' }, { containerPort: 9 }] })] } });
  assert.deepEqual(ports, [
    { protocol: 'TCP', hostIP: '0.0.0.0', port: 8080 },
    { protocol: 'UDP', hostIP: '127.0.0.1', port: 53 },
  ]);
});
