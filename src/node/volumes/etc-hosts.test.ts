import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { etcHostsContent, podHostnameAndDomain } from './etc-hosts.js';

const HEADER =
  '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

function pod(spec: Partial<NonNullable<Pod['spec']>>, name = 'web-0'): Pod {
  return { metadata: { name, namespace: 'shop' }, spec: { containers: [], ...spec } };
}

describe('podHostnameAndDomain', () => {
  const cases: Array<[string, Pod, string | undefined, { hostname: string; domain: string }]> = [
    ['pod name', pod({}), undefined, { hostname: 'web-0', domain: '' }],
    ['spec.hostname wins', pod({ hostname: 'db' }), undefined, { hostname: 'db', domain: '' }],
    ['subdomain gives the FQDN domain', pod({ subdomain: 'web' }), undefined, { hostname: 'web-0', domain: 'web.shop.svc.cluster.local' }],
    ['custom cluster domain', pod({ subdomain: 'web' }), 'corp.local', { hostname: 'web-0', domain: 'web.shop.svc.corp.local' }],
    ['63-character cut without trailing dash', pod({}, `${'a'.repeat(62)}-bbbb`), undefined, { hostname: 'a'.repeat(62), domain: '' }],
  ];
  for (const [name, p, domain, want] of cases) test(name, () => assert.deepEqual(podHostnameAndDomain(p, domain), want));
});

describe('etcHostsContent', () => {
  const cases: Array<[string, Pod, string]> = [
    ['plain pod', pod({}), `${HEADER}127.128.1.5\tweb-0\n`],
    ['with subdomain', pod({ hostname: 'web-0', subdomain: 'web' }), `${HEADER}127.128.1.5\tweb-0.web.shop.svc.cluster.local\tweb-0\n`],
    [
      'with hostAliases',
      pod({ hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }] }),
      `${HEADER}127.128.1.5\tweb-0\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\n10.1.2.3\tbar.local\n`,
    ],
    ['host network copies the node file', pod({ hostNetwork: true }), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n'],
  ];
  for (const [name, p, want] of cases) {
    test(name, () => assert.equal(etcHostsContent(p, { podIPs: ['127.128.1.5'], hostHosts: '127.0.0.1 localhost\n' }), want));
  }
});
