/**
 * The pod's own /etc/hosts as the kubelet writes it (`kubelet_pods.go`
 * `managedHostsFileContent`, `nodeHostsFileContent`, hostname rules of
 * `GeneratePodHostNameAndDomain`). Pure.
 */
import type { HostAlias, Pod } from 'kubernetes-types/core/v1.js';

/** The default cluster domain (kubelet `--cluster-domain`). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

const HOSTNAME_MAX = 63;

/**
 * The pod's hostname and domain: `spec.hostname` or the pod name, cut to 63
 * characters without a trailing `-` or `.`; with `spec.subdomain` the domain is
 * `<subdomain>.<namespace>.svc.<clusterDomain>`, else empty.
 *
 * @example
 * podHostnameAndDomain({ metadata: { name: 'web-0', namespace: 'ns' }, spec: { subdomain: 'web', containers: [] } })
 * // { hostname: 'web-0', domain: 'web.ns.svc.cluster.local' }
 */
export function podHostnameAndDomain(pod: Pod, clusterDomain = DEFAULT_CLUSTER_DOMAIN): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || pod.metadata?.name || '';
  if (hostname.length > HOSTNAME_MAX) hostname = hostname.slice(0, HOSTNAME_MAX).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  const domain = sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

function aliasLines(aliases: readonly HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) for (const h of a.hostnames ?? []) out += `${a.ip}\t${h}\n`;
  return out;
}

/**
 * The content of a pod's /etc/hosts. A pod on the host network gets the node's
 * own hosts file (`hostHosts`) under a header; every other pod the managed
 * file: localhost entries, then `<podIP>\t<hostname>` (or
 * `<podIP>\t<hostname>.<domain>\t<hostname>` with a subdomain) for each pod IP,
 * then `spec.hostAliases`.
 *
 * @example
 * etcHostsContent(pod, { podIPs: ['127.128.1.5'] })
 * // '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n…127.128.1.5\tweb-0\n'
 */
export function etcHostsContent(pod: Pod, opts: { podIPs: readonly string[]; clusterDomain?: string; hostHosts?: string }): string {
  const aliases = aliasLines(pod.spec?.hostAliases);
  if (pod.spec?.hostNetwork) {
    return `# Kubernetes-managed hosts file (host network).\n${opts.hostHosts ?? ''}${aliases}`;
  }
  const { hostname, domain } = podHostnameAndDomain(pod, opts.clusterDomain);
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of opts.podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + aliases;
}
