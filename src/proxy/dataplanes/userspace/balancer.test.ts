import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { EndpointInfo } from '../../endpoint.js';
import { ProxyMetrics } from '../../metrics.js';
import type { ServicePortInfo } from '../../service-port.js';
import { testEndpoint, testServicePort } from '../../testing.js';
import { ServicePortBalancer } from './balancer.js';

const info = (o: Partial<ServicePortInfo> = {}): ServicePortInfo => testServicePort('web', o);
const ep = (n: number, weight = 1): EndpointInfo => testEndpoint(`127.128.0.${n}`, 80, { weight });
const names = (bs: Array<{ ip: string } | undefined>): string => bs.map((b) => (b ? b.ip.split('.')[3] : '-')).join(' ');

function balancer(o: Partial<ServicePortInfo> = {}, eps = [ep(1), ep(2), ep(3)]): ServicePortBalancer {
  const b = new ServicePortBalancer(new ProxyMetrics(new Registry()));
  b.update(info(o), eps, 'rr', 0);
  return b;
}

describe('ServicePortBalancer', () => {
  test('without affinity every client follows the scheduler', () => {
    const b = balancer();
    const list = b.backendsFor([ep(1), ep(2), ep(3)]);
    assert.equal(names([1, 2, 3, 4].map((i) => b.choose(list, '127.0.0.1', '127.96.0.1', i))), '1 2 3 1');
  });

  test('ClientIP affinity: same client → same backend; new clients continue the rotation', () => {
    const b = balancer({ affinityTimeoutSeconds: 10 });
    const list = b.backendsFor([ep(1), ep(2), ep(3)]);
    const seq = [
      b.choose(list, 'c1', 'vip', 0),
      b.choose(list, 'c1', 'vip', 1000),
      b.choose(list, 'c2', 'vip', 2000),
      b.choose(list, 'c1', 'vip', 3000),
      b.choose(list, 'c2', 'vip', 4000),
    ];
    assert.equal(names(seq), '1 1 2 1 2');
  });

  test('ClientIP affinity expires after timeoutSeconds without connections', () => {
    const b = balancer({ affinityTimeoutSeconds: 10 });
    const list = b.backendsFor([ep(1), ep(2), ep(3)]);
    assert.equal(names([b.choose(list, 'c1', 'vip', 0), b.choose(list, 'c1', 'vip', 9_999), b.choose(list, 'c1', 'vip', 19_999)]), '1 1 2');
  });

  test('affinity yields when its backend is no longer usable', () => {
    const b = balancer({ affinityTimeoutSeconds: 100 });
    assert.equal(names([b.choose(b.backendsFor([ep(1), ep(2)]), 'c1', 'vip', 0)]), '1');
    b.update(info({ affinityTimeoutSeconds: 100 }), [ep(2), ep(3)], 'rr', 1);
    const list = b.backendsFor([ep(2), ep(3)]);
    const again = b.choose(list, 'c1', 'vip', 2);
    assert.notEqual(again?.ip, '127.128.0.1');
    assert.equal(b.choose(list, 'c1', 'vip', 3), again, 'the new choice sticks');
  });

  test('a retry skips backends that failed and resets affinity', () => {
    const b = balancer({ affinityTimeoutSeconds: 100 });
    const list = b.backendsFor([ep(1), ep(2), ep(3)]);
    const first = b.choose(list, 'c1', 'vip', 0)!;
    b.forgetClient('c1');
    const retry = b.choose(list, 'c1', 'vip', 1, [first]);
    assert.notEqual(retry, first);
    assert.equal(b.choose(list, 'c1', 'vip', 2), retry, 'affinity now points at the retried backend');
    assert.equal(b.choose(list, 'c1', 'vip', 3, [first, retry!, b.choose(list, 'c2', 'vip', 3)!])?.ip, undefined);
  });

  test('backends keep their counts across updates; unlisted busy backends stay until idle', () => {
    const b = balancer();
    const one = b.backends.get('127.128.0.1:80')!;
    one.opened();
    b.update(info(), [ep(2)], 'rr', 1);
    assert.equal(b.backends.get('127.128.0.1:80'), one, 'kept while it has a connection');
    assert.equal(one.listed, false);
    assert.equal(b.backends.has('127.128.0.3:80'), false, 'idle unlisted backends are dropped');
    one.closed();
    b.update(info(), [ep(2)], 'rr', 2);
    assert.equal(b.backends.has('127.128.0.1:80'), false);
  });

  test('the scheduler follows the annotation and weights follow the endpoints', () => {
    const b = balancer({ scheduler: 'wrr' }, [ep(1, 2), ep(2, 1)]);
    assert.equal(b.scheduler?.name, 'wrr');
    const list = b.backendsFor([ep(1, 2), ep(2, 1)]);
    assert.equal(names([0, 1, 2, 3, 4, 5].map((i) => b.choose(list, 'c', 'vip', i))), '1 1 2 1 1 2');
    b.update(info(), [ep(1), ep(2)], 'lc', 1);
    assert.equal(b.scheduler?.name, 'lc');
  });
  test('an update with the same objects is skipped, yet a lingering backend still goes once idle', () => {
    const b = new ServicePortBalancer(new ProxyMetrics(new Registry()));
    const i = info();
    b.update(i, [ep(1), ep(2)], 'rr', 0);
    const one = b.backends.get('127.128.0.1:80')!;
    one.opened();
    const rest = [ep(2)];
    b.update(i, rest, 'rr', 1);
    assert.equal(one.listed, false, 'unlisted but kept while busy');
    one.closed();
    b.update(i, rest, 'rr', 2);
    assert.equal(b.backends.has('127.128.0.1:80'), false, 'dropped by an otherwise unchanged update');
    const two = b.backends.get('127.128.0.2:80');
    b.update(i, rest, 'rr', 3);
    assert.equal(b.backends.get('127.128.0.2:80'), two);
  });
});
