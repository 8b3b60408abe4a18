/**
 * The kernel data paths for real: inside a throw-away network namespace (`lo`
 * with a backend address 10.244.0.2 and a client address 10.244.0.3, and a veth
 * pair carrying the ClusterIP route), an
 * HTTP backend runs, `IptablesDataplane` / `NftablesDataplane` apply a ClusterIP
 * → backend state in one write, and curl in the namespace reaches the backend
 * through the kernel's DNAT; with no endpoints the ClusterIP rejects; removing
 * the Service removes its chains. A ServiceProxy driven by an in-process
 * cluster then programs a namespace by itself, and `proxyRules` renders the
 * cluster's rules in all three formats.
 *
 * Needs root, `ip netns`, `iptables-restore` and `nft`; installs the Debian
 * packages when missing and skips (saying why) when that is impossible. Every
 * namespace and process is removed in `after`, whatever happened.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { proxyRules } from '../../src/cli/proxy-rules.js';
import { newControllerContext } from '../../src/controllers/runtime/context.js';
import type { Dataplane, ProxyState } from '../../src/proxy/index.js';
import { IptablesDataplane, NftablesDataplane, ServiceProxy } from '../../src/proxy/index.js';
import { testEndpoint, testServicePort } from '../../src/proxy/testing.js';
import { eventually } from '../helpers/eventually.js';
import { kernelSkipReason, must, sh, type Run } from '../helpers/kernel.js';

const namespaces = new Set<string>();
const processes = new Set<ChildProcess>();

/** A namespace with `lo` up, 10.244.0.2 (backend) and 10.244.0.3 (client) on it, and a route for 10.96.0.0/16 (ClusterIPs) from the client address over a veth pair. */
async function makeNetns(name: string): Promise<void> {
  await sh(['ip', 'netns', 'del', name]);
  await must(['ip', 'netns', 'add', name]);
  namespaces.add(name);
  await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  await must(['ip', '-n', name, 'addr', 'add', '10.244.0.2/32', 'dev', 'lo']);
  await must(['ip', '-n', name, 'addr', 'add', '10.244.0.3/32', 'dev', 'lo']);
  // Without a route the connect fails before the nat OUTPUT hook can DNAT it. The
  // route points at a veth (both ends here) rather than lo: a REJECT's ICMP error
  // for a destination routed via lo never reaches the client socket.
  await must(['ip', '-n', name, 'link', 'add', 'kv0', 'type', 'veth', 'peer', 'name', 'kv1']);
  await must(['ip', '-n', name, 'link', 'set', 'kv0', 'up']);
  await must(['ip', '-n', name, 'link', 'set', 'kv1', 'up']);
  await must(['ip', '-n', name, 'route', 'add', '10.96.0.0/16', 'dev', 'kv0', 'src', '10.244.0.3']);
}

/** An HTTP server in `ns` on `ip:port` answering `body`; resolves once it listens. */
async function backend(ns: string, ip: string, port: number, body: string): Promise<ChildProcess> {
  const code = `require('http').createServer((q,r)=>r.end(${JSON.stringify(body)})).listen(${port},${JSON.stringify(ip)},()=>console.log('listening'))`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  processes.add(child);
  child.once('exit', () => processes.delete(child));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend in ${ns} did not listen on ${ip}:${port} within 10 s: ${err}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`backend in ${ns} exited (${c}) before listening: ${err}`));
    });
  });
  return child;
}

/** curl from inside `ns`; exit 7 means the connection was refused. */
function curl(ns: string, url: string): Promise<Run> {
  return sh(['ip', 'netns', 'exec', ns, 'curl', '-s', '-S', '--max-time', '5', url]);
}

function oneService(clusterIP: string, endpoints: ReturnType<typeof testEndpoint>[]): ProxyState {
  const sp = testServicePort('web', { clusterIPs: [clusterIP], port: 80 });
  return { servicePorts: new Map([[sp.key, sp]]), endpoints: new Map(endpoints.length ? [[sp.key, endpoints]] : []), nodes: [], hostAddresses: [], defaultScheduler: 'rr' };
}

let skipReason: string | undefined;

function skipped(t: TestContext): boolean {
  if (!skipReason) return false;
  console.log(`# skipping kernel data path test: ${skipReason}`);
  t.skip(skipReason);
  return true;
}

before(async () => {
  skipReason = await kernelSkipReason();
});

after(async () => {
  for (const p of processes) p.kill('SIGKILL');
  for (const ns of namespaces) await sh(['ip', 'netns', 'del', ns]);
});

describe('kernel data paths in a network namespace', () => {
  const modes: Array<[string, (ns: string) => Dataplane, (ns: string) => Promise<string>]> = [
    ['iptables', (ns) => new IptablesDataplane({ netns: ns, clusterCIDR: '10.244.0.0/16' }), (ns) => must(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'nat'])],
    ['nftables', (ns) => new NftablesDataplane({ netns: ns, clusterCIDR: '10.244.0.0/16' }), (ns) => must(['ip', 'netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'kube-proxy'])],
  ];
  for (const [mode, make, list] of modes) {
    test(`${mode}: a client reaches the backend through the ClusterIP by kernel DNAT, is rejected without endpoints, and removed Services leave no chains`, async (t) => {
      if (skipped(t)) return;
      const ns = `skiff-${mode}-${process.pid}`;
      await makeNetns(ns);
      await backend(ns, '10.244.0.2', 8080, `backend via ${mode}\n`);
      const dp = make(ns);

      // Nothing programmed yet: the ClusterIP goes nowhere.
      assert.notEqual((await curl(ns, 'http://10.96.0.10/')).code, 0, 'the ClusterIP answered before any rule existed');

      await dp.sync(oneService('10.96.0.10', [testEndpoint('10.244.0.2', 8080)]));
      const ok = await curl(ns, 'http://10.96.0.10/');
      assert.equal(ok.code, 0, `curl to the ClusterIP failed: ${ok.stderr}\nrules:\n${await list(ns)}`);
      assert.equal(ok.stdout, `backend via ${mode}\n`);
      assert.equal(dp.snapshot().servicePorts[0]?.backends[0]?.endpoint, '10.244.0.2:8080');

      await dp.sync(oneService('10.96.0.10', []));
      const refused = await curl(ns, 'http://10.96.0.10/');
      assert.equal(refused.code, 7, `expected connection refused (curl exit 7) without endpoints, got exit ${refused.code}: ${refused.stderr}`);

      await dp.sync({ ...oneService('10.96.0.10', []), servicePorts: new Map() });
      const rules = await list(ns);
      assert.doesNotMatch(rules, /KUBE-SVC-|KUBE-SEP-|service-[A-Z0-9]{8}-/, `chains of the removed Service remain:\n${rules}`);
      await dp.close();
    });
  }
});

describe('a ServiceProxy with a kernel data path, and proxyRules', () => {
  let cluster: Cluster;
  let dataDir: string;
  const abort = new AbortController();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-proxy-kernel-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    const c = cluster.client;
    await c.resource<Node>('', 'v1', 'nodes').create(undefined, {
      metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.1.1' }] },
    });
    await c.resource<Service>('', 'v1', 'services').create('default', {
      metadata: { name: 'web', namespace: 'default' },
      spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080 }], sessionAffinity: 'ClientIP' },
    });
    await c.resource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices').create('default', {
      metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.128.0.5'], conditions: { ready: true }, nodeName: 'node-1' }],
    });
  });

  after(async () => {
    abort.abort();
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('proxyRules renders the cluster state in iptables, nftables and ipvsadm form', async () => {
    const svc = await cluster.client.resource<Service>('', 'v1', 'services').get('default', 'web');
    const ip = svc.spec!.clusterIP!;
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const ipt = await proxyRules(cluster.client, 'iptables');
    assert.match(ipt, new RegExp(`-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d ${ip.replace(/\./g, '\\.')} --dport 80 -j KUBE-SVC-`));
    assert.match(ipt, new RegExp(`-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport ${nodePort} -j KUBE-EXT-`));
    assert.match(ipt, /-m recent --name KUBE-SEP-\w+ --rcheck --seconds 10800 --reap/);
    assert.match(ipt, /-j DNAT --to-destination 127\.128\.0\.5:8080/);
    const nft = await proxyRules(cluster.client, 'nftables');
    assert.match(nft, new RegExp(`add element ip kube-proxy service-ips \\{ ${ip.replace(/\./g, '\\.')} \\. tcp \\. 80 : goto service-\\w{8}-default/web/tcp/http \\}`));
    assert.match(nft, /timeout 10800s/);
    const ipvs = await proxyRules(cluster.client, 'ipvs');
    assert.match(ipvs, new RegExp(`^ipvsadm -A -t ${ip.replace(/\./g, '\\.')}:80 -s rr -p 10800$`, 'm'));
    assert.match(ipvs, new RegExp(`^ipvsadm -a -t 127\\.0\\.1\\.1:${nodePort} -r 127\\.128\\.0\\.5:8080 -m -w 1$`, 'm'));
  });

  test('a ServiceProxy programs a namespace through iptables and a client there reaches the backend', async (t) => {
    if (skipped(t)) return;
    const ns = `skiff-proxy-${process.pid}`;
    await makeNetns(ns);
    // 127.0.0.0/8 is local inside the namespace too, so the allocated ClusterIP and the 127.128.0.5 endpoint need no routes.
    await backend(ns, '127.128.0.5', 8080, 'backend via ServiceProxy\n');
    const ctx = newControllerContext(cluster.client);
    const proxy = new ServiceProxy(ctx.informers, { dataplane: new IptablesDataplane({ netns: ns, clusterCIDR: '127.128.0.0/9' }), minSyncPeriodMs: 50 });
    void ctx.informers.start(abort.signal);
    const run = proxy.start(abort.signal);
    run.catch(() => {});
    await proxy.ready;
    const svc = await cluster.client.resource<Service>('', 'v1', 'services').get('default', 'web');
    const url = `http://${svc.spec!.clusterIP}/`;
    const body = await eventually(`curl ${url} in ${ns} to reach the backend`, async () => {
      const r = await curl(ns, url);
      return r.code === 0 ? r.stdout : undefined;
    }, 15_000);
    assert.equal(body, 'backend via ServiceProxy\n');
  });
});
