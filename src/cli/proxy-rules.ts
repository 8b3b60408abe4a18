/**
 * `skiff proxy rules --mode iptables|nftables|ipvs`: prints the kernel ruleset
 * kube-proxy would program for the cluster's current Services, EndpointSlices
 * and Nodes — built by the proxy's own trackers ({@link buildProxyState}) and
 * rendered by the kernel data paths' renderers. Needs no root: nothing is
 * applied.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Client } from '../client/client.js';
import { buildProxyState, renderIptables, renderIpvsadm, renderNftables, type ProxyStateOptions } from '../proxy/index.js';
import { PROXY_RULE_MODES, type ProxyRuleMode } from '../proxy/modes.js';

export { PROXY_RULE_MODES, type ProxyRuleMode };

/** Options of {@link proxyRules}. */
export interface ProxyRulesOptions extends ProxyStateOptions {
  /** Pod network for the masquerade rules (`--cluster-cidr`). Default `127.128.0.0/9`, skiff's pod range. */
  clusterCIDR?: string;
}

/**
 * Lists Services, EndpointSlices and Nodes and renders the rules of `mode`.
 *
 * @example process.stdout.write(await proxyRules(client, 'iptables'))
 */
export async function proxyRules(client: Client, mode: ProxyRuleMode, opts: ProxyRulesOptions = {}): Promise<string> {
  if (!(PROXY_RULE_MODES as readonly string[]).includes(mode)) throw new Error(`unknown proxy rules mode "${String(mode)}": use iptables, nftables or ipvs`);
  const [services, slices, nodes] = await Promise.all([
    client.resource<Service>('', 'v1', 'services').listAll(),
    client.resource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices').listAll(),
    client.resource<Node>('', 'v1', 'nodes').listAll(),
  ]);
  const state = buildProxyState({ services: services.items, slices: slices.items, nodes: nodes.items }, opts);
  const clusterCIDR = opts.clusterCIDR ?? '127.128.0.0/9';
  if (mode === 'iptables') return renderIptables(state, { clusterCIDR });
  if (mode === 'nftables') return renderNftables(state, { clusterCIDR });
  return renderIpvsadm(state);
}
