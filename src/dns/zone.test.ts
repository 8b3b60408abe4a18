import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from 'dns-packet';
import { fakeSource, type FakeRecords } from './testing.js';
import type { EndpointRecord, EndpointSliceRecord, PortRecord, ServiceRecord } from './records.js';
import { answerZone, DEFAULT_ZONE_CONFIG, type ZoneConfig } from './zone.js';

const http: PortRecord = { name: 'http', port: 80, protocol: 'TCP' };

function svc(namespace: string, name: string, o: Partial<ServiceRecord> = {}): ServiceRecord {
  return { namespace, name, headless: false, clusterIPs: [], ports: [http], publishNotReady: false, ...o };
}
function ep(ip: string, o: Partial<EndpointRecord> = {}): EndpointRecord {
  return { ip, hostname: ip.replaceAll('.', '-').replaceAll(':', '-'), ready: true, ...o };
}
function slice(namespace: string, service: string, endpoints: EndpointRecord[], ports: PortRecord[] = [http]): EndpointSliceRecord {
  return { namespace, name: `${service}-abc`, service, ports, endpoints };
}

const DATA: FakeRecords = {
  namespaces: ['default', 'testns', 'kube-system'],
  services: [
    svc('testns', 'svc1', { clusterIPs: ['10.0.0.1'] }),
    svc('testns', 'svc6', { clusterIPs: ['1234:abcd::1'] }),
    svc('testns', 'dual', { clusterIPs: ['10.0.0.3', '10::3'] }),
    svc('testns', 'multi', { clusterIPs: ['10.0.0.4'], ports: [http, { name: 'dns', port: 53, protocol: 'UDP' }, { name: '', port: 8080, protocol: 'TCP' }] }),
    svc('testns', 'hdls1', { headless: true }),
    svc('testns', 'hdls-empty', { headless: true }),
    svc('testns', 'hdls-pub', { headless: true, publishNotReady: true }),
    svc('testns', 'hdlsprtls', { headless: true, ports: [] }),
    svc('testns', 'svc-endpoint', { clusterIPs: ['10.0.0.7'] }),
    svc('testns', 'external', { externalName: 'ext.interwebs.test', ports: [] }),
    svc('testns', 'ext-internal', { externalName: 'svc1.testns.svc.cluster.local', ports: [] }),
    svc('testns', 'ext-self', { externalName: 'ext-self.testns.svc.cluster.local', ports: [] }),
    svc('kube-system', 'kube-dns', { clusterIPs: ['127.96.0.10'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
  ],
  slices: [
    slice('testns', 'hdls1', [
      ep('172.0.0.2'),
      ep('172.0.0.3'),
      ep('172.0.0.4', { hostname: 'dup-name' }),
      ep('172.0.0.5', { hostname: 'dup-name' }),
      ep('172.0.0.9', { ready: false }),
      ep('5678:abcd::1'),
    ]),
    slice('testns', 'hdls-empty', [ep('172.0.0.19', { ready: false })]),
    slice('testns', 'hdls-pub', [ep('172.0.0.30', { ready: false })]),
    slice('testns', 'hdlsprtls', [ep('172.0.0.20')], []),
    slice('testns', 'svc-endpoint', [ep('172.0.0.40')]),
    slice('kube-system', 'kube-dns', [ep('127.0.2.53')], [{ name: 'dns', port: 53, protocol: 'UDP' }]),
  ],
  pods: [{ namespace: 'testns', name: 'pod1', ips: ['172.0.0.100'] }],
};

const CFG: ZoneConfig = { ...DEFAULT_ZONE_CONFIG, localIPs: ['127.0.2.53'] };
const Z = 'cluster.local';
const SOA = `${Z} 5 SOA ns.dns.${Z} hostmaster.${Z} 1499347823 7200 1800 86400 5`;

/** One record as a line: `name ttl TYPE data`. */
function line(a: Answer): string {
  const d = (a as { data: unknown }).data;
  let data: string;
  if (a.type === 'SRV') {
    const s = d as { priority: number; weight: number; port: number; target: string };
    data = `${s.priority} ${s.weight} ${s.port} ${s.target}`;
  } else if (a.type === 'SOA') {
    const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
    data = `${s.mname} ${s.rname} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
  } else data = String(d);
  return `${a.name} ${(a as { ttl?: number }).ttl} ${a.type} ${data}`;
}

interface Case {
  q: string;
  type: string;
  rcode?: string;
  answer?: string[];
  ns?: string[];
  extra?: string[];
  chase?: { name: string; type: string };
  /** Expect the name to be passed on (not served here). */
  pass?: true;
  cfg?: Partial<ZoneConfig>;
  data?: Partial<FakeRecords>;
}

function run(c: Case): void {
  const src = fakeSource({ ...DATA, ...c.data });
  const res = answerZone({ name: c.q, type: c.type }, src, { ...CFG, ...c.cfg });
  if (c.pass) {
    assert.equal(res, undefined, `${c.type} ${c.q} should be passed on, got ${JSON.stringify(res?.reply)}`);
    return;
  }
  assert.ok(res, `${c.type} ${c.q} was passed on`);
  assert.equal(res.reply.rcode, c.rcode ?? 'NOERROR', `rcode of ${c.type} ${c.q}`);
  assert.deepEqual(res.reply.answers.map(line), c.answer ?? [], `answers of ${c.type} ${c.q}`);
  assert.deepEqual(res.reply.authorities.map(line), c.ns ?? [], `authority of ${c.type} ${c.q}`);
  assert.deepEqual(res.reply.additionals.map(line), c.extra ?? [], `additionals of ${c.type} ${c.q}`);
  assert.deepEqual(res.chase, c.chase, `chase of ${c.type} ${c.q}`);
  if (res.reply.rcode !== 'REFUSED') assert.equal(res.reply.authoritative, true);
}

const NODATA = { ns: [SOA] };
const NXDOMAIN = { rcode: 'NXDOMAIN', ns: [SOA] };
const T = 'testns.svc.cluster.local';

const CASES: Record<string, Case[]> = {
  'ClusterIP services (spec 2.3.1)': [
    { q: `svc1.${T}`, type: 'A', answer: [`svc1.${T} 5 A 10.0.0.1`] },
    { q: `svc1.${T}.`, type: 'A', answer: [`svc1.${T} 5 A 10.0.0.1`] },
    { q: `SVC1.TestNS.Svc.Cluster.LOCAL`, type: 'A', answer: ['SVC1.TestNS.Svc.Cluster.LOCAL 5 A 10.0.0.1'] },
    { q: `svc1.${T}`, type: 'AAAA', ...NODATA },
    { q: `svc6.${T}`, type: 'AAAA', answer: [`svc6.${T} 5 AAAA 1234:abcd::1`] },
    { q: `svc6.${T}`, type: 'A', ...NODATA },
    { q: `dual.${T}`, type: 'A', answer: [`dual.${T} 5 A 10.0.0.3`] },
    { q: `dual.${T}`, type: 'AAAA', answer: [`dual.${T} 5 AAAA 10::3`] },
    { q: `kube-dns.kube-system.svc.${Z}`, type: 'A', answer: [`kube-dns.kube-system.svc.${Z} 5 A 127.96.0.10`] },
  ],
  'names that do not exist: NXDOMAIN with the SOA': [
    { q: `svc0.${T}`, type: 'A', ...NXDOMAIN },
    { q: `svc0.${T}`, type: 'AAAA', ...NXDOMAIN },
    { q: `svc0.nons.svc.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `svc1.nons.svc.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `foo.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `a.b.c.svc1.${T}`, type: 'A', ...NXDOMAIN },
    { q: `bogus.svc1.${T}`, type: 'A', ...NXDOMAIN },
    { q: `svc0.${T}`, type: 'TXT', ...NXDOMAIN },
    { q: `svc0.${T}`, type: 'SOA', ...NXDOMAIN },
    { q: `foo.${Z}`, type: 'NS', ...NXDOMAIN },
    { q: `foo.svc.${Z}`, type: 'NS', ...NXDOMAIN },
    { q: `endpoint.external.${T}`, type: 'CNAME', ...NXDOMAIN },
    { q: `sub.sub.external.${T}`, type: 'CNAME', ...NXDOMAIN },
  ],
  'names that exist without the asked type: NODATA': [
    { q: `svc1.${T}`, type: 'TXT', ...NODATA },
    { q: `svc1.${T}`, type: 'MX', ...NODATA },
    { q: `svc1.${T}`, type: 'CNAME', ...NODATA },
    { q: `svc1.${T}`, type: 'PTR', ...NODATA },
    { q: `svc1.${T}`, type: 'SOA', ...NODATA },
    { q: `svc1.${T}`, type: 'ANY', ...NODATA },
    { q: `svc1.${T}`, type: 'UNKNOWN_65', ...NODATA },
    { q: T, type: 'A', ...NODATA },
    { q: T, type: 'NS', ...NODATA },
    { q: T, type: 'TXT', ...NODATA },
    { q: `nons.svc.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `svc.${Z}`, type: 'A', ...NODATA },
    { q: `svc.${Z}`, type: 'NS', ...NODATA },
    { q: `pod.${Z}`, type: 'A', ...NODATA },
    { q: Z, type: 'A', ...NODATA },
    { q: Z, type: 'TXT', ...NODATA },
    { q: `dns-version.${Z}`, type: 'A', ...NODATA },
  ],
  'headless services (spec 2.4.1)': [
    { q: `hdls1.${T}`, type: 'A', answer: ['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map((ip) => `hdls1.${T} 5 A ${ip}`) },
    { q: `hdls1.${T}`, type: 'AAAA', answer: [`hdls1.${T} 5 AAAA 5678:abcd::1`] },
    { q: `hdls-empty.${T}`, type: 'A', ...NXDOMAIN },
    { q: `hdls-pub.${T}`, type: 'A', answer: [`hdls-pub.${T} 5 A 172.0.0.30`] },
    { q: `hdlsprtls.${T}`, type: 'A', answer: [`hdlsprtls.${T} 5 A 172.0.0.20`] },
    { q: `dup-name.hdls1.${T}`, type: 'A', answer: [`dup-name.hdls1.${T} 5 A 172.0.0.4`, `dup-name.hdls1.${T} 5 A 172.0.0.5`] },
    { q: `DUP-NAME.hdls1.${T}`, type: 'A', answer: [`DUP-NAME.hdls1.${T} 5 A 172.0.0.4`, `DUP-NAME.hdls1.${T} 5 A 172.0.0.5`] },
    { q: `172-0-0-2.hdls1.${T}`, type: 'A', answer: [`172-0-0-2.hdls1.${T} 5 A 172.0.0.2`] },
    { q: `172-0-0-9.hdls1.${T}`, type: 'A', ...NXDOMAIN },
    { q: `bogusendpoint.hdls1.${T}`, type: 'A', ...NXDOMAIN },
    { q: `5678-abcd--1.hdls1.${T}`, type: 'AAAA', answer: [`5678-abcd--1.hdls1.${T} 5 AAAA 5678:abcd::1`] },
    { q: `172-0-0-20.hdlsprtls.${T}`, type: 'A', answer: [`172-0-0-20.hdlsprtls.${T} 5 A 172.0.0.20`] },
    { q: `172-0-0-40.svc-endpoint.${T}`, type: 'A', answer: [`172-0-0-40.svc-endpoint.${T} 5 A 172.0.0.40`] },
  ],
  'SRV records (spec 2.3.2, 2.4.2)': [
    { q: `_http._tcp.svc1.${T}`, type: 'SRV', answer: [`_http._tcp.svc1.${T} 5 SRV 0 100 80 svc1.${T}`], extra: [`svc1.${T} 5 A 10.0.0.1`] },
    { q: `_HTTP._TCP.svc1.${T}`, type: 'SRV', answer: [`_HTTP._TCP.svc1.${T} 5 SRV 0 100 80 svc1.${T}`], extra: [`svc1.${T} 5 A 10.0.0.1`] },
    { q: `http.tcp.svc1.${T}`, type: 'SRV', answer: [`http.tcp.svc1.${T} 5 SRV 0 100 80 svc1.${T}`], extra: [`svc1.${T} 5 A 10.0.0.1`] },
    { q: `_http._udp.svc1.${T}`, type: 'SRV', ...NXDOMAIN },
    { q: `_https._tcp.svc1.${T}`, type: 'SRV', ...NXDOMAIN },
    { q: `_http._udp.svc1.${T}`, type: 'A', ...NXDOMAIN },
    { q: `_http._tcp.svc1.${T}`, type: 'A', answer: [`_http._tcp.svc1.${T} 5 A 10.0.0.1`] },
    { q: `_dns._udp.multi.${T}`, type: 'SRV', answer: [`_dns._udp.multi.${T} 5 SRV 0 100 53 multi.${T}`], extra: [`multi.${T} 5 A 10.0.0.4`] },
    {
      q: `multi.${T}`,
      type: 'SRV',
      answer: [80, 53, 8080].map((p) => `multi.${T} 5 SRV 0 33 ${p} multi.${T}`),
      extra: [`multi.${T} 5 A 10.0.0.4`],
    },
    { q: `dual.${T}`, type: 'SRV', answer: [`dual.${T} 5 SRV 0 50 80 dual.${T}`], extra: [`dual.${T} 5 A 10.0.0.3`, `dual.${T} 5 AAAA 10::3`] },
    {
      q: `_http._tcp.hdls1.${T}`,
      type: 'SRV',
      answer: ['172-0-0-2', '172-0-0-3', 'dup-name', '5678-abcd--1'].map((h) => `_http._tcp.hdls1.${T} 5 SRV 0 20 80 ${h}.hdls1.${T}`),
      extra: [
        `172-0-0-2.hdls1.${T} 5 A 172.0.0.2`,
        `172-0-0-3.hdls1.${T} 5 A 172.0.0.3`,
        `dup-name.hdls1.${T} 5 A 172.0.0.4`,
        `dup-name.hdls1.${T} 5 A 172.0.0.5`,
        `5678-abcd--1.hdls1.${T} 5 AAAA 5678:abcd::1`,
      ],
    },
    { q: `_http._tcp.hdlsprtls.${T}`, type: 'SRV', ...NXDOMAIN },
    { q: `hdlsprtls.${T}`, type: 'SRV', ...NODATA },
    { q: `external.${T}`, type: 'SRV', ...NODATA },
    { q: `_http._tcp.external.${T}`, type: 'SRV', ...NXDOMAIN },
  ],
  'ExternalName services (spec 2.5)': [
    { q: `external.${T}`, type: 'CNAME', answer: [`external.${T} 5 CNAME ext.interwebs.test`] },
    { q: `external.${T}`, type: 'A', answer: [`external.${T} 5 CNAME ext.interwebs.test`], chase: { name: 'ext.interwebs.test', type: 'A' } },
    { q: `external.${T}`, type: 'AAAA', answer: [`external.${T} 5 CNAME ext.interwebs.test`], chase: { name: 'ext.interwebs.test', type: 'AAAA' } },
    { q: `external.${T}`, type: 'TXT', ...NODATA },
    { q: `ext-internal.${T}`, type: 'A', answer: [`ext-internal.${T} 5 CNAME svc1.${T}`, `svc1.${T} 5 A 10.0.0.1`] },
    { q: `ext-internal.${T}`, type: 'AAAA', ...NODATA },
    { q: `ext-self.${T}`, type: 'A', ...NODATA },
  ],
  'pod records (pods insecure by default)': [
    { q: `172-0-0-100.testns.pod.${Z}`, type: 'A', answer: [`172-0-0-100.testns.pod.${Z} 5 A 172.0.0.100`] },
    { q: `1-2-3-4.testns.pod.${Z}`, type: 'A', answer: [`1-2-3-4.testns.pod.${Z} 5 A 1.2.3.4`] },
    { q: `fd00--1.testns.pod.${Z}`, type: 'AAAA', answer: [`fd00--1.testns.pod.${Z} 5 AAAA fd00::1`] },
    { q: `1-2-3-4.testns.pod.${Z}`, type: 'AAAA', ...NODATA },
    { q: `1-2-3-4.nons.pod.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `not-an-ip.testns.pod.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `1-2-3-400.testns.pod.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `x.1-2-3-4.testns.pod.${Z}`, type: 'A', ...NXDOMAIN },
    { q: `testns.pod.${Z}`, type: 'A', ...NODATA },
    { q: `172-0-0-100.testns.pod.${Z}`, type: 'A', cfg: { podMode: 'verified' }, answer: [`172-0-0-100.testns.pod.${Z} 5 A 172.0.0.100`] },
    { q: `1-2-3-4.testns.pod.${Z}`, type: 'A', cfg: { podMode: 'verified' }, ...NXDOMAIN },
    { q: `172-0-0-100.default.pod.${Z}`, type: 'A', cfg: { podMode: 'verified' }, ...NXDOMAIN },
    { q: `172-0-0-100.testns.pod.${Z}`, type: 'A', cfg: { podMode: 'disabled' }, ...NXDOMAIN },
    { q: `testns.pod.${Z}`, type: 'A', cfg: { podMode: 'disabled' }, ...NXDOMAIN },
  ],
  'PTR (spec 2.3.3, 2.4.3)': [
    { q: '1.0.0.10.in-addr.arpa', type: 'PTR', answer: [`1.0.0.10.in-addr.arpa 5 PTR svc1.${T}`] },
    { q: '1.0.0.10.IN-ADDR.ARPA.', type: 'PTR', answer: [`1.0.0.10.IN-ADDR.ARPA 5 PTR svc1.${T}`] },
    { q: '2.0.0.172.in-addr.arpa', type: 'PTR', answer: [`2.0.0.172.in-addr.arpa 5 PTR 172-0-0-2.hdls1.${T}`] },
    { q: '4.0.0.172.in-addr.arpa', type: 'PTR', answer: [`4.0.0.172.in-addr.arpa 5 PTR dup-name.hdls1.${T}`] },
    { q: '30.0.0.172.in-addr.arpa', type: 'PTR', answer: [`30.0.0.172.in-addr.arpa 5 PTR 172-0-0-30.hdls-pub.${T}`] },
    {
      q: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa',
      type: 'PTR',
      answer: [`1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa 5 PTR svc6.${T}`],
    },
    { q: '9.0.0.172.in-addr.arpa', type: 'PTR', pass: true },
    { q: '8.8.8.8.in-addr.arpa', type: 'PTR', pass: true },
    { q: '0.10.in-addr.arpa', type: 'PTR', pass: true },
    { q: '1.0.0.10.in-addr.arpa', type: 'A', pass: true },
  ],
  'zone apex, dns-version and NS (like CoreDNS)': [
    { q: Z, type: 'SOA', answer: [SOA] },
    { q: 'Cluster.Local', type: 'SOA', answer: [SOA.replace(Z, 'Cluster.Local')] },
    { q: Z, type: 'NS', answer: [`${Z} 5 NS kube-dns.kube-system.svc.${Z}`], extra: [`kube-dns.kube-system.svc.${Z} 5 A 127.96.0.10`] },
    { q: Z, type: 'NS', data: { slices: [] }, answer: [`${Z} 5 NS ns.dns.${Z}`], extra: [`ns.dns.${Z} 5 A 127.0.2.53`] },
    { q: `ns.dns.${Z}`, type: 'A', answer: [`ns.dns.${Z} 5 A 127.96.0.10`] },
    { q: `ns.dns.${Z}`, type: 'AAAA', ...NODATA },
    { q: `dns-version.${Z}`, type: 'TXT', answer: [`dns-version.${Z} 28800 TXT 1.1.0`] },
    { q: `DNS-VERSION.${Z}`, type: 'TXT', answer: [`DNS-VERSION.${Z} 28800 TXT 1.1.0`] },
    { q: `svc1.${T}`, type: 'AXFR', rcode: 'REFUSED' },
    { q: Z, type: 'IXFR', rcode: 'REFUSED' },
  ],
  'names outside the zone are passed on': [
    { q: 'example.com', type: 'A', pass: true },
    { q: 'local', type: 'A', pass: true },
    { q: 'xcluster.local', type: 'A', pass: true },
    { q: '.', type: 'NS', pass: true },
  ],
  'configuration: TTL, zone, sync': [
    { q: `svc1.${T}`, type: 'A', cfg: { ttl: 30 }, answer: [`svc1.${T} 30 A 10.0.0.1`] },
    { q: `svc0.${T}`, type: 'A', cfg: { ttl: 30 }, rcode: 'NXDOMAIN', ns: [`${Z} 30 SOA ns.dns.${Z} hostmaster.${Z} 1499347823 7200 1800 86400 30`] },
    { q: `svc0.${T}`, type: 'A', cfg: { ttl: 600 }, rcode: 'NXDOMAIN', ns: [`${Z} 300 SOA ns.dns.${Z} hostmaster.${Z} 1499347823 7200 1800 86400 600`] },
    { q: 'svc1.testns.svc.example.org', type: 'A', cfg: { zone: 'example.org' }, answer: ['svc1.testns.svc.example.org 5 A 10.0.0.1'] },
    { q: `svc1.${T}`, type: 'A', cfg: { zone: 'example.org' }, pass: true },
    { q: `svc0.${T}`, type: 'A', data: { synced: false }, rcode: 'SERVFAIL', ns: [SOA] },
    { q: `svc1.${T}`, type: 'A', data: { synced: false }, answer: [`svc1.${T} 5 A 10.0.0.1`] },
  ],
};

describe('answerZone', () => {
  for (const [group, cases] of Object.entries(CASES)) {
    test(group, () => {
      for (const c of cases) run(c);
    });
  }
});
