/**
 * Services carry real traffic end to end: `skiff up` with process pods, the
 * userspace proxy and the cluster DNS, driven by the real kubectl, with curl-like
 * requests from this process to ClusterIPs, LoadBalancer IPs and NodePorts, UDP
 * datagrams, and name lookups from inside a pod. The cluster has address ranges of
 * its own (`isolatedNetwork`), so it runs beside other test clusters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import http from 'node:http';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const isRoot = process.getuid?.() === 0;

/** GET http://host:port/path with a fresh connection; the body, or undefined on failure. */
function get(host: string, port: number, path = '/', localAddress?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: 3000, ...(localAddress ? { localAddress } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function udpAsk(host: string, port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString().trim());
    });
    s.send(text, port, host);
  });
}

describe('Services carry traffic (skiff up, process pods, userspace proxy, DNS)', { timeout: 240_000 }, () => {
  let c: TestCluster;
  const kc = async (...args: string[]): Promise<string> => {
    const r = await c.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const podNames = async (selector: string): Promise<string[]> =>
    (await kc('get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\n"}{end}')).split('\n').filter(Boolean).sort();
  const readyEndpoints = async (svc: string): Promise<number> => {
    const ips = await kc('get', 'endpoints', svc, '-o', 'jsonpath={.subsets[*].addresses[*].ip}');
    return ips.split(/\s+/).filter(Boolean).length;
  };

  before(async () => {
    c = await startTestCluster({ store: 'memory', runtime: 'process', proxy: true, isolatedNetwork: 1, timeoutMs: 30_000 });
    await kc('create', 'deployment', 'hostnames', `--image=${AGNHOST}`, '--replicas=3', '--port=9376', '--', '/agnhost', 'serve-hostname');
    await kc('expose', 'deployment', 'hostnames', '--port=8080', '--target-port=9376');
    await eventually('3 ready endpoints behind hostnames', async () => ((await readyEndpoints('hostnames')) === 3 ? true : undefined), 60_000);
  });
  after(async () => {
    await c?.stop();
  });

  test('a ClusterIP spreads connections over every pod, equally with rr', async () => {
    const ip = await kc('get', 'svc', 'hostnames', '-o', 'jsonpath={.spec.clusterIP}');
    assert.match(ip, /^127\.(1[6-9]|2\d|3[01])\./, 'ClusterIP from the cluster’s own range');
    const pods = await podNames('app=hostnames');
    // The proxy programs what the EndpointSlices say, a moment after the Endpoints object.
    await eventually('the proxy serves every pod', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add((await get(ip, 8080)) ?? 'failed');
      return [...seen].sort().join(',') === pods.join(',') ? true : undefined;
    }, 20_000);
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const name = await get(ip, 8080);
      assert.ok(name, `request ${i} through ${ip}:8080 failed`);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), pods, 'every pod answered');
    assert.deepEqual([...counts.values()], [10, 10, 10], `round robin is even: ${JSON.stringify([...counts])}`);
  });

  test('sessionAffinity ClientIP keeps one client on one pod', async () => {
    await kc('patch', 'svc', 'hostnames', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}');
    const ip = await kc('get', 'svc', 'hostnames', '-o', 'jsonpath={.spec.clusterIP}');
    await eventually('affinity applies', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) seen.add((await get(ip, 8080)) ?? 'failed');
      return seen.size === 1 && !seen.has('failed') ? true : undefined;
    }, 15_000);
    await kc('patch', 'svc', 'hostnames', '-p', '{"spec":{"sessionAffinity":"None"}}');
  });

  test('a deleted pod never gets traffic again; its replacement does once Ready', async () => {
    const ip = await kc('get', 'svc', 'hostnames', '-o', 'jsonpath={.spec.clusterIP}');
    const [victim] = await podNames('app=hostnames');
    await kc('delete', 'pod', victim!, '--wait=true');
    await eventually('the replacement is Ready and served', async () => {
      const pods = await podNames('app=hostnames');
      if (pods.length !== 3 || pods.includes(victim!) || (await readyEndpoints('hostnames')) !== 3) return undefined;
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add((await get(ip, 8080)) ?? 'failed');
      return [...seen].sort().join(',') === pods.join(',') ? true : undefined;
    }, 60_000);
    for (let i = 0; i < 12; i++) assert.notEqual(await get(ip, 8080), victim, 'the deleted pod got traffic');
  });

  test('NodePort answers on 127.0.0.1 and on every node IP; LoadBalancer gets a reachable EXTERNAL-IP', async () => {
    await kc('expose', 'deployment', 'hostnames', '--name=hostnames-lb', '--type=LoadBalancer', '--port=8081', '--target-port=9376');
    const lbIP = await eventually('an EXTERNAL-IP', async () => (await kc('get', 'svc', 'hostnames-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')) || undefined, 15_000);
    assert.match(lbIP, /^127\.113\./, 'from the cluster’s own LoadBalancer pool');
    const nodePort = Number(await kc('get', 'svc', 'hostnames-lb', '-o', 'jsonpath={.spec.ports[0].nodePort}'));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    const nodeIPs = (await kc('get', 'nodes', '-o', 'jsonpath={.items[*].status.addresses[?(@.type=="InternalIP")].address}')).split(/\s+/);
    await eventually('the LoadBalancer IP answers', async () => (await get(lbIP, 8081)) ?? undefined, 20_000);
    for (const host of ['127.0.0.1', ...nodeIPs]) assert.ok(await get(host, nodePort), `NodePort ${host}:${nodePort}`);
    assert.match(await kc('get', 'svc', 'hostnames-lb'), new RegExp(`LoadBalancer\\s+\\S+\\s+${lbIP.replace(/\./g, '\\.')}\\s`), 'kubectl get svc shows the EXTERNAL-IP');
  });

  test('externalTrafficPolicy Local: each node answers its healthCheckNodePort with its own ready endpoints (200) or 503', async () => {
    await kc('expose', 'deployment', 'hostnames', '--name=hostnames-local', '--type=LoadBalancer', '--port=8082', '--target-port=9376', '--overrides={"spec":{"externalTrafficPolicy":"Local"}}');
    const hcPort = Number(await eventually('a healthCheckNodePort', async () => (await kc('get', 'svc', 'hostnames-local', '-o', 'jsonpath={.spec.healthCheckNodePort}')) || undefined, 15_000));
    assert.ok(hcPort >= 30000 && hcPort <= 32767, `healthCheckNodePort ${hcPort}`);
    const nodes = JSON.parse(await kc('get', 'nodes', '-o', 'json')) as { items: Array<{ metadata: { name: string }; status: { addresses: Array<{ type: string; address: string }> } }> };
    const pods = JSON.parse(await kc('get', 'pods', '-l', 'app=hostnames', '-o', 'json')) as { items: Array<{ spec: { nodeName: string } }> };
    for (const n of nodes.items) {
      const ip = n.status.addresses.find((a) => a.type === 'InternalIP')!.address;
      const local = pods.items.filter((p) => p.spec.nodeName === n.metadata.name).length;
      const answer = await eventually(`${n.metadata.name} (${ip}:${hcPort}) to report ${local} local endpoint(s)`, async () => {
        const r = await fetch(`http://${ip}:${hcPort}/`);
        const body = (await r.json()) as { localEndpoints: number };
        return body.localEndpoints === local ? { status: r.status, body } : undefined;
      }, 15_000);
      assert.equal(answer.status, local > 0 ? 200 : 503, `${n.metadata.name}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body, { service: { namespace: 'default', name: 'hostnames-local' }, localEndpoints: local, serviceProxyHealthy: true });
    }
  });

  test('a UDP Service reaches agnhost netexec --udp-port', async () => {
    await kc('create', 'deployment', 'udp', `--image=${AGNHOST}`, '--replicas=2', '--', '/agnhost', 'netexec', '--http-port=8080', '--udp-port=8081');
    await kc('expose', 'deployment', 'udp', '--port=5353', '--target-port=8081', '--protocol=UDP');
    await eventually('2 ready endpoints behind udp', async () => ((await readyEndpoints('udp')) === 2 ? true : undefined), 60_000);
    const ip = await kc('get', 'svc', 'udp', '-o', 'jsonpath={.spec.clusterIP}');
    const pods = await podNames('app=udp');
    const answer = await eventually('a UDP answer', async () => udpAsk(ip, 5353, 'hostname'), 20_000);
    assert.ok(pods.includes(answer), `UDP answer ${answer} is one of ${pods.join(', ')}`);
  });

  test('inside a pod, the Service resolves by its short name through the search path', { skip: isRoot ? false : 'needs root: pods get their own /etc/resolv.conf in a private mount namespace, and the proxy binds the DNS ClusterIP on port 53' }, async () => {
    const [pod] = await podNames('app=hostnames');
    const ip = await kc('get', 'svc', 'hostnames', '-o', 'jsonpath={.spec.clusterIP}');
    const resolv = await kc('exec', pod!, '--', 'cat', '/etc/resolv.conf');
    assert.match(resolv, /^nameserver 127\.16\.0\.10$/m);
    assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    assert.match(resolv, /^options ndots:5$/m);
    const hosts = await eventually('getent resolves', async () => {
      const r = await c.kubectl(['exec', pod!, '--', 'getent', 'hosts', 'hostnames']);
      return r.code === 0 ? r.stdout.trim() : undefined;
    }, 20_000);
    assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+hostnames\\.default\\.svc\\.cluster\\.local`));
  });
});
