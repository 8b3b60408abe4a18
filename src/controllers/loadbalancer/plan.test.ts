import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { LoadBalancerAllocator } from './allocator.js';
import { adoptableIP, planLoadBalancer } from './plan.js';
import { formatIPv4, parsePool } from './pool.js';

function svc(name: string, spec: Partial<NonNullable<Service['spec']>> = {}, ingressIP?: string, uid = `uid-${name}`): Service {
  return {
    metadata: { name, namespace: 'ns', uid },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...spec },
    status: { loadBalancer: ingressIP ? { ingress: [{ ip: ingressIP, ipMode: 'VIP' }] } : {} },
  };
}

describe('parsePool', () => {
  const cases: Array<[string, string, string]> = [
    ['127.112.0.0/16', '127.112.0.1', '127.112.255.254'],
    ['10.0.0.0/30', '10.0.0.1', '10.0.0.2'],
    ['10.0.0.7/32', '10.0.0.7', '10.0.0.7'],
    ['10.0.0.0/31', '10.0.0.0', '10.0.0.1'],
    ['10.0.0.10-10.0.0.20', '10.0.0.10', '10.0.0.20'],
    ['10.0.0.77/24', '10.0.0.1', '10.0.0.254'],
  ];
  for (const [spec, first, last] of cases) {
    test(spec, () => {
      const p = parsePool(spec);
      assert.deepEqual([formatIPv4(p.first), formatIPv4(p.last)], [first, last]);
    });
  }
  for (const bad of ['nope', '10.0.0.0/33', '300.0.0.0/8', '10.0.0.9-10.0.0.1', 'fd00::/64']) {
    test(`rejects ${bad}`, () => assert.throws(() => parsePool(bad), /invalid LoadBalancer IP/));
  }
});

describe('LoadBalancerAllocator', () => {
  test('hands out free addresses round-robin and refuses what is taken', () => {
    const a = new LoadBalancerAllocator(parsePool('10.0.0.0/29'));
    a.assign({ key: 'ns/a', uid: '1' }, a.nextFree()!);
    a.assign({ key: 'ns/b', uid: '2' }, a.nextFree()!);
    assert.deepEqual([a.heldBy('ns/a')?.ip, a.heldBy('ns/b')?.ip], ['10.0.0.1', '10.0.0.2']);
    assert.throws(() => a.assign({ key: 'ns/c', uid: '3' }, '10.0.0.1'), /already allocated to Service ns\/a/);
    assert.throws(() => a.assign({ key: 'ns/c', uid: '3' }, '10.0.1.1'), /not in the LoadBalancer pool/);
    assert.equal(a.release('ns/a'), '10.0.0.1');
    assert.equal(a.nextFree(), '10.0.0.3', 'a released address is not reused at once');
    a.assign({ key: 'ns/b', uid: '2' }, '10.0.0.6');
    assert.equal(a.holderOf('10.0.0.2'), undefined, 'moving releases the old address');
  });

  test('an exhausted pool has no next address', () => {
    const a = new LoadBalancerAllocator(parsePool('10.0.0.5/32'));
    a.assign({ key: 'ns/a', uid: '1' }, '10.0.0.5');
    assert.equal(a.nextFree(), undefined);
  });
});

describe('planLoadBalancer', () => {
  const pool = '127.112.0.0/16';
  interface Case {
    name: string;
    held?: Array<[string, string, string?]>;
    svc: Service;
    cls?: string;
    want: { kind: string; ip?: string; status?: unknown; reasons: string[] };
  }
  const cases: Case[] = [
    {
      name: 'new LoadBalancer gets the next free IP',
      svc: svc('a'),
      want: { kind: 'ensure', ip: '127.112.0.1', status: { ingress: [{ ip: '127.112.0.1', ipMode: 'VIP' }] }, reasons: ['EnsuringLoadBalancer', 'EnsuredLoadBalancer'] },
    },
    { name: 'already assigned: nothing to do', held: [['ns/a', '127.112.0.1']], svc: svc('a', {}, '127.112.0.1'), want: { kind: 'ensure', ip: '127.112.0.1', reasons: [] } },
    {
      name: 'requested free IP in the pool',
      svc: svc('a', { loadBalancerIP: '127.112.3.4' }),
      want: { kind: 'ensure', ip: '127.112.3.4', status: { ingress: [{ ip: '127.112.3.4', ipMode: 'VIP' }] }, reasons: ['EnsuringLoadBalancer', 'EnsuredLoadBalancer'] },
    },
    { name: 'requested IP taken: warning, no ingress', held: [['ns/b', '127.112.3.4']], svc: svc('a', { loadBalancerIP: '127.112.3.4' }), want: { kind: 'ensure', reasons: ['SyncLoadBalancerFailed'] } },
    { name: 'requested IP out of pool: warning, ingress cleared', svc: svc('a', { loadBalancerIP: '192.0.2.1' }, '127.112.0.9'), want: { kind: 'ensure', status: {}, reasons: ['SyncLoadBalancerFailed'] } },
    {
      name: 'requested IP changed: move',
      held: [['ns/a', '127.112.0.1']],
      svc: svc('a', { loadBalancerIP: '127.112.0.50' }, '127.112.0.1'),
      want: { kind: 'ensure', ip: '127.112.0.50', status: { ingress: [{ ip: '127.112.0.50', ipMode: 'VIP' }] }, reasons: ['EnsuringLoadBalancer', 'EnsuredLoadBalancer'] },
    },
    {
      name: 'type changed away: release and clear',
      held: [['ns/a', '127.112.0.1']],
      svc: svc('a', { type: 'ClusterIP' }, '127.112.0.1'),
      want: { kind: 'cleanup', status: {}, reasons: ['DeletingLoadBalancer', 'DeletedLoadBalancer'] },
    },
    { name: 'plain ClusterIP Service: nothing', svc: svc('a', { type: 'ClusterIP' }), want: { kind: 'cleanup', reasons: [] } },
    { name: 'other loadBalancerClass: skipped', svc: svc('a', { loadBalancerClass: 'example.com/lb' }), want: { kind: 'skip', reasons: [] } },
    {
      name: 'own loadBalancerClass: handled',
      cls: 'skiff.io/lb',
      svc: svc('a', { loadBalancerClass: 'skiff.io/lb' }),
      want: { kind: 'ensure', ip: '127.112.0.1', status: { ingress: [{ ip: '127.112.0.1', ipMode: 'VIP' }] }, reasons: ['EnsuringLoadBalancer', 'EnsuredLoadBalancer'] },
    },
    {
      name: 'entry of an older Service with the same name is not reused',
      held: [['ns/a', '127.112.0.1', 'old-uid']],
      svc: svc('a'),
      want: { kind: 'ensure', ip: '127.112.0.2', status: { ingress: [{ ip: '127.112.0.2', ipMode: 'VIP' }] }, reasons: ['EnsuringLoadBalancer', 'EnsuredLoadBalancer'] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const a = new LoadBalancerAllocator(parsePool(pool));
      for (const [key, ip, uid] of c.held ?? []) a.assign({ key, uid: uid ?? `uid-${key.split('/')[1]}` }, ip);
      const p = planLoadBalancer(c.svc, a, c.cls);
      assert.deepEqual({ kind: p.kind, ip: p.ip, status: p.status, reasons: p.events.map((e) => e.reason) }, { ip: undefined, status: undefined, ...c.want });
    });
  }

  test('taken/out-of-pool warnings say why', () => {
    const a = new LoadBalancerAllocator(parsePool(pool));
    a.assign({ key: 'ns/b', uid: 'x' }, '127.112.3.4');
    assert.match(planLoadBalancer(svc('a', { loadBalancerIP: '127.112.3.4' }), a, undefined).events[0]!.message, /127\.112\.3\.4 is already in use by Service ns\/b/);
    assert.match(planLoadBalancer(svc('a', { loadBalancerIP: '192.0.2.1' }), a, undefined).events[0]!.message, /192\.0\.2\.1 is not in the LoadBalancer IP pool 127\.112\.0\.0\/16/);
  });

  test('adoptableIP: status IPs in the pool of handled Services', () => {
    const a = new LoadBalancerAllocator(parsePool(pool));
    assert.equal(adoptableIP(svc('a', {}, '127.112.0.7'), a, undefined), '127.112.0.7');
    assert.equal(adoptableIP(svc('a', {}, '192.0.2.1'), a, undefined), undefined);
    assert.equal(adoptableIP(svc('a', { type: 'ClusterIP' }, '127.112.0.7'), a, undefined), undefined);
    assert.equal(adoptableIP(svc('a', { loadBalancerIP: '127.112.0.8' }, '127.112.0.7'), a, undefined), undefined);
  });
});
