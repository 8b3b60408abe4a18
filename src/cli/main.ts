/**
 * The `skiff` command line. `skiff up` runs a whole cluster in the foreground,
 * writes a kubeconfig into the data dir and merges a `skiff` context into the
 * user's kubeconfig; Ctrl-C stops it cleanly.
 */
// Leaf modules only: `skiff up` runs the API server in this thread, and every module
// loaded here delays it (the components load in their own threads).
import { splitCidr } from './components-base.js';
import { parseCidr } from '../node/ipam.js';
import { parseReadyDelay } from '../node/runtime/simulated.js';
import { PROXY_MODES, PROXY_RULE_MODES, type ProxyMode, type ProxyRuleMode } from '../proxy/modes.js';
import { SCHEDULER_NAMES, type SchedulerName } from '../proxy/schedulers/scheduler.js';
import { DEFAULT_LB_POOL, parsePool } from '../controllers/loadbalancer/pool.js';
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { startCluster, DEFAULT_NETWORK } from './cluster.js';
import { writeKubeconfig, userKubeconfigPath, type KubeconfigEntry } from './kubeconfig.js';
import { nodeAdd, nodeRemove } from './node-commands.js';
import { Client } from '../client/client.js';

function line(msg: string): void {
  process.stdout.write(`skiff: ${msg}\n`);
}

/** The kernel proxy modes write NAT rules and loopback addresses: they need root, said before anything starts. */
function requireKernelRights(proxyMode: string): void {
  if ((proxyMode === 'iptables' || proxyMode === 'nftables') && process.getuid?.() !== 0) {
    throw new Error(`--proxy-mode ${proxyMode} needs root: it writes the kernel's NAT rules (${proxyMode === 'iptables' ? 'iptables-restore' : 'nft'}) and puts node IPs on lo; run as root, or use --proxy-mode userspace`);
  }
}

/** Runs the CLI with `argv` (as `process.argv`). */
export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('skiff').description('A Kubernetes-compatible cluster for learning and testing Services and DaemonSets');
  // `skiff up`: everything in one process. `skiff server`: the same without nodes and proxy —
  // API server, controllers, scheduler and cluster DNS; nodes join with `skiff agent`.
  for (const spec of [
    { name: 'up', description: 'start a cluster in the foreground', nodes: 3, proxy: 'userspace' },
    { name: 'server', description: 'start the API server, controllers, scheduler and cluster DNS (nodes join with skiff agent)', nodes: 0, proxy: 'none' },
  ]) {
  program
    .command(spec.name)
    .description(spec.description)
    .option('--data-dir <dir>', 'where the cluster keeps its state', process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff'))
    .addOption(new Option('--store <kind>', 'state store: memory, sqlite, sqlite:///path.db or etcd://host:port[,host:port…]').default('sqlite'))
    .option('--host <ip>', 'address the API server binds; beyond loopback (0.0.0.0 included) it serves HTTPS with bearer tokens only', '127.0.0.1')
    .option('--secure', 'serve HTTPS with bearer-token authentication on loopback too (always on beyond loopback)', false)
    .option('--join-token <token>', 'secure mode: the token agents join with (default: a random one kept in <data-dir>/tokens)')
    .option('--port <port>', 'API server port (0 = any free port)', (v) => Number(v), 6443)
    .option('--kubeconfig <path>', 'merge the skiff context into this kubeconfig instead of $KUBECONFIG or ~/.kube/config')
    .option('--no-kubeconfig-merge', 'only write <data-dir>/kubeconfig, leave the user kubeconfig alone')
    .option('--nodes <n>', 'nodes to start (node-1…node-N), running pods with --runtime', (v) => Number(v), spec.nodes)
    .addOption(new Option('--runtime <kind>', 'how nodes run pods: real processes, or simulated (Running with no process)').choices(['process', 'simulated']).default('process'))
    .addOption(new Option('--image-fallback <mode>', 'containers whose image has no built-in program and no command: simulate them, or fail with ErrImageNeverPull').choices(['simulate', 'fail']).default('simulate'))
    .option('--sim-ready-delay <ms|min-max>', 'pods on simulated nodes turn Running and Ready after this many ms (a range: drawn per pod)', '0-500')
    .option('--node-monitor-grace-period <seconds>', 'how long a silent node stays Ready (at least its Lease duration)', (v) => Number(v), 40)
    .option('--node-lease-duration-seconds <n>', "the Lease duration nodes advertise; they renew it every quarter (kubelet's flag)", (v) => Number(v), 40)
    .option('--service-cluster-ip-range <cidr>', 'ClusterIP range', DEFAULT_NETWORK.serviceClusterIPRange)
    .option('--service-node-port-range <range>', 'NodePort range', DEFAULT_NETWORK.serviceNodePortRange)
    .option('--load-balancer-ip-range <cidr|first-last>', 'pool of LoadBalancer IPs', DEFAULT_LB_POOL)
    .option('--cluster-cidr <cidr>', 'pod IPs (a /24 per node)', '127.128.0.0/9')
    .option('--node-ip-range <cidr>', 'node InternalIPs', '127.0.1.0/24')
    .addOption(new Option('--proxy-mode <mode>', 'service proxy data path: userspace, or the kernel (iptables, nftables: root) — none: no proxy').choices([...PROXY_MODES, 'none']).default(spec.proxy))
    .addOption(new Option('--proxy-scheduler <name>', 'load-balancing scheduler for Services without a skiff.io/scheduler annotation').choices([...SCHEDULER_NAMES]).default('rr'))
    .option('--proxy-workers <n>', 'processes accepting TCP connections for plain round-robin Services', (v) => Number(v), 1)
    .option('--cluster-domain <domain>', 'DNS domain of the cluster', 'cluster.local')
    .option('--cluster-dns <ip|off>', 'ClusterIP of the kube-dns Service (off: no cluster DNS)', '127.96.0.10')
    .option('--dns-upstream <ip[:port]>', 'resolver for names outside the cluster (repeatable; default /etc/resolv.conf)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--dns-readers <n>', 'processes answering cluster names from the DNS UDP socket', (v) => Number(v), 1)
    .action(async (o: { dataDir: string; store: string; host: string; secure: boolean; joinToken?: string; port: number; kubeconfig?: string; kubeconfigMerge: boolean; serviceClusterIpRange: string; serviceNodePortRange: string; nodes: number; runtime: string; simReadyDelay: string; nodeMonitorGracePeriod: number; nodeLeaseDurationSeconds: number; loadBalancerIpRange: string; clusterDomain: string; clusterDns: string; dnsUpstream: string[]; dnsReaders: number; proxyMode: string; proxyScheduler: string; imageFallback: string; clusterCidr: string; nodeIpRange: string; proxyWorkers: number }) => {
      const t0 = Date.now();
      // Bad ranges fail here, with their reason, before anything starts.
      parsePool(o.loadBalancerIpRange);
      const simReadyDelayMs = parseReadyDelay(o.simReadyDelay);
      requireKernelRights(o.proxyMode);
      splitCidr(o.clusterCidr);
      parseCidr(o.nodeIpRange);
      line(`data dir ${o.dataDir}`);
      const cluster = await startCluster({
        dataDir: o.dataDir,
        store: o.store,
        host: o.host,
        secure: o.secure,
        ...(o.joinToken !== undefined ? { joinToken: o.joinToken } : {}),
        port: o.port,
        serviceClusterIPRange: o.serviceClusterIpRange,
        serviceNodePortRange: o.serviceNodePortRange,
        nodes: o.nodes,
        runtime: o.runtime as 'process' | 'simulated',
        imageFallback: o.imageFallback as 'simulate' | 'fail',
        simReadyDelayMs,
        nodeMonitorGracePeriodSeconds: o.nodeMonitorGracePeriod,
        nodeLeaseDurationSeconds: o.nodeLeaseDurationSeconds,
        loadBalancerIPRange: o.loadBalancerIpRange,
        clusterCIDR: o.clusterCidr,
        nodeCIDR: o.nodeIpRange,
        clusterDomain: o.clusterDomain,
        clusterDNS: o.clusterDns,
        dnsUpstreams: o.dnsUpstream,
        dnsReaders: o.dnsReaders,
        proxy: o.proxyMode === 'none' ? false : { mode: o.proxyMode as ProxyMode, scheduler: o.proxyScheduler as SchedulerName, workers: o.proxyWorkers },
        log: line,
      });
      const own = join(o.dataDir, 'kubeconfig');
      const entry: KubeconfigEntry = cluster.auth
        ? { name: 'skiff', server: cluster.url, token: cluster.auth.adminToken, caData: Buffer.from(cluster.auth.caCert).toString('base64') }
        : { name: 'skiff', server: cluster.url };
      writeKubeconfig(own, entry);
      line(`kubeconfig written to ${own}`);
      if (cluster.auth) {
        line(`join with: skiff agent --server ${cluster.url} --token ${cluster.auth.joinToken} --certificate-authority ${cluster.auth.caFile} --name <node>`);
      }
      if (o.kubeconfigMerge) {
        const target = o.kubeconfig ?? userKubeconfigPath();
        writeKubeconfig(target, entry);
        line(`context "skiff" merged into ${target} (now current)`);
      }
      line(`ready in ${Date.now() - t0} ms — try: kubectl get nodes,svc -A   (Ctrl-C to stop)`);
      let stopping = false;
      const stop = async (sig: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        line(`${sig}: stopping`);
        await cluster.stop();
        line('stopped');
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
  }
  const node = program.command('node').description('add or remove nodes of a running cluster');
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  node
    .command('add <name>')
    .description('add a simulated node (Ready within a second)')
    .option('--data-dir <dir>', 'the cluster data dir (its kubeconfig is used)', process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff'))
    .option('--kubeconfig <path>', 'use this kubeconfig instead of <data-dir>/kubeconfig')
    .option('--label <k=v>', 'node label (repeatable)', collect, [] as string[])
    .option('--taint <k=v:Effect>', 'node taint (repeatable)', collect, [] as string[])
    .action(async (name: string, o: { dataDir: string; kubeconfig?: string; label: string[]; taint: string[] }) => {
      await nodeAdd({ dataDir: o.dataDir, ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), name, labels: o.label, taints: o.taint });
    });
  node
    .command('rm <name>')
    .description('remove a node (its pods are garbage-collected)')
    .option('--data-dir <dir>', 'the cluster data dir (its kubeconfig is used)', process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff'))
    .option('--kubeconfig <path>', 'use this kubeconfig instead of <data-dir>/kubeconfig')
    .action(async (name: string, o: { dataDir: string; kubeconfig?: string }) => {
      await nodeRemove({ dataDir: o.dataDir, ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), name });
    });
  program
    .command('agent')
    .description('run one node (process runtime) and its service proxy against a running skiff server')
    .requiredOption('--server <url>', 'the API server, e.g. http://127.0.0.1:6443')
    .requiredOption('--name <node>', 'the node name to register')
    .option('--token <token>', 'bearer token sent to the API server (the join token `skiff server` prints)')
    .option('--certificate-authority <file>', 'PEM CA that signs the API server certificate (<server data-dir>/pki/ca.crt)')
    .option('--insecure-skip-tls-verify', 'do not verify the API server certificate (testing only)', false)
    .option('--data-dir <dir>', "the node's directory tree (pod logs, volumes)", process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff-agent'))
    .addOption(new Option('--image-fallback <mode>', 'containers whose image has no built-in program and no command').choices(['simulate', 'fail']).default('simulate'))
    .addOption(new Option('--proxy-mode <mode>', 'service proxy data path: userspace, or the kernel (iptables, nftables: root) — none: no proxy').choices([...PROXY_MODES, 'none']).default('userspace'))
    .option('--cluster-cidr <cidr>', 'pod IPs (a /24 per node)', '127.128.0.0/9')
    .option('--cluster-dns <ip|off>', "the kube-dns ClusterIP pods' resolv.conf points at", '127.96.0.10')
    .option('--node-lease-duration-seconds <n>', "the Lease duration nodes advertise; they renew it every quarter (kubelet's flag)", (v) => Number(v), 40)
    .action(async (o: { nodeLeaseDurationSeconds: number; server: string; name: string; token?: string; certificateAuthority?: string; insecureSkipTlsVerify: boolean; dataDir: string; imageFallback: string; proxyMode: string; clusterCidr: string; clusterDns: string }) => {
      splitCidr(o.clusterCidr);
      requireKernelRights(o.proxyMode);
      const { startAgent } = await import('./agent.js');
      const agent = await startAgent({
        server: o.server,
        nodeLeaseDurationSeconds: o.nodeLeaseDurationSeconds,
        name: o.name,
        ...(o.token ? { token: o.token } : {}),
        ...(o.certificateAuthority ? { certificateAuthority: o.certificateAuthority } : {}),
        insecureSkipTLSVerify: o.insecureSkipTlsVerify,
        dataDir: o.dataDir,
        imageFallback: o.imageFallback as 'simulate' | 'fail',
        proxy: o.proxyMode === 'none' ? false : (o.proxyMode as ProxyMode),
        clusterCIDR: o.clusterCidr,
        clusterDNS: o.clusterDns,
        log: line,
      });
      const stop = async (sig: string): Promise<void> => {
        line(`${sig}: stopping`);
        await agent.stop();
        line('stopped');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
  program
    .command('proxy')
    .description('service proxy tools')
    .command('rules')
    .description('print the kernel rules kube-proxy would program for the running cluster (nothing is applied)')
    .addOption(new Option('--mode <mode>', 'rule format').choices([...PROXY_RULE_MODES]).default('iptables'))
    .option('--data-dir <dir>', 'the cluster data dir (its kubeconfig is used)', process.env.SKIFF_DATA_DIR ?? join(homedir(), '.skiff'))
    .option('--kubeconfig <path>', 'use this kubeconfig instead of <data-dir>/kubeconfig')
    .action(async (o: { mode: ProxyRuleMode; dataDir: string; kubeconfig?: string }) => {
      const client = await Client.fromKubeconfig(o.kubeconfig ?? join(o.dataDir, 'kubeconfig'));
      const { proxyRules } = await import('./proxy-rules.js');
      process.stdout.write(await proxyRules(client, o.mode));
    });
  await program.parseAsync(argv);
}

// Run directly (`node --import tsx src/cli/main.ts up`) as well as through bin/skiff.js.
if (process.argv[1] && /cli[/\\]main\.(ts|js)$/.test(process.argv[1])) {
  main(process.argv).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
