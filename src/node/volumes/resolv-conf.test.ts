import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseResolvConf, podDNSConfig, renderResolvConf, type ClusterDNS, type DNSConfig } from './resolv-conf.js';

const HOST = parseResolvConf('# host\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.example. lab\noptions timeout:2 attempts:3\n');
const CLUSTER: ClusterDNS = { nameserver: '127.96.0.10', searches: [], options: [] };
const CLUSTER_SEARCH = ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

function pod(spec: Partial<NonNullable<Pod['spec']>>): Pod {
  return { metadata: { name: 'web-0', namespace: 'shop', uid: 'u1' }, spec: { containers: [], ...spec } };
}

test('parseResolvConf: nameservers accumulate, last search/options win, trailing dots dropped', () => {
  assert.deepEqual(HOST, { nameservers: ['10.0.0.2', '10.0.0.3'], searches: ['corp.example', 'lab'], options: ['timeout:2', 'attempts:3'] });
  assert.deepEqual(parseResolvConf('search a\nsearch b c\n; comment\noptions x\noptions y'), { nameservers: [], searches: ['b', 'c'], options: ['y'] });
});

describe('podDNSConfig', () => {
  const cases: Array<{ name: string; pod: Pod; cluster?: ClusterDNS; want: DNSConfig; events?: string[] }> = [
    {
      name: 'ClusterFirst (the default): cluster server, namespace searches then the host ones, ndots:5',
      pod: pod({}),
      cluster: CLUSTER,
      want: { nameservers: ['127.96.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab'], options: ['ndots:5'] },
    },
    {
      name: 'ClusterFirst with extra cluster searches and options',
      pod: pod({ dnsPolicy: 'ClusterFirst' }),
      cluster: { nameserver: '127.96.0.10', searches: ['svc.cluster.local', 'extra.test'], options: ['ndots:3'], clusterDomain: 'cluster.local' },
      want: { nameservers: ['127.96.0.10'], searches: [...CLUSTER_SEARCH, 'extra.test', 'corp.example', 'lab'], options: ['ndots:3'] },
    },
    {
      name: 'ClusterFirst on the host network falls back to Default',
      pod: pod({ dnsPolicy: 'ClusterFirst', hostNetwork: true }),
      cluster: CLUSTER,
      want: HOST,
    },
    {
      name: 'ClusterFirstWithHostNet keeps cluster DNS on the host network',
      pod: pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }),
      cluster: CLUSTER,
      want: { nameservers: ['127.96.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab'], options: ['ndots:5'] },
    },
    {
      name: 'ClusterFirst without a cluster DNS server falls back to Default with a warning',
      pod: pod({}),
      want: HOST,
      events: ['MissingClusterDNS: pod: "web-0_shop(u1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.'],
    },
    { name: 'Default is the host resolv.conf', pod: pod({ dnsPolicy: 'Default' }), cluster: CLUSTER, want: HOST },
    {
      name: 'None uses only dnsConfig',
      pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
      cluster: CLUSTER,
      want: { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: ['ndots:2', 'edns0'] },
    },
    {
      name: 'dnsConfig is appended to ClusterFirst, options overriding by name',
      pod: pod({ dnsConfig: { nameservers: ['127.96.0.10', '9.9.9.9'], searches: ['cluster.local', 'x.test'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } }),
      cluster: CLUSTER,
      want: { nameservers: ['127.96.0.10', '9.9.9.9'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab', 'x.test'], options: ['ndots:1', 'single-request'] },
    },
    {
      name: 'more than 3 nameservers are cut with a warning',
      pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'] } }),
      want: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'], searches: [], options: [] },
      events: ['DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 1.1.1.1 2.2.2.2 3.3.3.3'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = podDNSConfig(c.pod, { host: HOST, clusterDNS: c.cluster });
      assert.deepEqual(r.config, c.want);
      assert.deepEqual(
        r.events.map((e) => `${e.reason}: ${e.message}`),
        c.events ?? [],
      );
    });
  }

  test('more than 32 search paths are cut with a DNSConfigForming warning', () => {
    const searches = Array.from({ length: 40 }, (_, i) => `d${i}.test`);
    const r = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches } }), { host: HOST });
    assert.equal(r.config.searches.length, 32);
    assert.equal(r.events[0]?.reason, 'DNSConfigForming');
  });
});

test('renderResolvConf writes search, nameservers, options like containerd', () => {
  assert.equal(
    renderResolvConf({ nameservers: ['127.96.0.10'], searches: CLUSTER_SEARCH, options: ['ndots:5'] }),
    'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.96.0.10\noptions ndots:5\n',
  );
  assert.equal(renderResolvConf({ nameservers: ['1.1.1.1', '8.8.8.8'], searches: [], options: [] }), 'nameserver 1.1.1.1\nnameserver 8.8.8.8\n');
});
