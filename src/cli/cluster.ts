/**
 * Wires one skiff cluster in this process: store → registry (with the per-kind
 * strategies) → API server → bootstrap objects → components (controllers,
 * scheduler, node agents; in a worker thread by default). `skiff up` and
 * the tests both start clusters through `startCluster`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { Registry } from '../apiserver/registry.js';
import { ApiServer } from '../apiserver/server.js';
import { installStrategies, type ClusterNetworkConfig } from '../apiserver/strategies.js';
import { bootstrapCluster } from '../apiserver/bootstrap.js';
import { startEventExpiry } from '../apiserver/event-ttl.js';
import { Client } from '../client/client.js';
import { LocalTransport } from '../apiserver/local-transport.js';
import type { ComponentOptions } from './components-base.js';
import { startComponentsThread } from './components-thread.js';
import { TokenAuthenticator, dialHost, ensurePki, isWildcardHost, loadOrCreateTokens, secureModeFor } from '../apiserver/auth/index.js';

export interface ClusterOptions extends Partial<ClusterNetworkConfig> {
  dataDir: string;
  /** `memory`, `sqlite` (default) or `sqlite:///path.db`. */
  store?: string;
  host?: string;
  /**
   * Serve HTTPS with bearer-token authentication even on loopback (`--secure`).
   * Secure mode is always on when `host` is not a loopback address.
   */
  secure?: boolean;
  /** Secure mode: the join token agents present (`--join-token`); default a stored random one. */
  joinToken?: string;
  /** 0 picks a free port. Default 6443. */
  port?: number;
  log?: (line: string) => void;
  /**
   * `all` (default): every controller, the scheduler and the simulated node pool.
   * `core`: only the namespace, garbage-collector and service-account controllers —
   * for tests that play the other components themselves.
   */
  controllers?: 'all' | 'core';
  /** Simulated nodes to start (`node-1`…`node-N`); default 0 here, 3 from `skiff up`. */
  nodes?: number;
  /** `--node-monitor-grace-period` in seconds (default 40). */
  nodeMonitorGracePeriodSeconds?: number;
  /** `--node-lease-duration-seconds` of the nodes this process runs (default 40). */
  nodeLeaseDurationSeconds?: number;
  /** `--sim-ready-delay`: [min, max] ms before a pod on a simulated node is Running and Ready (default [0, 500]). */
  simReadyDelayMs?: [number, number];
  /** `--event-ttl`: how long Events live, default 1 h. */
  eventTTLMs?: number;
  /** Structured log level for components (pino), default `warn`. */
  logLevel?: string;
  /** `--cluster-dns`: the kube-dns ClusterIP, or `off` (default here; `skiff up` passes 127.96.0.10). */
  clusterDNS?: string;
  /** `--cluster-domain`, default `cluster.local`. */
  clusterDomain?: string;
  /** `--dns-upstream` resolvers for names outside the cluster; default /etc/resolv.conf. */
  dnsUpstreams?: string[];
  /** `--dns-readers`: processes reading the DNS server's UDP socket. Default 1. */
  dnsReaders?: number;
  /** `--cluster-cidr` (pod IPs), default 127.128.0.0/9. */
  clusterCIDR?: string;
  /** `--node-ip-range` (node InternalIPs), default 127.0.1.0/24. */
  nodeCIDR?: string;
  /** How nodes run pods: `process` or `simulated` (default here; `skiff up` defaults to process). */
  runtime?: 'process' | 'simulated';
  /** Process runtime: `simulate` (default) or `fail` for images with no built-in program and no command. */
  imageFallback?: 'simulate' | 'fail';
  /** The service proxy, or false (default here; `skiff up` turns it on: see `ComponentOptions.proxy`). */
  proxy?: ComponentOptions['proxy'];
  /** `--load-balancer-ip-range` (CIDR or first-last), default 127.112.0.0/16. */
  loadBalancerIPRange?: string;
  /** Run the components in a worker thread (default true); false keeps them in this thread (profiling, debugging). */
  componentsThread?: boolean;
}

/** Credentials of a secure-mode cluster (HTTPS + bearer tokens). */
export interface ClusterAuth {
  /** Token of `skiff-admin` (goes into the kubeconfig). */
  adminToken: string;
  /** Token agents join with. */
  joinToken: string;
  /** PEM of the CA that signs the serving certificate. */
  caCert: string;
  /** `<data-dir>/pki/ca.crt` */
  caFile: string;
}

export interface Cluster {
  server: ApiServer;
  store: Store;
  /** `http://127.0.0.1:<port>`, or `https://…` in secure mode (127.0.0.1 for a wildcard host). */
  url: string;
  /** Present in secure mode. */
  auth?: ClusterAuth;
  /** A client that reaches the API server in memory (no TCP). */
  client: Client;
  stop(): Promise<void>;
}

/** Default address plan (DESIGN.md). */
export const DEFAULT_NETWORK: ClusterNetworkConfig = {
  serviceClusterIPRange: '127.96.0.0/12',
  serviceNodePortRange: '30000-32767',
};

/** Starts the API server and everything behind it; resolves when it answers requests. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const t0 = Date.now();
  const store = await openStore(opts.store ?? 'sqlite', opts.dataDir);
  log(`store: ${store.kind} (revision ${await store.currentRevision()})`);
  const registry = new Registry(store);
  const net: ClusterNetworkConfig = {
    serviceClusterIPRange: opts.serviceClusterIPRange ?? DEFAULT_NETWORK.serviceClusterIPRange,
    serviceNodePortRange: opts.serviceNodePortRange ?? DEFAULT_NETWORK.serviceNodePortRange,
  };
  const strategies = await installStrategies(registry, net);
  const host = opts.host ?? '127.0.0.1';
  const secure = secureModeFor(host, opts.secure);
  let auth: ClusterAuth | undefined;
  let tls: { key: string; cert: string } | undefined;
  let authenticator: TokenAuthenticator | undefined;
  if (secure) {
    const pki = await ensurePki(opts.dataDir, { host, clusterDomain: opts.clusterDomain ?? 'cluster.local', kubernetesServiceIP: strategies.kubernetesServiceIP });
    if (pki.servingRegenerated) log(`pki: serving certificate written to ${pki.certFile} (CA ${pki.caCertFile})`);
    const tokens = loadOrCreateTokens(opts.dataDir, opts.joinToken);
    auth = { adminToken: tokens.admin, joinToken: tokens.join, caCert: pki.caCert, caFile: pki.caCertFile };
    tls = { key: pki.key, cert: pki.cert };
    authenticator = new TokenAuthenticator(tokens);
  }
  const server: ApiServer = new ApiServer({
    registry,
    host,
    port: opts.port ?? 6443,
    ...(tls && authenticator ? { tls, authenticate: (req, res) => authenticator.authenticateRequest(req, res) !== undefined } : {}),
    onReady: async () => {
      // The `kubernetes` endpoint must be an address clients can dial, not a wildcard bind.
      await bootstrapCluster(registry, { host: isWildcardHost(host) ? '127.0.0.1' : host, port: server.address().port, clusterIP: strategies.kubernetesServiceIP });
    },
  });
  const addr = await server.listen();
  const stopEventExpiry = startEventExpiry(registry, opts.eventTTLMs);
  // Insecure mode is always loopback, so only secure mode changes the address clients dial.
  const url = secure ? `https://${dialHost(host)}:${addr.port}` : `http://${host}:${addr.port}`;
  log(`api server: listening on ${url} (ready in ${Date.now() - t0} ms)`);
  const transport = new LocalTransport(server, { userAgent: 'skiff' });
  const client = new Client(transport);
  const componentOptions: ComponentOptions = {
    controllers: opts.controllers ?? 'all',
    nodes: opts.nodes ?? 0,
    ...(opts.nodeMonitorGracePeriodSeconds ? { nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds } : {}),
    ...(opts.nodeLeaseDurationSeconds ? { nodeLeaseDurationSeconds: opts.nodeLeaseDurationSeconds } : {}),
    ...(opts.simReadyDelayMs ? { simReadyDelayMs: opts.simReadyDelayMs } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    ...(opts.loadBalancerIPRange ? { loadBalancerIPRange: opts.loadBalancerIPRange } : {}),
    ...(opts.clusterDNS ? { clusterDNS: opts.clusterDNS } : {}),
    ...(opts.proxy ? { proxy: opts.proxy } : {}),
    dataDir: resolve(opts.dataDir),
    ...(opts.clusterCIDR ? { clusterCIDR: opts.clusterCIDR } : {}),
    ...(opts.nodeCIDR ? { nodeCIDR: opts.nodeCIDR } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
    ...(opts.imageFallback ? { imageFallback: opts.imageFallback } : {}),
    ...(opts.clusterDomain ? { clusterDomain: opts.clusterDomain } : {}),
    ...(opts.dnsUpstreams?.length ? { dnsUpstreams: opts.dnsUpstreams } : {}),
    ...(opts.dnsReaders && opts.dnsReaders > 1 ? { dnsReaders: opts.dnsReaders } : {}),
    // Stable for this data dir: a restarted cluster takes its Leases back at once.
    leaderIdentity: `skiff_${hostname()}_${createHash('sha256').update(resolve(opts.dataDir)).digest('hex').slice(0, 12)}`,
  };
  // The cluster DNS gets a thread of its own: answers never wait behind controllers' work.
  const dnsThread = opts.componentsThread !== false && !!componentOptions.clusterDNS && componentOptions.clusterDNS !== 'off' && componentOptions.controllers !== 'none';
  // Both threads load their modules at the same time (most of the start-up time).
  const dnsStarting = dnsThread ? startComponentsThread(server, { ...componentOptions, only: 'dns' }, log) : undefined;
  if (dnsThread) componentOptions.clusterDNSElsewhere = true;
  const [dns, components] = await Promise.all([dnsStarting, opts.componentsThread === false ? import('./components.js').then((m) => m.startComponents(client, componentOptions, log)) : startComponentsThread(server, componentOptions, log)]);
  log(`controllers: ${[...components.names, ...(dns?.names ?? [])].join(', ')}`);
  if (componentOptions.controllers === 'all' && componentOptions.nodes > 0) {
    const ms = await components.nodesReady;
    log(`nodes: ${componentOptions.nodes} ${componentOptions.runtime ?? 'simulated'} node(s) Ready in ${ms} ms`);
  }
  return {
    server,
    store,
    url,
    ...(auth ? { auth } : {}),
    client,
    async stop() {
      await Promise.all([components.stop(), dns?.stop()]);
      transport.close();
      stopEventExpiry();
      await server.close();
      await store.close();
    },
  };
}
