/**
 * Cluster DNS (DNS spec 1.1.0, shaped like CoreDNS): a projection of Services,
 * EndpointSlices, Pods and Namespaces (`records.ts`), pure answers for the cluster
 * zone (`zone.ts`), a chain of handlers — loop guard, kubernetes, cache, forward —
 * over a UDP/TCP server (`server.ts`) whose fast path reuses encoded cluster
 * answers until the projection changes (`answer-cache.ts`), and the `kube-dns` Service that publishes
 * it (`publish.ts`). May import only `../api/`, `../client/`, Node built-ins and
 * declared dependencies (dns-packet for the wire format, prom-client).
 */
export { AnswerCache, parsePlainQuery, questionEchoes, type AnswerCacheOptions, type CachedAnswer, type PlainQuery } from './answer-cache.js';
export { CacheHandler, DnsCache, cacheKey, cachePlan, type CacheOptions, type CachePlan } from './cache.js';
export { ClusterDns, type ClusterDnsOptions } from './cluster-dns.js';
export { ExchangeError, Forwarder, ForwardHandler, type ForwarderOptions } from './forward.js';
export { KubernetesHandler } from './kubernetes.js';
export { LoopDetector, probeName } from './loop.js';
export { DnsMetrics, serveMetrics } from './metrics.js';
export {
  DEFAULT_CLUSTER_DNS_IP,
  KUBE_DNS_LABELS,
  METRICS_PORT,
  canBindPort,
  clusterDnsAddress,
  kubeDnsEndpoints,
  kubeDnsService,
  privilegedPortAllowed,
  publishClusterDns,
  type ClusterDnsAddressInputs,
  type PublishOptions,
} from './publish.js';
export { chain, rcodeReply, type DnsHandler, type DnsQuery, type DnsReply, type Next, type Rcode } from './query.js';
export { DnsRecords, toPodRecord, toServiceRecord, toSliceRecord, type EndpointRecord, type EndpointSliceRecord, type PodRecord, type PortRecord, type RecordSource, type RecordsWatchOptions, type ServiceRecord } from './records.js';
export { DEFAULT_DNS_HOST, DnsServer, type BoundAddress, type DnsServerOptions } from './server.js';
export { filterUpstreams, formatUpstream, hostResolvers, parseResolvConf, parseUpstream, type Upstream } from './upstream.js';
export { DEFAULT_ZONE_CONFIG, DNS_SCHEMA_VERSION, answerZone, type PodMode, type ZoneAnswer, type ZoneConfig } from './zone.js';
