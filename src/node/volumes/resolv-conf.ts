/**
 * The pod's /etc/resolv.conf (upstream `pkg/kubelet/network/dns/dns.go`,
 * rendered the way containerd writes it: `search`, `nameserver` lines,
 * `options`). Pure: the host's resolv.conf is passed in as text.
 *
 * Policies: `ClusterFirst` (default) → the cluster DNS server only, search
 * `<ns>.svc.<domain> svc.<domain> <domain>` then the host's search domains,
 * `options ndots:5`; a hostNetwork pod with `ClusterFirst` gets `Default`;
 * `ClusterFirstWithHostNet` → cluster DNS even on the host network;
 * `Default` → the host's resolv.conf; `None` → only `spec.dnsConfig`.
 * `spec.dnsConfig` is appended to every policy. Without a cluster DNS server
 * `ClusterFirst` falls back to `Default` with a `MissingClusterDNS` warning.
 */
import type { Pod, PodDNSConfigOption } from 'kubernetes-types/core/v1.js';
import { DEFAULT_CLUSTER_DOMAIN } from './etc-hosts.js';

/** Resolver settings: what a resolv.conf holds. */
export interface DNSConfig {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/**
 * The node's cluster DNS settings (kubelet `--cluster-dns`, `--cluster-domain`).
 * `searches` are extra search domains placed after the three cluster ones
 * (duplicates are dropped, so passing the cluster ones again is harmless);
 * `options` replace the default `ndots:5` when not empty.
 */
export interface ClusterDNS {
  nameserver: string;
  searches: string[];
  options: string[];
  /** Default `cluster.local`. */
  clusterDomain?: string;
}

/** A warning the kubelet would record as an Event on the pod. */
export interface DNSEvent {
  type: 'Warning';
  reason: 'DNSConfigForming' | 'MissingClusterDNS';
  message: string;
}

/** Upstream `MaxDNSNameservers`. */
export const MAX_DNS_NAMESERVERS = 3;
/** Upstream `MaxDNSSearchPathsExpanded`. */
export const MAX_DNS_SEARCH_PATHS = 32;
/** Upstream `MaxDNSSearchListCharsExpanded`. */
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const MAX_DOMAIN = 253;
const DEFAULT_OPTIONS = ['ndots:5'];

/**
 * Parses resolv.conf text: `nameserver` lines accumulate, the last `search`
 * and the last `options` line win, comments are skipped, trailing dots of
 * search domains are dropped.
 *
 * @example
 * parseResolvConf('nameserver 10.0.0.2\nsearch corp.\noptions ndots:2') // { nameservers: ['10.0.0.2'], searches: ['corp'], options: ['ndots:2'] }
 */
export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length === 0) continue;
    if (f[0] === 'nameserver' && f[1]) out.nameservers.push(f[1]);
    else if (f[0] === 'search') out.searches = f.slice(1).map((s) => s.replace(/\.$/, ''));
    else if (f[0] === 'options') out.options = f.slice(1);
  }
  return out;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** Options merged by name; `dnsConfig` options override existing ones, order of first appearance kept. */
function mergeOptions(existing: readonly string[], extra: readonly PodDNSConfigOption[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i >= 0) m.set(op.slice(0, i), op.slice(i + 1));
    else m.set(op, '');
  }
  for (const op of extra) if (op.name) m.set(op.name, op.value ?? '');
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

function fitSearches(searches: string[], events: DNSEvent[]): string[] {
  let exceeded = false;
  let s = searches;
  if (s.length > MAX_DNS_SEARCH_PATHS) {
    s = s.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  const kept = s.filter((d) => d.length <= MAX_DOMAIN);
  if (kept.length !== s.length) exceeded = true;
  s = kept;
  while (s.length && s.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
    s = s.slice(0, -1);
    exceeded = true;
  }
  if (exceeded) {
    events.push({
      type: 'Warning',
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${s.join(' ')}`,
    });
  }
  return s;
}

function fitNameservers(ns: string[], events: DNSEvent[]): string[] {
  if (ns.length <= MAX_DNS_NAMESERVERS) return ns;
  const kept = ns.slice(0, MAX_DNS_NAMESERVERS);
  events.push({
    type: 'Warning',
    reason: 'DNSConfigForming',
    message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${kept.join(' ')}`,
  });
  return kept;
}

/**
 * The resolver settings of `pod` and the warnings the kubelet would record.
 *
 * @example
 * podDNSConfig(pod, { host: parseResolvConf('nameserver 1.1.1.1'), clusterDNS: { nameserver: '127.96.0.10', searches: [], options: [] } })
 * // { config: { nameservers: ['127.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] }, events: [] }
 */
export function podDNSConfig(pod: Pod, input: { host: DNSConfig; clusterDNS?: ClusterDNS }): { config: DNSConfig; events: DNSEvent[] } {
  const events: DNSEvent[] = [];
  const spec = pod.spec;
  const ns = pod.metadata?.namespace ?? 'default';
  let policy = spec?.dnsPolicy || 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec?.hostNetwork) policy = 'Default';
  if (policy !== 'None' && policy !== 'Default' && policy !== 'ClusterFirst' && policy !== 'ClusterFirstWithHostNet') policy = 'ClusterFirst';

  let config: DNSConfig = { nameservers: [...input.host.nameservers], searches: [...input.host.searches], options: [...input.host.options] };
  if (policy === 'None') {
    config = { nameservers: [], searches: [], options: [] };
  } else if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') {
    const c = input.clusterDNS;
    if (c?.nameserver) {
      const domain = c.clusterDomain || DEFAULT_CLUSTER_DOMAIN;
      config = {
        nameservers: [c.nameserver],
        searches: unique([`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...c.searches, ...input.host.searches]),
        options: c.options.length ? [...c.options] : [...DEFAULT_OPTIONS],
      };
    } else {
      const who = `${pod.metadata?.name ?? ''}_${ns}(${pod.metadata?.uid ?? ''})`;
      events.push({
        type: 'Warning',
        reason: 'MissingClusterDNS',
        message: `pod: "${who}". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`,
      });
    }
  }

  const extra = spec?.dnsConfig;
  if (extra) {
    config = {
      nameservers: unique([...config.nameservers, ...(extra.nameservers ?? [])]),
      searches: unique([...config.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(config.options, extra.options ?? []),
    };
  }
  config.nameservers = fitNameservers(config.nameservers, events);
  config.searches = fitSearches(config.searches, events);
  return { config, events };
}

/**
 * resolv.conf text as containerd writes it; empty parts are left out.
 *
 * @example
 * renderResolvConf({ nameservers: ['127.96.0.10'], searches: ['a', 'b'], options: ['ndots:5'] })
 * // 'search a b\nnameserver 127.96.0.10\noptions ndots:5\n'
 */
export function renderResolvConf(c: DNSConfig): string {
  let out = '';
  if (c.searches.length) out += `search ${c.searches.join(' ')}\n`;
  for (const n of c.nameservers) out += `nameserver ${n}\n`;
  if (c.options.length) out += `options ${c.options.join(' ')}\n`;
  return out;
}
