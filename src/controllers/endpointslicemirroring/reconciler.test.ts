import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { addressTypeOf, planMirroredSlices } from './reconciler.js';
import { shouldMirror } from './controller.js';

function eps(subsets: Endpoints['subsets'], extra: Partial<NonNullable<Endpoints['metadata']>> = {}): Endpoints {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ext', namespace: 'ns', uid: 'ep-uid', labels: { team: 'a' }, ...extra }, subsets };
}

const http = { name: 'http', port: 80, protocol: 'TCP' };

/** Names created slices and applies the plan to the existing set. */
function apply(plan: ReturnType<typeof planMirroredSlices>, existing: EndpointSlice[]): EndpointSlice[] {
  const by = new Map(existing.map((s) => [s.metadata!.name!, s]));
  for (const s of plan.delete) by.delete(s.metadata!.name!);
  for (const s of plan.update) by.set(s.metadata!.name!, s);
  plan.create.forEach((s, i) => by.set(`m${i}`, { ...s, metadata: { ...s.metadata, name: `m${i}`, uid: `m${i}` } }));
  return [...by.values()];
}

describe('planMirroredSlices', () => {
  test('one subset → one slice with labels, owner, ports and ready/not-ready endpoints', () => {
    const ep = eps([{ addresses: [{ ip: '10.0.0.1', nodeName: 'n1' }], notReadyAddresses: [{ ip: '10.0.0.2', hostname: 'h' }], ports: [http] }], {
      annotations: { keep: 'yes', 'endpoints.kubernetes.io/last-change-trigger-time': 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    });
    const plan = planMirroredSlices(ep, []);
    assert.equal(plan.create.length, 1);
    const s = plan.create[0]!;
    assert.deepEqual(s.metadata?.labels, { team: 'a', 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
    assert.deepEqual(s.metadata?.annotations, { keep: 'yes' });
    assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: 'ep-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.metadata?.generateName, 'ext-');
    assert.deepEqual(s.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
    assert.deepEqual(s.endpoints, [
      { addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'n1' },
      { addresses: ['10.0.0.2'], conditions: { ready: false }, hostname: 'h' },
    ]);
    // Stable once mirrored.
    const again = planMirroredSlices(ep, apply(plan, []));
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  });

  test('subsets with different ports and families make separate slices', () => {
    const ep = eps([
      { addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], ports: [http] },
      { addresses: [{ ip: '10.0.0.2' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    ]);
    const plan = planMirroredSlices(ep, []);
    const got = plan.create.map((s) => `${s.addressType} ${s.ports?.[0]?.port} ${s.endpoints.map((e) => e.addresses[0]).join(',')}`).sort();
    assert.deepEqual(got, ['IPv4 53 10.0.0.2', 'IPv4 80 10.0.0.1', 'IPv6 80 fd00::1']);
  });

  test('changes update the existing slice in place; emptied Endpoints delete it', () => {
    const s1 = apply(planMirroredSlices(eps([{ addresses: [{ ip: '10.0.0.1' }], ports: [http] }]), []), []);
    const plan = planMirroredSlices(eps([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.3' }], ports: [http] }]), s1);
    assert.deepEqual([plan.create.length, plan.update.length, plan.delete.length], [0, 1, 0]);
    assert.equal(plan.update[0]!.metadata?.name, 'm0');
    const gone = planMirroredSlices(eps([]), s1);
    assert.deepEqual([gone.create.length, gone.update.length, gone.delete.length], [0, 0, 1]);
  });

  test('a port change recycles the old slice; label changes update it', () => {
    const s1 = apply(planMirroredSlices(eps([{ addresses: [{ ip: '10.0.0.1' }], ports: [http] }]), []), []);
    const ported = planMirroredSlices(eps([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]), s1);
    assert.deepEqual([ported.create.length, ported.update.length, ported.delete.length], [0, 1, 0]);
    assert.equal(ported.update[0]!.ports?.[0]?.port, 8080);
    const relabelled = planMirroredSlices(eps([{ addresses: [{ ip: '10.0.0.1' }], ports: [http] }], { labels: { team: 'b' } }), s1);
    assert.equal(relabelled.update[0]?.metadata?.labels?.team, 'b');
  });

  test('invalid IPs and addresses over the per-subset limit are skipped and counted', () => {
    const ep = eps([{ addresses: [{ ip: 'not-an-ip' }, { ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }], ports: [http] }]);
    const plan = planMirroredSlices(ep, [], 2);
    assert.equal(plan.create[0]!.endpoints.length, 2);
    assert.deepEqual([plan.invalidAddresses, plan.skippedAddresses], [1, 2]);
  });
});

describe('shouldMirror and addressTypeOf', () => {
  const cases: Array<[string, Endpoints | undefined, boolean]> = [
    ['plain', eps([]), true],
    ['skip-mirror true', eps([], { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }), false],
    ['skip-mirror false', eps([], { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'false' } }), true],
    ['leader election record', eps([], { annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } }), false],
    ['missing', undefined, false],
  ];
  for (const [name, e, want] of cases) test(name, () => assert.equal(shouldMirror(e), want));
  test('address types', () => {
    assert.deepEqual(['10.1.2.3', '::1', 'fd00::a:1', '999.1.1.1', 'x'].map(addressTypeOf), ['IPv4', 'IPv6', 'IPv6', undefined, undefined]);
  });
});
