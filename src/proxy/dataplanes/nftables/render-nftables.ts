/**
 * Renders the proxy's full state as kube-proxy's nftables ruleset (upstream
 * `pkg/proxy/nftables/proxier.go`) for `nft -f`: table `ip kube-proxy` with the
 * dispatch maps `service-ips` (ClusterIP, externalIP, LoadBalancer IP) and
 * `service-nodeports`, the `no-endpoint-*` verdict maps (reject, or drop for
 * Local policy without a local endpoint), `firewall-ips` for
 * loadBalancerSourceRanges, and per service port the chains
 * `service-<hash>-ns/svc/proto/port` (Cluster policy), `local-…` (Local
 * policy), `external-…`, `firewall-…` and `endpoint-<hash>-…__ip/port`.
 * Endpoints are chosen with `numgen random mod N vmap`; ClientIP affinity uses
 * one dynamic set with a timeout per endpoint, as upstream.
 *
 * The text defines the table from scratch; {@link NftablesDataplane} prefixes
 * it with `add table` + `delete table` so one `nft -f` transaction replaces the
 * previous ruleset. IPv4 only (an `ip6` table would carry IPv6 addresses).
 */
import { isIPv4 } from 'node:net';
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import { hashName } from '../iptables/chain-names.js';
import { nodePortAddresses, planKernelServices, type KernelServicePlan } from '../iptables/kernel-service-plan.js';

/** Options of {@link renderNftables}. */
export interface NftablesRenderOptions {
  /** Pod network (upstream `--cluster-cidr`); see `IptablesRenderOptions.clusterCIDR`. Default none. */
  readonly clusterCIDR?: string;
  /** Masquerade all ClusterIP traffic. Default false. */
  readonly masqueradeAll?: boolean;
  /** Masquerade mark bit, default 14 (0x4000). */
  readonly masqueradeBit?: number;
  /** Table name, default `kube-proxy` (tests use their own). */
  readonly table?: string;
}

const BASE_CHAINS: ReadonlyArray<[string, string]> = [
  ['filter-prerouting', 'type filter hook prerouting priority -110'],
  ['filter-forward', 'type filter hook forward priority -110'],
  ['filter-input', 'type filter hook input priority -110'],
  ['filter-output', 'type filter hook output priority -110'],
  ['filter-output-post-dnat', 'type filter hook output priority -90'],
  ['nat-prerouting', 'type nat hook prerouting priority -100'],
  ['nat-output', 'type nat hook output priority -100'],
  ['nat-postrouting', 'type nat hook postrouting priority 100'],
];

/** `<prefix>-<hash>-<base>`, upstream's readable, hashed chain names. */
function chainName(prefix: string, base: string): string {
  return `${prefix}-${hashName(base, 8)}-${base}`;
}

/** `ns/svc/proto/port` (upstream `servicePortChainNameBase`). */
function serviceBase(p: KernelServicePlan): string {
  return `${p.info.namespace}/${p.info.name}/${p.proto}/${p.info.portName}`;
}

function endpointBase(p: KernelServicePlan, e: EndpointInfo): string {
  return `${serviceBase(p)}__${e.ip}/${e.port}`;
}

/**
 * Renders `state` as an `nft -f` script.
 *
 * @example
 * const text = renderNftables(state, { clusterCIDR: '127.128.0.0/9' });
 * // nft -f - <<< "add table ip kube-proxy\ndelete table ip kube-proxy\n" + text
 */
export function renderNftables(state: ProxyState, opts: NftablesRenderOptions = {}): string {
  const t = `ip ${opts.table ?? 'kube-proxy'}`;
  const mark = `0x${(1 << (opts.masqueradeBit ?? 14)).toString(16)}`;
  // Three sections, so every chain and set exists before a rule or map element names it.
  const decls: string[] = [`add table ${t} { comment "rules for kube-proxy" ; }`];
  const rules: string[] = [];
  const elements: string[] = [];
  const chain = (name: string, spec?: string): void => {
    decls.push(spec ? `add chain ${t} ${name} { ${spec} ; }` : `add chain ${t} ${name}`);
  };
  const rule = (name: string, body: string): void => {
    rules.push(`add rule ${t} ${name} ${body}`);
  };
  for (const [name, spec] of BASE_CHAINS) chain(name, spec);
  for (const name of ['cluster-ips-check', 'firewall-check', 'mark-for-masquerade', 'masquerading', 'nodeport-endpoints-check', 'services', 'service-endpoints-check']) chain(name);
  chain('reject-chain', 'comment "helper for @no-endpoint-services / @no-endpoint-nodeports"');
  decls.push(
    `add set ${t} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${t} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${t} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${t} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${t} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${t} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${t} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
  );
  rule('filter-prerouting', 'ct state new jump firewall-check');
  rule('filter-forward', 'ct state new jump service-endpoints-check');
  rule('filter-forward', 'ct state new jump cluster-ips-check');
  rule('filter-input', 'ct state new jump nodeport-endpoints-check');
  rule('filter-input', 'ct state new jump service-endpoints-check');
  rule('filter-output', 'ct state new jump service-endpoints-check');
  rule('filter-output', 'ct state new jump firewall-check');
  rule('filter-output-post-dnat', 'ct state new jump cluster-ips-check');
  rule('nat-prerouting', 'jump services');
  rule('nat-output', 'jump services');
  rule('nat-postrouting', 'jump masquerading');
  rule('cluster-ips-check', 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"');
  rule('firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips');
  rule('mark-for-masquerade', `mark set mark or ${mark}`);
  rule('masquerading', `mark and ${mark} == 0 return`);
  rule('masquerading', `mark set mark xor ${mark}`);
  rule('masquerading', 'masquerade fully-random');
  rule('nodeport-endpoints-check', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports');
  rule('reject-chain', 'reject');
  rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips');
  rule('services', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
  rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services');

  const addrs = nodePortAddresses(state).filter((a) => isIPv4(a));
  if (addrs.some((a) => a.startsWith('127.'))) elements.push('# NodePorts on 127.0.0.0/8 reach non-loopback endpoints only with sysctl net.ipv4.conf.all.route_localnet=1');
  for (const a of addrs) elements.push(`add element ${t} nodeport-ips { ${a} }`);

  for (const p of planKernelServices(state)) {
    const sp = p.info;
    const base = serviceBase(p);
    const svc = chainName('service', base);
    const local = chainName('local', base);
    const ext = chainName('external', base);
    const fw = chainName('firewall', base);
    const noEndpoints = (v: 'reject' | 'drop'): string => (v === 'drop' ? 'drop' : 'goto reject-chain');
    const clusterIPs = sp.clusterIPs.filter((ip) => isIPv4(ip));
    rules.push(`# ${p.name}`);

    if (p.usesClusterChain) {
      chain(svc);
      for (const ip of clusterIPs) {
        if (opts.masqueradeAll) rule(svc, `ip daddr ${ip} ${p.proto} dport ${sp.port} jump mark-for-masquerade`);
        else if (opts.clusterCIDR) rule(svc, `ip daddr ${ip} ${p.proto} dport ${sp.port} ip saddr != ${opts.clusterCIDR} jump mark-for-masquerade`);
      }
      endpointRules(svc, p, p.clusterEndpoints.filter((e) => isIPv4(e.ip)), rule);
    }
    if (p.usesLocalChain) {
      chain(local);
      endpointRules(local, p, p.localEndpoints.filter((e) => isIPv4(e.ip)), rule);
    }
    const externalReachable = p.external === 'ext' && p.externallyAccessible;
    if (externalReachable) {
      chain(ext);
      if (sp.externalTrafficPolicy !== 'Local') {
        rule(ext, 'jump mark-for-masquerade');
        rule(ext, `goto ${svc}`);
      } else {
        if (p.usesClusterChain) {
          if (opts.clusterCIDR) rule(ext, `ip saddr ${opts.clusterCIDR} goto ${svc} comment "short-circuit pod traffic"`);
          rule(ext, 'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"');
          rule(ext, `fib saddr type local goto ${svc} comment "short-circuit local traffic"`);
        }
        rule(ext, `goto ${local}`);
      }
    }
    const usesFW = externalReachable && sp.loadBalancerSourceRanges.length > 0 && sp.loadBalancerIPs.length > 0;
    if (usesFW) {
      chain(fw);
      rule(fw, `ip saddr != { ${sp.loadBalancerSourceRanges.join(', ')} } drop`);
    }
    for (const e of p.allEndpoints.filter((x) => isIPv4(x.ip))) {
      const name = chainName('endpoint', endpointBase(p, e));
      if (sp.affinityTimeoutSeconds !== undefined) {
        decls.push(`add set ${t} ${chainName('affinity', endpointBase(p, e))} { type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeoutSeconds}s ; }`);
      }
      chain(name);
      rule(name, `ip saddr ${e.ip} jump mark-for-masquerade`);
      if (sp.affinityTimeoutSeconds !== undefined) rule(name, `update @${chainName('affinity', endpointBase(p, e))} { ip saddr }`);
      rule(name, `meta l4proto ${p.proto} dnat to ${e.ip}:${e.port}`);
    }

    for (const ip of clusterIPs) {
      elements.push(`add element ${t} cluster-ips { ${ip} }`);
      if (p.internal === 'cluster' || p.internal === 'local') elements.push(`add element ${t} service-ips { ${ip} . ${p.proto} . ${sp.port} : goto ${p.internal === 'cluster' ? svc : local} }`);
      else elements.push(`add element ${t} no-endpoint-services { ${ip} . ${p.proto} . ${sp.port} comment "${p.name}" : ${noEndpoints(p.internal)} }`);
    }
    const externals = [...sp.externalIPs, ...sp.loadBalancerIPs].filter((a) => isIPv4(a));
    for (const ip of externals) {
      if (externalReachable) elements.push(`add element ${t} service-ips { ${ip} . ${p.proto} . ${sp.port} : goto ${ext} }`);
      else if (p.external !== 'ext') elements.push(`add element ${t} no-endpoint-services { ${ip} . ${p.proto} . ${sp.port} comment "${p.name}" : ${noEndpoints(p.external)} }`);
    }
    if (usesFW) for (const ip of sp.loadBalancerIPs.filter((a) => isIPv4(a))) elements.push(`add element ${t} firewall-ips { ${ip} . ${p.proto} . ${sp.port} : goto ${fw} }`);
    if (sp.nodePort > 0) {
      if (externalReachable) elements.push(`add element ${t} service-nodeports { ${p.proto} . ${sp.nodePort} : goto ${ext} }`);
      else if (p.external !== 'ext') elements.push(`add element ${t} no-endpoint-nodeports { ${p.proto} . ${sp.nodePort} comment "${p.name}" : ${noEndpoints(p.external)} }`);
    }
  }
  return [...decls, ...rules, ...elements, ''].join('\n');
}

/** Affinity lookups, then `numgen random mod N vmap` over `eps`. */
function endpointRules(chain: string, p: KernelServicePlan, eps: readonly EndpointInfo[], rule: (name: string, body: string) => void): void {
  if (eps.length === 0) return;
  if (p.info.affinityTimeoutSeconds !== undefined) {
    for (const e of eps) rule(chain, `ip saddr @${chainName('affinity', endpointBase(p, e))} goto ${chainName('endpoint', endpointBase(p, e))}`);
  }
  const arms = eps.map((e, i) => `${i} : goto ${chainName('endpoint', endpointBase(p, e))}`);
  rule(chain, `numgen random mod ${eps.length} vmap { ${arms.join(' , ')} }`);
}
