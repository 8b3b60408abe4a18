import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterDnsAddress, kubeDnsEndpoints, kubeDnsService, privilegedPortAllowed } from './publish.js';

describe('publish', () => {
  test('the kube-dns Service is selector-less with CoreDNS ports and labels', () => {
    const svc = kubeDnsService({ address: { host: '127.0.2.53', port: 53 } });
    assert.equal(svc.metadata?.name, 'kube-dns');
    assert.equal(svc.metadata?.namespace, 'kube-system');
    assert.equal(svc.metadata?.labels?.['k8s-app'], 'kube-dns');
    assert.equal(svc.metadata?.labels?.['kubernetes.io/name'], 'CoreDNS');
    assert.equal(svc.spec?.clusterIP, '127.96.0.10');
    assert.equal(svc.spec?.selector, undefined);
    assert.deepEqual(svc.spec?.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`), ['dns:53/UDP', 'dns-tcp:53/TCP', 'metrics:9153/TCP']);
    assert.equal(kubeDnsService({ address: { host: 'x', port: 1 }, clusterIP: '127.96.0.99' }).spec?.clusterIP, '127.96.0.99');
  });

  test('the Endpoints point at the actual listen address and ports', () => {
    const ep = kubeDnsEndpoints({ address: { host: '127.0.2.53', port: 40123 }, metricsPort: 9153 });
    assert.deepEqual(ep.subsets?.[0]?.addresses, [{ ip: '127.0.2.53' }]);
    assert.deepEqual(ep.subsets?.[0]?.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`), ['dns:40123/UDP', 'dns-tcp:40123/TCP', 'metrics:9153/TCP']);
    assert.equal(kubeDnsEndpoints({ address: { host: '127.0.2.53', port: 53 } }).subsets?.[0]?.ports?.length, 2);
  });

  test('privilegedPortAllowed reads capabilities, uid and the unprivileged port start', () => {
    const cases: Array<[number, Parameters<typeof privilegedPortAllowed>[1], boolean]> = [
      [53, { uid: 0 }, true],
      [53, { uid: 1000 }, false],
      [53, { uid: 0, capEff: 0n }, false],
      [53, { uid: 1000, capEff: 1n << 10n }, true],
      [53, { uid: 1000, capEff: 0x3fffffffffn }, true],
      [53, { uid: 1000, unprivilegedPortStart: 0 }, true],
      [53, { uid: 1000, unprivilegedPortStart: 1024 }, false],
      [5353, { uid: 1000 }, true],
    ];
    for (const [port, facts, want] of cases) assert.equal(privilegedPortAllowed(port, facts), want, `${port} ${JSON.stringify(facts, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
  });

  test('clusterDnsAddress prefers ClusterIP:53 only when a proxy can serve it', () => {
    const direct = { host: '127.0.2.53', port: 40123 };
    const cases: Array<[Parameters<typeof clusterDnsAddress>[0], string]> = [
      [{ clusterIP: '127.96.0.10', direct, proxy: true, proxyCanBind53: true }, '127.96.0.10:53'],
      [{ clusterIP: '127.96.0.10', direct, proxy: true, proxyCanBind53: false }, '127.0.2.53:40123'],
      [{ clusterIP: '127.96.0.10', direct, proxy: false, proxyCanBind53: true }, '127.0.2.53:40123'],
      [{ clusterIP: 'fd00::a', direct: { host: 'fd00::53', port: 53 }, proxy: false }, '[fd00::53]:53'],
    ];
    for (const [i, want] of cases) assert.equal(clusterDnsAddress(i), want);
  });
});
