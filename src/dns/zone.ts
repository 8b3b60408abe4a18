/**
 * The answers for the cluster zone (CoreDNS `plugin/kubernetes`, DNS spec 1.1.0)
 * as one pure function of (question, records, config). It follows CoreDNS's
 * parse → find → shape pipeline: the name is parsed into `[_port._proto. |
 * endpoint.] service.namespace.svc|pod`, the projection yields "entries" (an IP or
 * a CNAME target, a port, the owner name a SRV target uses), and each query type
 * shapes those into records. A name that exists without records of the asked type
 * is NODATA (NOERROR + SOA); a name that does not exist is NXDOMAIN (+ SOA).
 */
import type { Answer } from 'dns-packet';
import { endpointHostname, ipFamily, isReverseName, normalizeName, podLabelToIP, reverseNameToIP, trimZone } from './names.js';
import { rcodeReply, type DnsReply, type Rcode } from './query.js';
import type { EndpointRecord, PortRecord, RecordSource, ServiceRecord } from './records.js';

/**
 * How `<ip>.<ns>.pod.<zone>` is answered (CoreDNS `pods`): `disabled` → NXDOMAIN,
 * `insecure` → any well-formed dashed IP in an existing namespace answers that IP,
 * `verified` → only IPs of pods in that namespace.
 */
export type PodMode = 'disabled' | 'insecure' | 'verified';

/** Configuration of the cluster zone. */
export interface ZoneConfig {
  /** The cluster domain, normalized (`cluster.local`). */
  zone: string;
  /** TTL of every answer (CoreDNS `ttl`). Default 5. */
  ttl: number;
  /** Default `insecure` (kubeadm's Corefile). */
  podMode: PodMode;
  /**
   * The DNS server's own IPs: the NS record names the Service whose endpoints are
   * these IPs (`kube-dns`), else `ns.dns.<zone>` with these IPs.
   */
  localIPs: string[];
}

/** Defaults for {@link ZoneConfig}. */
export const DEFAULT_ZONE_CONFIG: ZoneConfig = { zone: 'cluster.local', ttl: 5, podMode: 'insecure', localIPs: [] };

/** The schema version `dns-version.<zone>` TXT reports. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** TTL of the `dns-version` record (the spec's example and CoreDNS). */
const VERSION_TTL = 28800;
/** CoreDNS refuses to follow CNAME chains longer than this. */
const MAX_CNAME_CHAIN = 10;

/** Follow-up work an answer leaves to the next handler: resolve the ExternalName target. */
export interface Chase {
  name: string;
  type: 'A' | 'AAAA';
}

/** An answer of the zone, with an optional chase the handler performs through `next`. */
export interface ZoneAnswer {
  reply: DnsReply;
  chase?: Chase;
}

/** A found name: an address or a CNAME target, a port (-1 when none) and the owner name SRV targets use. */
interface Entry {
  host: string;
  port: number;
  target: string;
}

const NAME_ERROR = Symbol('name error');
type Found = Entry[] | typeof NAME_ERROR;

interface Parsed {
  kind: '' | 'svc' | 'pod';
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/** Parses the zone-relative part of a name; undefined when it can never exist. */
function parse(base: string): Parsed | undefined {
  const r: Parsed = { kind: '', namespace: '', service: '', endpoint: '', port: '', protocol: '' };
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  const kind = segs[last];
  if (kind !== 'svc' && kind !== 'pod') return undefined;
  r.kind = kind;
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0]!;
  else if (last === 1) {
    r.port = stripUnderscore(segs[0]!);
    r.protocol = stripUnderscore(segs[1]!);
  } else return undefined;
  return r;
}

const NO_PORT: readonly PortRecord[] = [{ name: '', port: -1, protocol: '' }];

function portMatches(r: Parsed, p: PortRecord): boolean {
  return (r.port === '' || r.port === p.name) && (r.protocol === '' || r.protocol === p.protocol.toLowerCase());
}

/** Whether an endpoint answers: ready, or its Service publishes not-ready addresses. */
function served(ep: EndpointRecord, svc: ServiceRecord | undefined): boolean {
  return ep.ready || svc?.publishNotReady === true;
}

function findServices(r: Parsed, src: RecordSource, cfg: ZoneConfig): Found {
  if (!r.service) return [];
  const svc = src.service(r.namespace, r.service);
  if (!svc) return NAME_ERROR;
  const svcName = `${svc.name}.${svc.namespace}.svc.${cfg.zone}`;
  if (svc.externalName !== undefined) {
    // ExternalName has no endpoints and no ports to ask for.
    if (r.endpoint || r.port || r.protocol || ipFamily(svc.externalName)) return NAME_ERROR;
    return [{ host: svc.externalName, port: -1, target: svcName }];
  }
  const out: Entry[] = [];
  if (svc.headless || r.endpoint) {
    for (const slice of src.endpointSlices(svc.namespace, svc.name)) {
      const ports = slice.ports.length ? slice.ports : NO_PORT;
      for (const ep of slice.endpoints) {
        if (!served(ep, svc)) continue;
        if (r.endpoint && ep.hostname !== r.endpoint) continue;
        for (const p of ports) {
          if (portMatches(r, p)) out.push({ host: ep.ip, port: p.port, target: `${ep.hostname}.${svcName}` });
        }
      }
    }
    // DNS spec 2.4.1: a headless Service without ready endpoints is NXDOMAIN.
    return out.length ? out : NAME_ERROR;
  }
  let matched = false;
  for (const p of svc.ports.length ? svc.ports : NO_PORT) {
    if (!portMatches(r, p)) continue;
    matched = true;
    for (const ip of svc.clusterIPs) out.push({ host: ip, port: p.port, target: svcName });
  }
  return matched ? out : NAME_ERROR;
}

function findPods(r: Parsed, src: RecordSource, cfg: ZoneConfig): Found {
  if (cfg.podMode === 'disabled') return NAME_ERROR;
  if (!r.service) return [];
  // Pod records are exactly <ip>.<ns>.pod.<zone>; nothing lives below them.
  if (r.endpoint || r.port || r.protocol) return NAME_ERROR;
  const ip = podLabelToIP(r.service);
  if (!ip) return NAME_ERROR;
  const entry: Entry = { host: ip, port: -1, target: `${r.service}.${r.namespace}.pod.${cfg.zone}` };
  if (cfg.podMode === 'insecure') return [entry];
  return src.podsByIP(ip).some((p) => p.namespace === r.namespace) ? [entry] : NAME_ERROR;
}

/** The entries of a zone-relative name (CoreDNS `Records`). */
function find(base: string, src: RecordSource, cfg: ZoneConfig): Found {
  const r = parse(base);
  if (!r) return NAME_ERROR;
  if (r.kind === '') return [];
  if (!src.namespaceExists(r.namespace)) return NAME_ERROR;
  return r.kind === 'pod' ? findPods(r, src, cfg) : findServices(r, src, cfg);
}

/** The addresses the NS record and `ns.dns.<zone>` name (CoreDNS `nsAddrs`). */
function nsAddresses(src: RecordSource, cfg: ZoneConfig): Array<{ name: string; ip: string }> {
  const out: Array<{ name: string; ip: string }> = [];
  let found = false;
  for (const local of cfg.localIPs) {
    for (const slice of src.slicesByIP(local)) {
      found = true;
      const svc = src.service(slice.namespace, slice.service);
      if (!svc) continue;
      const svcName = `${svc.name}.${svc.namespace}.svc.${cfg.zone}`;
      if (svc.headless) {
        for (const ep of slice.endpoints) if (served(ep, svc)) out.push({ name: `${ep.hostname}.${svcName}`, ip: ep.ip });
      } else for (const ip of svc.clusterIPs) out.push({ name: svcName, ip });
    }
  }
  if (!found) for (const ip of cfg.localIPs) out.push({ name: `ns.dns.${cfg.zone}`, ip });
  const seen = new Set<string>();
  return out.filter((a) => !seen.has(`${a.name}|${a.ip}`) && !!seen.add(`${a.name}|${a.ip}`));
}

function addressRecord(name: string, ip: string, ttl: number): Answer | undefined {
  const fam = ipFamily(ip);
  if (fam === 4) return { type: 'A', name, ttl, data: ip };
  if (fam === 6) return { type: 'AAAA', name, ttl, data: ip };
  return undefined;
}

/** The SOA of the zone (CoreDNS `plugin.SOA`): TTL min(ttl, 300), minimum = ttl. */
export function soaRecord(src: RecordSource, cfg: ZoneConfig): Answer {
  return {
    type: 'SOA',
    name: cfg.zone,
    ttl: Math.min(cfg.ttl, 300),
    data: { mname: `ns.dns.${cfg.zone}`, rname: `hostmaster.${cfg.zone}`, serial: src.serial() >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: cfg.ttl },
  };
}

interface Shaped {
  error?: true;
  answers: Answer[];
  additionals?: Answer[];
  chase?: Chase;
}

/** A/AAAA (CoreDNS `plugin.A`/`AAAA`), following in-zone CNAMEs and leaving out-of-zone ones to a chase. */
function addresses(qname: string, name: string, type: 'A' | 'AAAA', src: RecordSource, cfg: ZoneConfig, depth: number): Shaped {
  if (name === `ns.dns.${cfg.zone}`) {
    const answers: Answer[] = [];
    for (const a of nsAddresses(src, cfg)) {
      const rr = addressRecord(qname, a.ip, cfg.ttl);
      if (rr && rr.type === type) answers.push(rr);
    }
    return { answers };
  }
  const base = trimZone(name, cfg.zone);
  if (base === undefined) return { error: true, answers: [] };
  const found = find(base, src, cfg);
  if (found === NAME_ERROR) return { error: true, answers: [] };
  const answers: Answer[] = [];
  const seen = new Set<string>();
  let chase: Chase | undefined;
  for (const e of found) {
    const fam = ipFamily(e.host);
    if (fam === 0) {
      const target = normalizeName(e.host);
      if (target === name || depth >= MAX_CNAME_CHAIN) continue; // x CNAME x is a loop
      const cname: Answer = { type: 'CNAME', name: qname, ttl: cfg.ttl, data: e.host };
      if (trimZone(target, cfg.zone) !== undefined) {
        const sub = addresses(e.host, target, type, src, cfg, depth + 1);
        if (!sub.error && sub.answers.length) {
          answers.push(cname, ...sub.answers);
          chase = sub.chase;
        }
        continue;
      }
      answers.push(cname);
      chase = { name: e.host, type };
      continue;
    }
    if ((fam === 4) !== (type === 'A') || seen.has(e.host)) continue;
    seen.add(e.host);
    answers.push({ type, name: qname, ttl: cfg.ttl, data: e.host });
  }
  return { answers, ...(chase ? { chase } : {}) };
}

/** SRV (CoreDNS `plugin.SRV`): one record per (target, port), the targets' addresses as additionals. */
function srv(qname: string, base: string, src: RecordSource, cfg: ZoneConfig): Shaped {
  const found = find(base, src, cfg);
  if (found === NAME_ERROR) return { error: true, answers: [] };
  // ExternalName targets have no SRV form (CoreDNS drops them).
  const entries = found.filter((e) => ipFamily(e.host) !== 0);
  // Equal weights summing to ~100 within the one priority (0) used.
  const weight = Math.max(1, Math.floor(100 / Math.max(1, entries.length)));
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.port === -1) continue;
    const srvKey = `${e.target}|${e.port}`;
    if (!seen.has(srvKey)) {
      seen.add(srvKey);
      answers.push({ type: 'SRV', name: qname, ttl: cfg.ttl, data: { priority: 0, weight, port: e.port, target: e.target } });
    }
    const addrKey = `${e.target}|@${e.host}`;
    if (!seen.has(addrKey)) {
      seen.add(addrKey);
      const rr = addressRecord(e.target, e.host, cfg.ttl);
      if (rr) additionals.push(rr);
    }
  }
  return { answers, additionals };
}

/** PTR for ClusterIPs, then for served endpoint addresses (CoreDNS `serviceRecordForIP`). */
function reversePtr(qname: string, ip: string, src: RecordSource, cfg: ZoneConfig): Answer[] {
  const svc = src.servicesByIP(ip)[0];
  if (svc) return [{ type: 'PTR', name: qname, ttl: cfg.ttl, data: `${svc.name}.${svc.namespace}.svc.${cfg.zone}` }];
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const slice of src.slicesByIP(ip)) {
    const owner = src.service(slice.namespace, slice.service);
    for (const ep of slice.endpoints) {
      if (ep.ip !== ip || !served(ep, owner)) continue;
      const target = `${ep.hostname || endpointHostname(ip)}.${slice.service}.${slice.namespace}.svc.${cfg.zone}`;
      if (seen.has(target)) continue;
      seen.add(target);
      out.push({ type: 'PTR', name: qname, ttl: cfg.ttl, data: target });
    }
  }
  return out;
}

/** Whether a normalized name in the zone exists (has any record). */
function exists(name: string, src: RecordSource, cfg: ZoneConfig): boolean {
  if (name === cfg.zone || name === `ns.dns.${cfg.zone}` || name === `dns-version.${cfg.zone}`) return true;
  const base = trimZone(name, cfg.zone);
  return base !== undefined && find(base, src, cfg) !== NAME_ERROR;
}

/**
 * Answers one question for the cluster zone and the reverse zones, or returns
 * undefined when the name is not served here (the chain passes it on): names
 * outside the zone, and reverse names with no Service or endpoint behind them
 * (kubeadm's `fallthrough in-addr.arpa ip6.arpa`).
 *
 * @example
 * answerZone({ name: 'web.default.svc.cluster.local', type: 'A' }, records, DEFAULT_ZONE_CONFIG)
 * // → { reply: { rcode: 'NOERROR', answers: [{ type: 'A', data: '127.96.0.12', ttl: 5, … }], … } }
 */
export function answerZone(q: { name: string; type: string }, src: RecordSource, cfg: ZoneConfig): ZoneAnswer | undefined {
  const name = normalizeName(q.name);
  const qname = q.name.endsWith('.') ? q.name.slice(0, -1) : q.name;
  if (isReverseName(name)) {
    if (q.type !== 'PTR') return undefined;
    const ip = reverseNameToIP(name);
    const answers = ip ? reversePtr(qname, ip, src, cfg) : [];
    if (!answers.length) return undefined;
    return { reply: { rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals: [] } };
  }
  const base = trimZone(name, cfg.zone);
  if (base === undefined) return undefined;

  let shaped: Shaped;
  switch (q.type) {
    case 'AXFR':
    case 'IXFR':
      return { reply: rcodeReply('REFUSED') };
    case 'A':
    case 'AAAA':
      shaped = name === `dns-version.${cfg.zone}` ? { answers: [] } : addresses(qname, name, q.type, src, cfg, 0);
      break;
    case 'SRV':
      shaped = name === `ns.dns.${cfg.zone}` || name === `dns-version.${cfg.zone}` ? { answers: [] } : srv(qname, base, src, cfg);
      break;
    case 'TXT':
      if (name === `dns-version.${cfg.zone}`) shaped = { answers: [{ type: 'TXT', name: qname, ttl: VERSION_TTL, data: DNS_SCHEMA_VERSION }] };
      else shaped = exists(name, src, cfg) ? { answers: [] } : { error: true, answers: [] };
      break;
    case 'CNAME': {
      if (!exists(name, src, cfg)) shaped = { error: true, answers: [] };
      else {
        const found = name === cfg.zone ? [] : find(base, src, cfg);
        const ext = found === NAME_ERROR ? undefined : found.find((e) => ipFamily(e.host) === 0);
        shaped = { answers: ext ? [{ type: 'CNAME', name: qname, ttl: cfg.ttl, data: ext.host }] : [] };
      }
      break;
    }
    case 'SOA':
      if (name === cfg.zone) shaped = { answers: [{ ...soaRecord(src, cfg), name: qname }] };
      else shaped = exists(name, src, cfg) ? { answers: [] } : { error: true, answers: [] };
      break;
    case 'NS':
      if (name === cfg.zone) {
        const answers: Answer[] = [];
        const additionals: Answer[] = [];
        const seen = new Set<string>();
        for (const a of nsAddresses(src, cfg)) {
          if (!seen.has(a.name)) {
            seen.add(a.name);
            answers.push({ type: 'NS', name: qname, ttl: cfg.ttl, data: a.name });
          }
          const rr = addressRecord(a.name, a.ip, cfg.ttl);
          if (rr) additionals.push(rr);
        }
        shaped = { answers, additionals };
      } else shaped = exists(name, src, cfg) ? { answers: [] } : { error: true, answers: [] };
      break;
    default:
      shaped = exists(name, src, cfg) ? { answers: [] } : { error: true, answers: [] };
  }

  const soa = (): Answer[] => [soaRecord(src, cfg)];
  if (shaped.error) {
    // Before the first full list every name looks missing; SERVFAIL makes clients retry instead of caching a denial.
    const rcode: Rcode = src.hasSynced() ? 'NXDOMAIN' : 'SERVFAIL';
    return { reply: { rcode, authoritative: true, answers: [], authorities: soa(), additionals: [] } };
  }
  if (!shaped.answers.length) return { reply: { rcode: 'NOERROR', authoritative: true, answers: [], authorities: soa(), additionals: [] } };
  return {
    reply: { rcode: 'NOERROR', authoritative: true, answers: shaped.answers, authorities: [], additionals: shaped.additionals ?? [] },
    ...(shaped.chase ? { chase: shaped.chase } : {}),
  };
}
