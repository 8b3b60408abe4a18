/**
 * Cluster DNS end to end: an in-process cluster (memory store, `core`
 * controllers), the DNS server fed by its informers and published as
 * `kube-system/kube-dns`, Services and hand-made EndpointSlices created through
 * the API, and the real `dig` asking the questions the acceptance scenarios
 * dns-01 (ClusterIP A records) and dns-03 (SRV records) ask. A fake upstream on
 * 127.0.0.x stands in for the host's resolvers. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoints, Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Registry } from 'prom-client';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { findResource } from '../../src/api/resources.js';
import type { ResourceClient } from '../../src/client/client.js';
import { SharedInformerFactory } from '../../src/client/informer.js';
import { ClusterDns, DEFAULT_DNS_HOST, clusterDnsAddress } from '../../src/dns/index.js';
import { FakeUpstream } from '../../src/dns/testing.js';
import { eventually } from '../helpers/eventually.js';

const Z = 'cluster.local';
const NS = 'dns-e2e';

/** dig, installing dnsutils once when missing; undefined (with the reason) when unavailable. */
function findDig(): { path?: string; reason?: string } {
  const which = (): string | undefined => {
    const r = spawnSync('sh', ['-c', 'command -v dig'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  let path = which();
  if (!path) {
    const r = spawnSync('sh', ['-c', 'apt-get install -y -q dnsutils >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dnsutils >/dev/null 2>&1)'], { timeout: 120_000 });
    path = which();
    if (!path) return { reason: `dig is not installed and installing dnsutils failed (exit ${r.status ?? r.signal})` };
  }
  return { path };
}

const dig = findDig();
if (!dig.path) console.log(`# skipping the DNS e2e tests: ${dig.reason}`);

describe('cluster DNS end to end', { skip: dig.path ? false : dig.reason }, () => {
  let cluster: Cluster;
  let dataDir: string;
  let dns: ClusterDns;
  let upstream: FakeUpstream;
  let host = '';
  let port = 0;
  const ac = new AbortController();
  const running: Array<Promise<void>> = [];
  let services: ResourceClient<Service>;
  let slices: ResourceClient<EndpointSlice>;
  const registry = new Registry();

  /** `dig +short` lines, sorted. */
  const digShort = (name: string, type = 'A', extra: string[] = []): Promise<string[]> =>
    new Promise((resolve, reject) => {
      execFile(dig.path!, [`@${host}`, '-p', String(port), '+short', '+time=2', '+tries=2', ...extra, name, type], { timeout: 15_000 }, (err, stdout) => {
        if (err) reject(new Error(`dig ${name} ${type} failed: ${err.message}`));
        else resolve(stdout.split('\n').filter((l) => l && !l.startsWith(';')).sort());
      });
    });
  /** The status dig reports (NOERROR, NXDOMAIN, …). */
  const digStatus = (name: string, type = 'A'): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(dig.path!, [`@${host}`, '-p', String(port), '+time=2', '+tries=2', name, type], { timeout: 15_000 }, (err, stdout) => {
        if (err) reject(new Error(`dig ${name} ${type} failed: ${err.message}`));
        else resolve(/status: ([A-Z]+)/.exec(stdout)?.[1] ?? `no status in: ${stdout}`);
      });
    });
  const waitDig = (name: string, type: string, want: string[], what: string): Promise<unknown> =>
    eventually(`${what}: dig ${type} ${name} = [${want.join(' ')}]`, async () => JSON.stringify(await digShort(name, type)) === JSON.stringify([...want].sort()), 15_000);

  const svcSpec = (name: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec });
  const handMadeSlice = (name: string, service: string, ips: string[], ports: EndpointSlice['ports']): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'e2e.skiff.io' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip, i) => ({ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: NS, name: `${service}-pod-${i}` } })),
    ports,
  });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-dns-e2e-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    services = cluster.client.resource<Service>(findResource('', 'v1', 'services')!);
    slices = cluster.client.resource<EndpointSlice>(findResource('discovery.k8s.io', 'v1', 'endpointslices')!);
    await cluster.client.resource<Namespace>(findResource('', 'v1', 'namespaces')!).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    upstream = await new FakeUpstream('127.0.0.2').start();
    upstream.answer = (name, type) =>
      name.toLowerCase() === 'www.example.test' && type === 'A' ? { answers: [{ type: 'A', name, ttl: 300, data: '192.0.2.80' }] } : { rcode: 'NXDOMAIN' };
    const informers = new SharedInformerFactory(cluster.client);
    dns = new ClusterDns({
      informers,
      host: DEFAULT_DNS_HOST,
      port: 0,
      upstreams: [`127.0.0.2:${upstream.port}`],
      registry,
      publish: { client: cluster.client },
    });
    running.push(informers.start(ac.signal), dns.start(ac.signal));
    ({ host, port } = await dns.ready);
    await informers.synced();
  });

  after(async () => {
    ac.abort();
    await Promise.all(running);
    await upstream?.stop();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('dns-01: a ClusterIP Service gets an A record that follows its life', async () => {
    const svc = await services.create(NS, svcSpec('dns-svc', { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }));
    const ip = svc.spec!.clusterIP!;
    await waitDig(`dns-svc.${NS}.svc.${Z}`, 'A', [ip], 'A record of the service');
    assert.deepEqual(await digShort(`DNS-SVC.${NS.toUpperCase()}.SVC.${Z.toUpperCase()}`), [ip], 'case-insensitive lookup');
    const kubernetes = await services.get('default', 'kubernetes');
    assert.deepEqual(await digShort(`kubernetes.default.svc.${Z}`), [kubernetes.spec!.clusterIP!]);
    assert.equal(await digStatus(`no-such-svc.${NS}.svc.${Z}`), 'NXDOMAIN');
    assert.equal(await digStatus(`dns-svc.${NS}.svc.${Z}`, 'AAAA'), 'NOERROR', 'NODATA for a type the Service lacks');
    assert.deepEqual(await digShort(`dns-svc.${NS}.svc.${Z}`, 'AAAA'), []);
    assert.deepEqual(await digShort(ip, 'PTR', ['-x']), [`dns-svc.${NS}.svc.${Z}.`]);

    const late = await services.create(NS, svcSpec('dns-late', { ports: [{ port: 81, targetPort: 8080 }] }));
    await waitDig(`dns-late.${NS}.svc.${Z}`, 'A', [late.spec!.clusterIP!], 'a new service appears');
    await services.delete(NS, 'dns-svc');
    await waitDig(`dns-svc.${NS}.svc.${Z}`, 'A', [], 'a deleted service disappears');
    assert.equal(await digStatus(`dns-svc.${NS}.svc.${Z}`), 'NXDOMAIN');
  });

  test('dns-03: SRV records for ClusterIP and headless Services with hand-made EndpointSlices', async () => {
    const podIPs = ['127.128.0.11', '127.128.0.12'];
    await services.create(NS, svcSpec('srv-svc', { selector: { app: 'srv' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 8080 }] }));
    await services.create(NS, svcSpec('srv-hl', { clusterIP: 'None', selector: { app: 'srv' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] }));
    await slices.create(NS, handMadeSlice('srv-svc-abcde', 'srv-svc', podIPs, [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 8080, protocol: 'UDP' }]));
    await slices.create(NS, handMadeSlice('srv-hl-abcde', 'srv-hl', podIPs, [{ name: 'http', port: 8080, protocol: 'TCP' }]));

    const T = `srv-svc.${NS}.svc.${Z}.`;
    const portTarget = async (name: string): Promise<string[]> => (await digShort(name, 'SRV')).map((l) => l.split(' ').slice(2).join('@')).sort();
    await eventually('SRV _http._tcp.srv-svc', async () => JSON.stringify(await portTarget(`_http._tcp.srv-svc.${NS}.svc.${Z}`)) === JSON.stringify([`80@${T}`]));
    assert.deepEqual(await portTarget(`_dns._udp.srv-svc.${NS}.svc.${Z}`), [`53@${T}`]);
    assert.deepEqual(await digShort(`_http._udp.srv-svc.${NS}.svc.${Z}`, 'SRV'), [], 'SRV with the wrong protocol');
    assert.equal(await digStatus(`_http._udp.srv-svc.${NS}.svc.${Z}`, 'SRV'), 'NXDOMAIN');

    await eventually('two SRV records of the headless service', async () => (await digShort(`_http._tcp.srv-hl.${NS}.svc.${Z}`, 'SRV')).length === 2);
    const lines = await digShort(`_http._tcp.srv-hl.${NS}.svc.${Z}`, 'SRV');
    assert.deepEqual(lines.map((l) => l.split(' ')[2]), ['8080', '8080']);
    const resolved: string[] = [];
    for (const target of lines.map((l) => l.split(' ')[3]!)) {
      assert.ok(target.endsWith(`.srv-hl.${NS}.svc.${Z}.`), `headless SRV target ${target} is <hostname>.srv-hl.${NS}.svc.${Z}.`);
      resolved.push(...(await digShort(target)));
    }
    assert.deepEqual(resolved.sort(), podIPs);
    assert.deepEqual(await digShort(`srv-hl.${NS}.svc.${Z}`), podIPs, 'headless A records');
    assert.deepEqual(await digShort(`srv-hl.${NS}.svc.${Z}`, 'A', ['+tcp']), podIPs, 'over TCP');
    assert.deepEqual(await digShort(`127-128-0-11.srv-hl.${NS}.svc.${Z}`), ['127.128.0.11']);
    // The pod backs both Services, so its IP has a PTR under each (as CoreDNS answers).
    assert.deepEqual(await digShort('127.128.0.12', 'PTR', ['-x']), [`127-128-0-12.srv-hl.${NS}.svc.${Z}.`, `127-128-0-12.srv-svc.${NS}.svc.${Z}.`]);
    assert.deepEqual(await digShort(`127-128-0-11.${NS}.pod.${Z}`), ['127.128.0.11'], 'pod record (pods insecure)');
  });

  test('ExternalName, dns-version, the zone apex and forwarding', async () => {
    await services.create(NS, svcSpec('ext', { type: 'ExternalName', externalName: 'www.example.test' }));
    await waitDig(`ext.${NS}.svc.${Z}`, 'A', ['192.0.2.80', 'www.example.test.'], 'ExternalName CNAME plus the chased A');
    assert.deepEqual(await digShort(`ext.${NS}.svc.${Z}`, 'CNAME'), ['www.example.test.']);
    assert.deepEqual(await digShort(`dns-version.${Z}`, 'TXT'), ['"1.1.0"']);
    assert.equal((await digShort(Z, 'SOA'))[0]?.split(' ').slice(0, 2).join(' '), `ns.dns.${Z}. hostmaster.${Z}.`);
    assert.equal(await digStatus(`${NS}.svc.${Z}`), 'NOERROR', 'an existing namespace is NODATA');
    assert.equal(await digStatus(`nope.svc.${Z}`), 'NXDOMAIN');
    assert.deepEqual(await digShort('www.example.test'), ['192.0.2.80'], 'forwarded to the upstream');
    assert.equal(await digStatus('missing.example.test'), 'NXDOMAIN');
  });

  test('publishes kube-system/kube-dns pointing at the server, and the NS record names it', async () => {
    const svc = await eventually('kube-dns Service', () => services.get('kube-system', 'kube-dns').catch(() => undefined));
    assert.equal(svc.spec?.clusterIP, '127.96.0.10');
    assert.equal(svc.spec?.selector, undefined);
    assert.deepEqual(svc.spec?.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`), ['dns:53/UDP', 'dns-tcp:53/TCP', 'metrics:9153/TCP']);
    const ep = await cluster.client.resource<Endpoints>(findResource('', 'v1', 'endpoints')!).get('kube-system', 'kube-dns');
    assert.deepEqual(ep.subsets?.[0]?.addresses?.map((a) => a.ip), [host]);
    assert.deepEqual(ep.subsets?.[0]?.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`).sort(), [`dns-tcp:${port}/TCP`, `dns:${port}/UDP`]);
    assert.deepEqual(await digShort(`kube-dns.kube-system.svc.${Z}`), ['127.96.0.10']);
    // What the EndpointSlice mirroring controller would make of that Endpoints object.
    await slices.create('kube-system', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kube-dns-mirror', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [host], conditions: { ready: true } }],
      ports: [{ name: 'dns', port, protocol: 'UDP' }],
    });
    await waitDig(Z, 'NS', [`kube-dns.kube-system.svc.${Z}.`], 'NS names the kube-dns Service');
    assert.deepEqual(await digShort(`ns.dns.${Z}`), ['127.96.0.10']);
    assert.equal(clusterDnsAddress({ clusterIP: '127.96.0.10', direct: { host, port }, proxy: false }), `${host}:${port}`);
  });

  test('exposes CoreDNS metrics', async () => {
    const text = await registry.metrics();
    assert.match(text, /coredns_dns_requests_total\{[^}]*type="SRV"\}/);
    assert.match(text, /coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN"\}/);
    assert.match(text, /coredns_cache_misses_total/);
    assert.match(text, /coredns_proxy_request_duration_seconds_count\{proxy_name="forward"/);
  });
});
