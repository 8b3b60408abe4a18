import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyState } from './dataplane.js';
import { HealthCheckServers, healthCheckResponse, planHealthChecks, type HealthCheckTarget } from './health-check.js';
import { freePort, testEndpoint, testServicePort } from './testing.js';

function state(o: Partial<ProxyState> = {}): ProxyState {
  const web = testServicePort('web', { healthCheckNodePort: 32001, externalTrafficPolicy: 'Local', nodePort: 31000 });
  const webUdp = testServicePort('web', { key: 'ns/web:/UDP', protocol: 'UDP', healthCheckNodePort: 32001, externalTrafficPolicy: 'Local', nodePort: 31001 });
  const plain = testServicePort('plain', { nodePort: 31002 });
  return {
    servicePorts: new Map([[web.key, web], [webUdp.key, webUdp], [plain.key, plain]]),
    endpoints: new Map([
      [web.key, [testEndpoint('127.128.0.2', 80, { nodeName: 'node-1' }), testEndpoint('127.128.1.2', 80, { nodeName: 'node-2', ready: false }), testEndpoint('127.128.0.3', 80, { nodeName: 'node-1' })]],
      [webUdp.key, [testEndpoint('127.128.0.2', 53, { nodeName: 'node-1' })]],
      [plain.key, [testEndpoint('127.128.0.9', 80, { nodeName: 'node-1' })]],
    ]),
    nodes: [
      { name: 'node-1', internalIPs: ['127.0.1.1'], podCIDRs: [] },
      { name: 'node-2', internalIPs: ['127.0.1.2'], podCIDRs: [] },
    ],
    hostAddresses: ['127.0.0.1'],
    defaultScheduler: 'rr',
    ...o,
  };
}

test('planHealthChecks: one listener per node address and Service, counting ready local endpoints of every port', () => {
  const cases: Array<[string, ProxyState, Array<[string, number]>]> = [
    ['two nodes; not-ready endpoints and other Services do not count', state(), [['127.0.1.1', 3], ['127.0.1.2', 0]]],
    ['the host answers as nodeName when set', state({ nodeName: 'node-2' }), [['127.0.1.1', 3], ['127.0.1.2', 0], ['127.0.0.1', 0]]],
    ['no Service with a health check port: nothing', state({ servicePorts: new Map() }), []],
  ];
  for (const [name, s, want] of cases) {
    const got = planHealthChecks(s);
    assert.deepEqual(got.map((t) => [t.address, t.localEndpoints]), want, name);
    for (const t of got) assert.deepEqual([t.port, t.namespace, t.name], [32001, 'ns', 'web'], name);
  }
});

test('healthCheckResponse: 200 with local endpoints, 503 without, upstream headers and body', () => {
  const t: HealthCheckTarget = { address: '127.0.1.1', port: 32001, namespace: 'default', name: 'web', localEndpoints: 2 };
  assert.deepEqual(healthCheckResponse(t), {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff', 'X-Load-Balancing-Endpoint-Weight': '2' },
    body: '{"service":{"namespace":"default","name":"web"},"localEndpoints":2,"serviceProxyHealthy":true}',
  });
  assert.equal(healthCheckResponse({ ...t, localEndpoints: 0 }).status, 503);
});

test('HealthCheckServers answers on each address, updates answers in place and closes what is no longer wanted', async (t) => {
  const hc = new HealthCheckServers();
  t.after(() => hc.close());
  const port = await freePort();
  const target = (address: string, localEndpoints: number): HealthCheckTarget => ({ address, port, namespace: 'default', name: 'web', localEndpoints });
  const get = async (address: string): Promise<{ status: number; body: unknown }> => {
    const r = await fetch(`http://${address}:${port}/anything`);
    return { status: r.status, body: await r.json() };
  };
  await hc.sync([target('127.0.1.201', 1), target('127.0.1.202', 0)]);
  assert.deepEqual(await get('127.0.1.201'), { status: 200, body: { service: { namespace: 'default', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true } });
  assert.equal((await get('127.0.1.202')).status, 503);
  await hc.sync([target('127.0.1.201', 0)]);
  assert.equal((await get('127.0.1.201')).status, 503);
  assert.deepEqual(hc.addresses(), [`127.0.1.201:${port}`]);
  await assert.rejects(get('127.0.1.202'));
});
