/**
 * Renders the proxy's full state as `ipvsadm` commands, one per line — what
 * kube-proxy's IPVS mode (upstream `pkg/proxy/ipvs`) programs through netlink:
 * a virtual server (`-A`) per Service address and a real server (`-a`, NAT
 * forwarding `-m`, weight `-w`) per usable endpoint. ClientIP affinity is IPVS
 * persistence (`-p <seconds>`). Traffic policies pick the endpoint set per
 * address: ClusterIPs follow `internalTrafficPolicy`, externalIPs, LoadBalancer
 * IPs and NodePorts follow `externalTrafficPolicy` (Local: endpoints on the
 * local nodes only); terminating endpoints serve only when none is ready.
 *
 * Not rendered (kube-proxy keeps them in iptables + ipset beside IPVS): the
 * masquerade marks, REJECT for Services without endpoints (their virtual
 * servers are rendered with no real server) and loadBalancerSourceRanges.
 * IPVS needs every virtual address to be local — upstream binds them to the
 * dummy interface `kube-ipvs0`.
 */
import { isIPv6 } from 'node:net';
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import type { SchedulerName } from '../../schedulers/scheduler.js';
import { nodePortAddresses, planKernelServices } from '../iptables/kernel-service-plan.js';

/** Options of {@link renderIpvsadm}. */
export interface IpvsadmRenderOptions {
  /** The command each line starts with. Default `ipvsadm`. */
  readonly command?: string;
}

/** IPVS scheduler names of skiff's schedulers (`random` has none). */
export const IPVS_SCHEDULERS: Readonly<Record<SchedulerName, string | undefined>> = {
  rr: 'rr',
  wrr: 'wrr',
  lc: 'lc',
  dh: 'dh',
  sh: 'sh',
  sed: 'sed',
  nq: 'nq',
  random: undefined,
};

const SERVICE_FLAG: Readonly<Record<string, string>> = { tcp: '-t', udp: '-u', sctp: '--sctp-service' };

function hostPort(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Renders `state` as `ipvsadm` command lines (plus `#` comment lines).
 *
 * @example
 * renderIpvsadm(state)
 * // ipvsadm -A -t 127.96.0.20:80 -s rr
 * // ipvsadm -a -t 127.96.0.20:80 -r 127.128.1.5:8080 -m -w 1
 */
export function renderIpvsadm(state: ProxyState, opts: IpvsadmRenderOptions = {}): string {
  const cmd = opts.command ?? 'ipvsadm';
  const out: string[] = ['# kube-proxy IPVS mode: virtual addresses must be local (upstream binds them to the dummy interface kube-ipvs0)'];
  const addrs = nodePortAddresses(state);
  if (addrs.some((a) => a.startsWith('127.'))) out.push('# NodePorts on 127.0.0.0/8 serve local clients only (upstream IPVS mode skips loopback NodePort addresses)');
  const seen = new Set<string>();
  for (const p of planKernelServices(state)) {
    const sp = p.info;
    const flag = SERVICE_FLAG[p.proto];
    if (!flag) continue;
    const wanted = sp.scheduler ?? state.defaultScheduler;
    const sched = IPVS_SCHEDULERS[wanted];
    out.push(`# ${p.name}`);
    if (!sched) out.push(`# scheduler "${wanted}" has no IPVS equivalent; using rr`);
    const persist = sp.affinityTimeoutSeconds !== undefined ? ` -p ${sp.affinityTimeoutSeconds}` : '';
    const internal = sp.internalTrafficPolicy === 'Local' ? p.localEndpoints : p.clusterEndpoints;
    const external = sp.externalTrafficPolicy === 'Local' ? p.localEndpoints : p.clusterEndpoints;
    const virtual = (ip: string, port: number, eps: readonly EndpointInfo[]): void => {
      const vip = hostPort(ip, port);
      // An address claimed twice keeps its first owner, as planFrontends decides.
      if (seen.has(`${p.proto}/${vip}`)) return;
      seen.add(`${p.proto}/${vip}`);
      out.push(`${cmd} -A ${flag} ${vip} -s ${sched ?? 'rr'}${persist}`);
      if (eps.length === 0) out.push(`# ${p.name} has no ${eps === p.localEndpoints ? 'local ' : ''}endpoints: ${vip} has no real server`);
      for (const e of eps) out.push(`${cmd} -a ${flag} ${vip} -r ${hostPort(e.ip, e.port)} -m -w ${e.weight}`);
    };
    for (const ip of sp.clusterIPs) virtual(ip, sp.port, internal);
    for (const ip of sp.externalIPs) virtual(ip, sp.port, external);
    for (const ip of sp.loadBalancerIPs) virtual(ip, sp.port, external);
    if (sp.nodePort > 0) for (const ip of addrs) virtual(ip, sp.nodePort, external);
  }
  return out.join('\n') + '\n';
}
