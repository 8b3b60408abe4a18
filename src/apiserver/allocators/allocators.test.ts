import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { applyDefaults } from '../../api/defaults/index.js';
import { invalid } from '../../api/errors.js';
import { renderFieldError } from '../../api/validation/index.js';
import { AllocationError, IPAllocator, PortAllocator, ServiceAllocations } from './index.js';

const first = () => 0;

test('the IP allocator never hands out the network address and keeps the first IP for kubernetes', () => {
  const a = new IPAllocator('10.0.0.0/29', { random: first });
  assert.equal(a.firstIP(), '10.0.0.1');
  assert.equal(a.size(), 6);
  const got = new Set<string>();
  for (let i = 0; i < 5; i++) got.add(a.allocateNext());
  assert.deepEqual([...got].sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  assert.throws(() => a.allocateNext(), (e: unknown) => e instanceof AllocationError && e.message === 'range is full');
  a.allocate('10.0.0.1');
  assert.equal(a.has('10.0.0.1'), true);
});

test('dynamic IPs come from above the offset of a large range', () => {
  const a = new IPAllocator('127.96.0.0/12', { random: first });
  assert.equal(a.allocateNext(), '127.96.1.1');
});

test('an out-of-range or taken IP fails with the upstream text', () => {
  const a = new IPAllocator();
  assert.throws(() => a.allocate('1.2.3.4'), { message: 'the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 127.96.0.0/12' });
  assert.throws(() => a.allocate('127.96.0.0'), { message: 'the provided IP (127.96.0.0) is not in the valid range. The range of valid IPs is 127.96.0.0/12' });
  a.allocate('127.96.0.10');
  assert.throws(() => a.allocate('127.96.0.10'), { message: 'provided IP is already allocated' });
  a.release('127.96.0.10');
  assert.doesNotThrow(() => a.allocate('127.96.0.10'));
});

test('the port allocator checks range and use with upstream text', () => {
  const p = new PortAllocator();
  assert.throws(() => p.allocate(40000), { message: 'provided port is not in the valid range. The range of valid ports is 30000-32767' });
  p.allocate(30080);
  assert.throws(() => p.allocate(30080), { message: 'provided port is already allocated' });
  const q = new PortAllocator('30000-32767', { random: first });
  assert.equal(q.allocateNext(), 30086);
});

function svc(name: string, spec: Service['spec']): Service {
  const s: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: structuredClone(spec) };
  applyDefaults('v1', 'Service', s);
  return s;
}

test('a ClusterIP service gets one IPv4 address, clusterIPs mirroring it, and SingleStack IPv4 (svc-01)', () => {
  const a = new ServiceAllocations();
  const s = svc('alloc-a', { selector: { app: 'a' }, ports: [{ port: 80 }] });
  const r = a.allocateCreate(s);
  assert.deepEqual(r.errors, []);
  assert.match(s.spec!.clusterIP!, /^127\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  assert.deepEqual(s.spec!.clusterIPs, [s.spec!.clusterIP]);
  assert.deepEqual([s.spec!.ipFamilies, s.spec!.ipFamilyPolicy], [['IPv4'], 'SingleStack']);
  assert.equal(s.spec!.ports![0]!.nodePort, undefined);
});

test('a headless service keeps ["None"] and allocates nothing (svc-08)', () => {
  const a = new ServiceAllocations();
  const s = svc('hl', { clusterIP: 'None', selector: { app: 'hl' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
  assert.deepEqual(a.allocateCreate(s).errors, []);
  assert.deepEqual([s.spec!.clusterIP, s.spec!.clusterIPs, s.spec!.ipFamilies, s.spec!.ipFamilyPolicy], ['None', ['None'], ['IPv4'], 'SingleStack']);
  assert.equal(a.ips.used(), 0);
});

test('a headless service without selector becomes RequireDualStack with both families, as upstream', () => {
  const a = new ServiceAllocations();
  const s = svc('hl', { clusterIP: 'None' });
  assert.deepEqual(a.allocateCreate(s).errors, []);
  assert.deepEqual([s.spec!.ipFamilies, s.spec!.ipFamilyPolicy], [['IPv4', 'IPv6'], 'RequireDualStack']);
});

test('TCP and UDP on port 53 share one nodePort and another service gets another (svc-03)', () => {
  const a = new ServiceAllocations();
  const one = svc('np-svc', { type: 'NodePort', selector: { app: 'np' }, ports: [{ port: 80, targetPort: 8080 }] });
  const dual = svc('np-dual', { type: 'NodePort', selector: { app: 'np' }, ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] });
  assert.deepEqual(a.allocateCreate(one).errors, []);
  assert.deepEqual(a.allocateCreate(dual).errors, []);
  const [n1, n2] = dual.spec!.ports!.map((p) => p.nodePort!);
  assert.equal(n1, n2);
  assert.ok(n1! >= 30000 && n1! <= 32767);
  assert.notEqual(n1, one.spec!.ports![0]!.nodePort);
});

const rejectCases: [string, number, string][] = [
  ['above', 40000, 'Service "np-high" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767'],
  ['below', 29999, 'Service "np-high" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767'],
];
for (const [where, port, message] of rejectCases) {
  test(`a nodePort ${where} the range is rejected and nothing stays allocated (svc-04)`, () => {
    const a = new ServiceAllocations();
    const s = svc('np-high', { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80, nodePort: port }] });
    const r = a.allocateCreate(s);
    assert.equal(invalid('Service', 'np-high', r.errors).message, message);
    assert.equal(a.ips.used(), 0);
    assert.equal(a.ports.used(), 0);
  });
}

test('a nodePort already in use is rejected with the upstream text', () => {
  const a = new ServiceAllocations();
  assert.deepEqual(a.allocateCreate(svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).errors, []);
  const r = a.allocateCreate(svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
  assert.deepEqual(r.errors.map(renderFieldError), ['spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated']);
  assert.equal(a.ips.used(), 1);
});

test('a requested ClusterIP outside the range names the range', () => {
  const a = new ServiceAllocations();
  const r = a.allocateCreate(svc('x', { clusterIP: '1.2.3.4', ports: [{ port: 80 }] }));
  assert.deepEqual(r.errors.map(renderFieldError), [
    'spec.clusterIPs: Invalid value: []string{"1.2.3.4"}: failed to allocate IP 1.2.3.4: the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 127.96.0.0/12',
  ]);
});

test('undo returns what a create reserved, and dry run reserves nothing', () => {
  const a = new ServiceAllocations();
  const r = a.allocateCreate(svc('x', { type: 'NodePort', ports: [{ port: 80 }] }));
  assert.equal(a.ports.used(), 1);
  r.undo();
  assert.deepEqual([a.ips.used(), a.ports.used()], [0, 0]);
  const dry = svc('y', { type: 'NodePort', ports: [{ port: 80 }] });
  a.allocateCreate(dry, { dryRun: true });
  assert.ok(dry.spec!.clusterIP);
  assert.deepEqual([a.ips.used(), a.ports.used()], [0, 0]);
});

test('a PUT that omits clusterIP and nodePorts keeps the allocated values', () => {
  const a = new ServiceAllocations();
  const old = svc('x', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
  a.allocateCreate(old);
  const put = svc('x', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
  assert.deepEqual(a.allocateUpdate(old, put).errors, []);
  assert.equal(put.spec!.clusterIP, old.spec!.clusterIP);
  assert.equal(put.spec!.ports![0]!.nodePort, old.spec!.ports![0]!.nodePort);
  assert.deepEqual([a.ips.used(), a.ports.used()], [1, 1]);
});

test('ClusterIP to NodePort allocates a nodePort and back to ClusterIP releases it', () => {
  const a = new ServiceAllocations();
  const v1 = svc('x', { ports: [{ port: 80 }] });
  a.allocateCreate(v1);
  const v2 = structuredClone(v1);
  v2.spec!.type = 'NodePort';
  applyDefaults('v1', 'Service', v2);
  assert.deepEqual(a.allocateUpdate(v1, v2).errors, []);
  assert.ok(v2.spec!.ports![0]!.nodePort);
  assert.equal(a.ports.used(), 1);
  const v3 = structuredClone(v2);
  v3.spec!.type = 'ClusterIP';
  assert.deepEqual(a.allocateUpdate(v2, v3).errors, []);
  assert.equal(v3.spec!.ports![0]!.nodePort, undefined);
  assert.equal(v3.spec!.externalTrafficPolicy, undefined);
  assert.equal(a.ports.used(), 0);
});

test('changing to ExternalName releases the ClusterIP and clears the IP fields', () => {
  const a = new ServiceAllocations();
  const v1 = svc('x', { ports: [{ port: 80 }] });
  a.allocateCreate(v1);
  const v2 = structuredClone(v1);
  v2.spec!.type = 'ExternalName';
  v2.spec!.externalName = 'example.com';
  assert.deepEqual(a.allocateUpdate(v1, v2).errors, []);
  assert.deepEqual([v2.spec!.clusterIP, v2.spec!.clusterIPs, v2.spec!.ipFamilies, v2.spec!.ipFamilyPolicy], [undefined, undefined, undefined, undefined]);
  assert.equal(a.ips.used(), 0);
});

test('release frees a deleted service and rebuild restores state from stored services', () => {
  const a = new ServiceAllocations();
  const s = svc('x', { type: 'NodePort', ports: [{ port: 80 }] });
  a.allocateCreate(s);
  a.release(s);
  assert.deepEqual([a.ips.used(), a.ports.used()], [0, 0]);
  const b = new ServiceAllocations();
  const problems = b.rebuild([s, { spec: { clusterIP: '9.9.9.9', clusterIPs: ['9.9.9.9'] }, metadata: { name: 'bad', namespace: 'ns' } }]);
  assert.equal(b.ips.has(s.spec!.clusterIP!), true);
  assert.equal(b.ports.has(s.spec!.ports![0]!.nodePort!), true);
  assert.equal(problems.length, 1);
});

test('a full range is a 500 with the upstream text', () => {
  const a = new ServiceAllocations({ serviceCIDR: '10.0.0.0/30' });
  a.allocateCreate(svc('a', { ports: [{ port: 80 }] }));
  assert.throws(() => a.allocateCreate(svc('b', { ports: [{ port: 80 }] })), { message: 'Internal error occurred: failed to allocate a serviceIP: range is full' });
  assert.equal(a.ips.used(), 1);
});
