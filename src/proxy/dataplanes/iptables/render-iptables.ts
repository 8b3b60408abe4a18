/**
 * Renders the proxy's full state as kube-proxy's iptables ruleset (upstream
 * `pkg/proxy/iptables/proxier.go`), in `iptables-restore` format for the filter
 * and nat tables, to be applied with `iptables-restore --noflush`: every
 * KUBE-* chain is declared (which flushes it) and rewritten, so one write
 * replaces the whole service ruleset atomically while other chains stay.
 *
 * Chains: KUBE-SERVICES (ClusterIP, externalIP, LoadBalancer dispatch),
 * KUBE-NODEPORTS, KUBE-SVC-<hash> (Cluster policy: every usable endpoint),
 * KUBE-SVL-<hash> (Local policy: local endpoints), KUBE-EXT-<hash> (external
 * traffic: masquerade, or short-circuit of pod and host traffic for Local),
 * KUBE-FW-<hash> (loadBalancerSourceRanges), KUBE-SEP-<hash> (one endpoint:
 * hairpin masquerade + DNAT), KUBE-MARK-MASQ / KUBE-POSTROUTING (masquerade
 * marks). Filter: REJECT for no endpoints, DROP for Local without local ones.
 *
 * IPv4 only: IPv6 addresses belong to an ip6tables ruleset and are skipped.
 */
import { isIPv4 } from 'node:net';
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import { endpointChain, serviceChains } from './chain-names.js';
import { nodePortAddresses, planKernelServices, type KernelServicePlan } from './kernel-service-plan.js';

/** Options of {@link renderIptables}. */
export interface IptablesRenderOptions {
  /**
   * The pod network (upstream `--cluster-cidr`): ClusterIP traffic from outside
   * it is masqueraded, and pod traffic to external addresses of Local services
   * is short-circuited. Default: none (no such rules, like upstream without a
   * local-traffic detector).
   */
  readonly clusterCIDR?: string;
  /** Masquerade all ClusterIP traffic (upstream `--masquerade-all`). Default false. */
  readonly masqueradeAll?: boolean;
  /** The masquerade mark bit (upstream `--iptables-masquerade-bit`, default 14 → 0x4000). */
  readonly masqueradeBit?: number;
  /**
   * nat chains present from an earlier sync: the unused KUBE-SVC/SVL/EXT/FW/SEP
   * ones get deleted (`-X`). Default none.
   */
  readonly existingNatChains?: Iterable<string>;
}

const OWN_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|SEP)-/;

/** Quotes an iptables comment that has spaces, as iptables-save prints it. */
function comment(text: string): string {
  return /\s/.test(text) ? `"${text}"` : text;
}

/** iptables' `--probability` of the i-th of n rules: 1/(n-i), 10 decimals as upstream. */
function probability(n: number, i: number): string {
  return (1 / (n - i)).toFixed(10);
}

/**
 * Renders `state` as `iptables-restore` input (filter then nat, each ending in COMMIT).
 *
 * @example
 * const text = renderIptables(state, { clusterCIDR: '127.128.0.0/9' });
 * // pipe into: iptables-restore --noflush
 */
export function renderIptables(state: ProxyState, opts: IptablesRenderOptions = {}): string {
  const mark = `0x${(1 << (opts.masqueradeBit ?? 14)).toString(16)}`;
  const filterChains = ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-PROXY-FIREWALL'].map((c) => `:${c} - [0:0]`);
  const filterRules: string[] = [];
  const natChains = ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING'].map((c) => `:${c} - [0:0]`);
  const natRules: string[] = [
    `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`,
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`,
  ];
  const active = new Set<string>();
  const declare = (chain: string): void => {
    active.add(chain);
    natChains.push(`:${chain} - [0:0]`);
  };

  for (const p of planKernelServices(state)) {
    const sp = p.info;
    const pm = `-m ${p.proto} -p ${p.proto}`;
    const ch = serviceChains(p.name, p.proto);
    const clusterIPs = sp.clusterIPs.filter((ip) => isIPv4(ip));
    const externalChain = p.external === 'ext' ? ch.ext : undefined;
    const usesFW = externalChain !== undefined && sp.loadBalancerSourceRanges.length > 0;
    const verdict = (v: 'reject' | 'drop'): string => comment(v === 'drop' ? `${p.name} has no local endpoints` : `${p.name} has no endpoints`);
    const target = (v: 'reject' | 'drop'): string => (v === 'drop' ? 'DROP' : 'REJECT');

    if (p.usesClusterChain) declare(ch.svc);
    if (p.usesLocalChain) declare(ch.svl);
    if (externalChain && p.externallyAccessible) declare(ch.ext);
    if (usesFW) declare(ch.fw);
    const eps = p.allEndpoints.filter((e) => isIPv4(e.ip));
    for (const e of eps) declare(endpointChain(p.name, p.proto, e.key));

    // ClusterIP.
    for (const ip of clusterIPs) {
      if (p.internal === 'cluster' || p.internal === 'local') {
        natRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${p.name} cluster IP`)} ${pm} -d ${ip} --dport ${sp.port} -j ${p.internal === 'cluster' ? ch.svc : ch.svl}`);
      } else filterRules.push(`-A KUBE-SERVICES -m comment --comment ${verdict(p.internal)} ${pm} -d ${ip} --dport ${sp.port} -j ${target(p.internal)}`);
    }
    // externalIPs, LoadBalancer ingress IPs, NodePorts.
    for (const ip of sp.externalIPs.filter((a) => isIPv4(a))) {
      if (externalChain) natRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${p.name} external IP`)} ${pm} -d ${ip} --dport ${sp.port} -j ${externalChain}`);
      else filterRules.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${verdict(p.external as 'reject' | 'drop')} ${pm} -d ${ip} --dport ${sp.port} -j ${target(p.external as 'reject' | 'drop')}`);
    }
    for (const ip of sp.loadBalancerIPs.filter((a) => isIPv4(a))) {
      if (externalChain) {
        natRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${p.name} loadbalancer IP`)} ${pm} -d ${ip} --dport ${sp.port} -j ${usesFW ? ch.fw : externalChain}`);
        if (usesFW) filterRules.push(`-A KUBE-PROXY-FIREWALL -m comment --comment ${comment(`${p.name} traffic not accepted by ${ch.fw}`)} ${pm} -d ${ip} --dport ${sp.port} -j DROP`);
      } else filterRules.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${verdict(p.external as 'reject' | 'drop')} ${pm} -d ${ip} --dport ${sp.port} -j ${target(p.external as 'reject' | 'drop')}`);
    }
    if (sp.nodePort > 0) {
      if (externalChain) natRules.push(`-A KUBE-NODEPORTS -m comment --comment ${comment(p.name)} ${pm} --dport ${sp.nodePort} -j ${externalChain}`);
      else filterRules.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${verdict(p.external as 'reject' | 'drop')} -m addrtype --dst-type LOCAL ${pm} --dport ${sp.nodePort} -j ${target(p.external as 'reject' | 'drop')}`);
    }

    // The Cluster policy chain: masquerade off-cluster clients, then pick an endpoint.
    if (p.usesClusterChain) {
      for (const ip of clusterIPs) {
        const head = `-A ${ch.svc} -m comment --comment ${comment(`${p.name} cluster IP`)} ${pm} -d ${ip} --dport ${sp.port}`;
        if (opts.masqueradeAll) natRules.push(`${head} -j KUBE-MARK-MASQ`);
        else if (opts.clusterCIDR) natRules.push(`${head} ! -s ${opts.clusterCIDR} -j KUBE-MARK-MASQ`);
      }
      natRules.push(...endpointRules(ch.svc, p, p.clusterEndpoints.filter((e) => isIPv4(e.ip))));
    }
    // The external chain: who gets masqueraded, then the policy chain.
    if (externalChain && p.externallyAccessible) {
      if (sp.externalTrafficPolicy !== 'Local') {
        natRules.push(`-A ${ch.ext} -m comment --comment ${comment(`masquerade traffic for ${p.name} external destinations`)} -j KUBE-MARK-MASQ`);
        natRules.push(`-A ${ch.ext} -j ${ch.svc}`);
      } else {
        // Local keeps the client address; pod and host clients are short-circuited
        // to the cluster chain instead (they would otherwise be dropped on nodes
        // without a local endpoint).
        if (p.usesClusterChain) {
          if (opts.clusterCIDR) natRules.push(`-A ${ch.ext} -m comment --comment ${comment(`pod traffic for ${p.name} external destinations`)} -s ${opts.clusterCIDR} -j ${ch.svc}`);
          natRules.push(`-A ${ch.ext} -m comment --comment ${comment(`masquerade LOCAL traffic for ${p.name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
          natRules.push(`-A ${ch.ext} -m comment --comment ${comment(`route LOCAL traffic for ${p.name} external destinations`)} -m addrtype --src-type LOCAL -j ${ch.svc}`);
        }
        natRules.push(`-A ${ch.ext} -j ${ch.svl}`);
      }
    }
    if (usesFW) {
      for (const range of sp.loadBalancerSourceRanges) natRules.push(`-A ${ch.fw} -m comment --comment ${comment(`${p.name} loadbalancer IP`)} -s ${range} -j ${ch.ext}`);
      natRules.push(`-A ${ch.fw} -m comment --comment ${comment(`other traffic to ${p.name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
    }
    if (p.usesLocalChain) natRules.push(...endpointRules(ch.svl, p, p.localEndpoints.filter((e) => isIPv4(e.ip))));
    for (const e of eps) {
      const sep = endpointChain(p.name, p.proto, e.key);
      natRules.push(`-A ${sep} -m comment --comment ${comment(p.name)} -s ${e.ip} -j KUBE-MARK-MASQ`);
      const recent = sp.affinityTimeoutSeconds !== undefined ? ` -m recent --name ${sep} --set` : '';
      natRules.push(`-A ${sep} -m comment --comment ${comment(p.name)}${recent} ${pm} -j DNAT --to-destination ${e.key}`);
    }
  }

  for (const chain of opts.existingNatChains ?? []) {
    if (!OWN_CHAIN.test(chain) || active.has(chain)) continue;
    // Declaring flushes it; then it can go.
    natChains.push(`:${chain} - [0:0]`);
    natRules.push(`-X ${chain}`);
  }

  const addrs = nodePortAddresses(state).filter((a) => isIPv4(a));
  if (addrs.some((a) => a.startsWith('127.'))) {
    natRules.push('# NodePorts on 127.0.0.0/8 reach non-loopback endpoints only with sysctl net.ipv4.conf.all.route_localnet=1 (as upstream kube-proxy sets it)');
  }
  for (const a of addrs) natRules.push(`-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d ${a} -j KUBE-NODEPORTS`);

  filterRules.push(
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  return ['*filter', ...filterChains, ...filterRules, 'COMMIT', '*nat', ...natChains, ...natRules, 'COMMIT', ''].join('\n');
}

/** Affinity checks, then the random spread over `eps` (upstream `writeServiceToEndpointRules`). */
function endpointRules(chain: string, p: KernelServicePlan, eps: readonly EndpointInfo[]): string[] {
  const out: string[] = [];
  const seconds = p.info.affinityTimeoutSeconds;
  if (seconds !== undefined) {
    for (const e of eps) {
      const sep = endpointChain(p.name, p.proto, e.key);
      out.push(`-A ${chain} -m comment --comment ${comment(`${p.name} -> ${e.key}`)} -m recent --name ${sep} --rcheck --seconds ${seconds} --reap -j ${sep}`);
    }
  }
  eps.forEach((e, i) => {
    const sep = endpointChain(p.name, p.proto, e.key);
    const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length, i)}` : '';
    out.push(`-A ${chain} -m comment --comment ${comment(`${p.name} -> ${e.key}`)}${stat} -j ${sep}`);
  });
  return out;
}

/**
 * The chain names declared in a rendered (or `iptables-save`d) table, for
 * {@link IptablesRenderOptions.existingNatChains}.
 *
 * @example chainsOf(previousText, 'nat') // ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-SVC-…', …]
 */
export function chainsOf(text: string, table: 'nat' | 'filter'): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) inTable = line === `*${table}`;
    else if (inTable && line.startsWith(':')) out.push(line.slice(1).split(' ')[0]!);
  }
  return out;
}
