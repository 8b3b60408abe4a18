/**
 * `kubectl logs`, `exec` and `port-forward` end to end with the real kubectl:
 * an in-process cluster, plus a node agent whose runtime streams — a small
 * fake runtime whose CRI log files the test writes (so every log option and
 * container state can be set up exactly; exec runs commands with the host's
 * `sh`), and the process runtime with a real pod process. kubectl talks to
 * the API server, which relays to the agent's kubelet server at the node's
 * InternalIP and published port.
 */
import { after, before, describe, test } from 'node:test';
import { setMaxListeners } from 'node:events';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import type { ResourceClient } from '../../src/client/client.js';
import { newControllerContext } from '../../src/controllers/runtime/context.js';
import { NodeAgent } from '../../src/node/agent.js';
import { ProcessRuntime } from '../../src/node/runtime/process.js';
import { FakeStreamingRuntime, SIMULATED_IMAGE, WAITING_IMAGE } from '../../src/node/streaming/testing.js';
import { findKubectl } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';
const NODE = 'stream-node-1';
const kubectlPath = findKubectl();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

describe('kubectl logs, exec and port-forward', { skip: kubectlPath ? false : 'kubectl is not installed' }, () => {
  let cluster: Cluster;
  let dataDir: string;
  let ctx: ReturnType<typeof newControllerContext>;
  let runtime: FakeStreamingRuntime;
  let pods: ResourceClient<Pod>;
  const stop = new AbortController();
  const running: Array<Promise<unknown>> = [];
  const children = new Set<ChildProcess>();
  let web: Pod;

  const env = (): NodeJS.ProcessEnv => ({ ...process.env, KUBECONFIG: join(dataDir, 'kubeconfig'), KUBECACHEDIR: join(dataDir, 'kubecache'), HOME: dataDir });

  const httpGet = (host: string, port: number, path: string): Promise<string> =>
    new Promise((resolve, reject) => {
      http.get({ host, port, path, agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });

  const kubectl = (args: string[], input = ''): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(kubectlPath!, args, { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(input);
    });

  /** A long-running kubectl (logs -f, port-forward): output so far, and a way to stop it. */
  const background = (args: string[]): { out: () => string; err: () => string; stop: () => Promise<void> } => {
    const child = spawn(kubectlPath!, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    return {
      out: () => stdout,
      err: () => stderr,
      stop: async () => {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await closed;
        clearTimeout(t);
        children.delete(child);
      },
    };
  };

  interface PodExtra {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    /** What to wait for: Running and Ready (default), or just an IP (a pod whose containers do not run). */
    wait?: 'ready' | 'ip';
  }
  const makePod = async (name: string, containers: Container[], extra: PodExtra = {}): Promise<Pod> => {
    await pods.create(NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}), ...(extra.labels ? { labels: extra.labels } : {}) },
      spec: {
        terminationGracePeriodSeconds: 0,
        ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : { nodeName: extra.nodeName ?? NODE }),
        containers: containers.map((c) => ({ image: 'busybox:1.36', command: ['sh', '-c', 'sleep 3600'], ...c })),
      },
    } as Pod);
    if (extra.nodeSelector) return pods.get(NS, name);
    return eventually(`pod ${name} ${extra.wait === 'ip' ? 'with an IP' : 'Running and Ready'}`, async () => {
      const p = await pods.get(NS, name);
      if (extra.wait === 'ip') return p.status?.podIP ? p : undefined;
      return p.status?.phase === 'Running' && isReady(p) && p.status.podIP ? p : undefined;
    });
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-logs-exec-'));
    // Informers, the agent and its kubelet server all listen on this one signal.
    setMaxListeners(0, stop.signal);
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'all', nodes: 0 });
    writeFileSync(
      join(dataDir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: ${cluster.url}\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: ${NS}\ncurrent-context: t\nusers:\n- name: t\n  user:\n    token: x\n`,
    );
    ctx = newControllerContext(cluster.client);
    runtime = new FakeStreamingRuntime(join(dataDir, 'pod-logs'));
    // The fake runtime calls itself `process`, so the simulated pool leaves this node alone.
    const agent = new NodeAgent(ctx, { runtime, nodes: [{ name: NODE }], heartbeatSeconds: 1, component: 'stream-agent' });
    running.push(ctx.informers.start(stop.signal), agent.start(stop.signal));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([agent.ready, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`node ${NODE} not ready within 20 s`)), 20_000)))]).finally(() => clearTimeout(timer));
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    web = await makePod('web', [{ name: 'app' }, { name: 'side' }], { annotations: { 'kubectl.kubernetes.io/default-container': 'app' }, labels: { app: 'web' } });
    runtime.appendLog(web, 'app', 'stdout', 'line one\n');
    runtime.appendLog(web, 'app', 'stderr', 'line two\n');
    runtime.appendLog(web, 'app', 'stdout', 'line three\n');
    runtime.appendLog(web, 'side', 'stdout', 'from the sidecar\n');
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    stop.abort();
    await Promise.allSettled(running);
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the node publishes its kubelet endpoint at its InternalIP', async () => {
    const node = await cluster.client.resource<Node>('', 'v1', 'nodes').get(undefined, NODE);
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    assert.ok(port > 0, `kubelet port published: ${JSON.stringify(node.status?.daemonEndpoints)}`);
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const health = await new Promise<string>((resolve, reject) => {
      http.get({ host: ip, port, path: '/healthz', agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    assert.equal(health, 'ok');
  });

  describe('logs', () => {
    test('kubectl logs -c prints the container log', async () => {
      const r = await kubectl(['logs', 'web', '-c', 'app']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'line one\nline two\nline three\n');
    });

    test('without -c kubectl picks the annotated default container', async () => {
      const r = await kubectl(['logs', 'web']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'line one\nline two\nline three\n');
    });

    test('--tail and --timestamps', async () => {
      const tail = await kubectl(['logs', 'web', '-c', 'app', '--tail=1']);
      assert.equal(tail.stdout, 'line three\n');
      const ts = await kubectl(['logs', 'web', '-c', 'app', '--tail=2', '--timestamps']);
      assert.equal(ts.code, 0, ts.stderr);
      const lines = ts.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      for (const l of lines) assert.match(l, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z line (two|three)$/);
    });

    test('--all-containers prints every container', async () => {
      const r = await kubectl(['logs', 'web', '--all-containers', '--prefix']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\[pod\/web\/app\] line one\n/);
      assert.match(r.stdout, /\[pod\/web\/side\] from the sidecar\n/);
    });

    test('--previous before any restart is the kubelet error', async () => {
      const r = await kubectl(['logs', 'web', '-c', 'app', '--previous']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'Error from server (BadRequest): previous terminated container "app" in pod "web" not found');
    });

    test('--previous after a restart shows the run before', async () => {
      const p = await makePod('crashy', [{ name: 'app' }]);
      runtime.appendLog(p, 'app', 'stdout', 'first run\n');
      runtime.restartContainer(p, 'app');
      runtime.appendLog(p, 'app', 'stdout', 'second run\n');
      assert.equal((await kubectl(['logs', 'crashy', '--previous'])).stdout, 'first run\n');
      assert.equal((await kubectl(['logs', 'crashy'])).stdout, 'second run\n');
    });

    test('logs -f streams a line written later', async () => {
      const f = background(['logs', '-f', 'web', '-c', 'side']);
      try {
        await eventually('the existing line from logs -f', () => f.out().includes('from the sidecar\n'));
        runtime.appendLog(web, 'side', 'stdout', 'written later\n');
        await eventually(`the later line from logs -f (got ${JSON.stringify(f.out())}, stderr ${JSON.stringify(f.err())})`, () => f.out().endsWith('written later\n'));
      } finally {
        await f.stop();
      }
    });

    test('several containers and no -c nor default: kubectl defaults to the first and says so', async () => {
      await makePod('pair', [{ name: 'one' }, { name: 'two' }]);
      const r = await kubectl(['logs', 'pair']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Defaulted container "one" out of: one, two/);
    });

    test('a pod that is not scheduled yet', async () => {
      await makePod('pending', [{ name: 'app' }], { nodeSelector: { 'no-such-label': 'x' } });
      const r = await kubectl(['logs', 'pending']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'Error from server (BadRequest): container "app" in pod "pending" is waiting to start: the pod is not scheduled to a node yet');
    });

    test('a container waiting to restart', async () => {
      await makePod('crash', [{ name: 'app', image: WAITING_IMAGE }], { wait: 'ip' });
      const r = await kubectl(['logs', 'crash']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'Error from server (BadRequest): container "app" in pod "crash" is waiting to start: CrashLoopBackOff');
    });

    test('a pod on a node of the simulated runtime', async () => {
      // The simulated pool (in the cluster's components) runs Nodes annotated with its runtime; it publishes kubelet port 0.
      const nodes = cluster.client.resource<Node>('', 'v1', 'nodes');
      await nodes.create(undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim-node', annotations: { 'skiff.io/runtime': 'simulated' } } });
      await eventually('sim-node Ready', async () => {
        const n = await nodes.get(undefined, 'sim-node');
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && n.status.daemonEndpoints?.kubeletEndpoint?.Port === 0;
      });
      await makePod('on-sim', [{ name: 'app' }], { nodeName: 'sim-node' });
      const r = await kubectl(['logs', 'on-sim']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error from server \(BadRequest\): container "app" in pod "on-sim" is simulated by skiff \(node "sim-node" runs the simulated runtime\): it has no process, so it has no logs/);
      const e = await kubectl(['exec', 'on-sim', '--', 'true']);
      assert.equal(e.code, 1);
      assert.match(e.stderr, /^Error from server \(BadRequest\): container "app" in pod "on-sim" is simulated by skiff .*nothing to exec into/);
    });

    test('a container skiff only simulates', async () => {
      await makePod('sim', [{ name: 'nginx', image: SIMULATED_IMAGE }]);
      const r = await kubectl(['logs', 'sim']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error from server \(BadRequest\): container "nginx" in pod "sim" is simulated by skiff \(image "simulated" has no built-in program\): it has no process, so it has no logs/);
    });
  });

  describe('exec', () => {
    test('exit codes come back: prints hi and exits 3', async () => {
      const r = await kubectl(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo hi; exit 3']);
      assert.equal(r.stdout, 'hi\n');
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /command terminated with exit code 3/);
    });

    test('stdout and stderr, exit 0', async () => {
      const r = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
    });

    test('exec -i passes stdin through and closes it', async () => {
      const r = await kubectl(['exec', '-i', 'web', '-c', 'app', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello-stdin\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'HELLO-STDIN\ndone\n');
    });

    test('an unknown container is refused by the API server', async () => {
      const r = await kubectl(['exec', 'web', '-c', 'nope', '--', 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /container nope is not valid for pod web/);
    });

    test('a pod without a node', async () => {
      const r = await kubectl(['exec', 'pending', '--', 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pod pending does not have a host assigned/);
    });

    test('a container that is not running: the kubelet words it like upstream', async () => {
      const r = await kubectl(['exec', 'crash', '--', 'true']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'error: unable to upgrade connection: container not found ("app")');
    });

    test('a simulated container', async () => {
      const r = await kubectl(['exec', 'sim', '--', 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /container "nginx" in pod "sim" is simulated by skiff .*nothing to exec into/);
    });
  });

  describe('port-forward', () => {
    test('pod/x LOCAL:REMOTE carries an HTTP request to a server on the pod IP', async () => {
      const podIP = web.status!.podIP!;
      const server = http.createServer((req, res) => res.end(`hello from ${podIP} ${req.url}`));
      await new Promise<void>((r) => server.listen(0, podIP, r));
      const remote = (server.address() as AddressInfo).port;
      const local = await new Promise<number>((resolve) => {
        const s = http.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      const pf = background(['port-forward', 'pod/web', `${local}:${remote}`, '--address', '127.0.0.1']);
      try {
        await eventually(`kubectl port-forward to listen (stdout ${JSON.stringify(pf.out())}, stderr ${JSON.stringify(pf.err())})`, () => pf.out().includes(`Forwarding from 127.0.0.1:${local} -> ${remote}`), 20_000);
        for (const path of ['/one', '/two']) {
          const body = await new Promise<string>((resolve, reject) => {
            http.get({ host: '127.0.0.1', port: local, path, agent: false }, (res) => {
              let b = '';
              res.on('data', (d: Buffer) => (b += d.toString()));
              res.on('end', () => resolve(b));
            }).on('error', reject);
          });
          assert.equal(body, `hello from ${podIP} ${path}`);
        }
      } finally {
        await pf.stop();
        server.close();
      }
    });

    test('svc/x: kubectl picks a pod of the Service and its target port', async () => {
      const podIP = web.status!.podIP!;
      const server = http.createServer((req, res) => res.end(`service backend ${req.url}`));
      await new Promise<void>((r) => server.listen(0, podIP, r));
      const target = (server.address() as AddressInfo).port;
      await cluster.client.resource<Service>('', 'v1', 'services').create(NS, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: target }] },
      });
      const pf = background(['port-forward', 'svc/web', ':80', '--address', '127.0.0.1']);
      try {
        const local = await eventually(`kubectl port-forward svc/web to listen (stdout ${JSON.stringify(pf.out())}, stderr ${JSON.stringify(pf.err())})`, () => {
          const m = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${target}`).exec(pf.out());
          return m ? Number(m[1]) : undefined;
        }, 20_000);
        const body = await new Promise<string>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port: local, path: '/via-service', agent: false }, (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve(b));
          }).on('error', reject);
        });
        assert.equal(body, 'service backend /via-service');
      } finally {
        await pf.stop();
        server.close();
      }
    });
  });

  describe('with the process runtime: a real process', () => {
    let procRuntime: ProcessRuntime;
    const procStop = new AbortController();
    let procDone: Promise<unknown> = Promise.resolve();
    // A pod process that logs to both streams and serves HTTP on its own pod IP.
    const script = [
      "console.log('real stdout line');",
      "console.error('real stderr line');",
      // stdout and stderr are two pipes read independently (as with any container runtime): the last line comes
      // a moment later, so it is the last line read whatever the order the two earlier ones are read in.
      "setTimeout(() => require('http').createServer((q, s) => s.end('real pod ' + process.env.POD_IP + ' ' + q.url)).listen(8080, process.env.POD_IP, () => console.log('listening')), 300);",
    ].join(' ');

    before(async () => {
      setMaxListeners(0, procStop.signal);
      procRuntime = new ProcessRuntime({ dataDir: join(dataDir, 'proc'), client: cluster.client, logger: ctx.logger('process-runtime') });
      // Addresses of their own, so this agent never races the first one for an IP or a pod CIDR.
      const agent = new NodeAgent(ctx, { runtime: procRuntime, nodes: [{ name: 'proc-node' }], nodeCIDR: '127.0.2.0/24', clusterCIDR: '127.160.0.0/16', heartbeatSeconds: 1, component: 'proc-agent' });
      procDone = agent.start(procStop.signal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([agent.ready, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('proc-node not ready within 20 s')), 20_000)))]).finally(() => clearTimeout(timer));
      await makePod('real', [{ name: 'app', image: 'node', command: [process.execPath, '-e', script] }], { nodeName: 'proc-node' });
      await eventually('the real process to listen', async () => (await kubectl(['logs', 'real'])).stdout.includes('listening'));
    });

    after(async () => {
      procStop.abort();
      await procRuntime?.stopAll();
      await Promise.race([procDone, new Promise((r) => setTimeout(r, 3000))]);
    });

    test('kubectl logs shows what the process wrote, --tail too', async () => {
      const r = await kubectl(['logs', 'real']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /real stdout line\n/);
      assert.match(r.stdout, /real stderr line\n/);
      assert.equal((await kubectl(['logs', 'real', '--tail=1'])).stdout, 'listening\n');
    });

    test('kubectl exec runs in the container context and returns the exit code', async () => {
      const r = await kubectl(['exec', 'real', '--', 'sh', '-c', 'echo "ip=$POD_IP"; exit 5']);
      assert.equal(r.code, 5, r.stderr);
      const p = await pods.get(NS, 'real');
      assert.equal(r.stdout, `ip=${p.status?.podIP}\n`);
      assert.match(r.stderr, /command terminated with exit code 5/);
    });

    test('kubectl port-forward reaches the process on its pod IP', async () => {
      const pf = background(['port-forward', 'pod/real', ':8080', '--address', '127.0.0.1']);
      try {
        const local = await eventually(`kubectl port-forward pod/real to listen (stderr ${JSON.stringify(pf.err())})`, () => {
          const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(pf.out());
          return m ? Number(m[1]) : undefined;
        }, 20_000);
        const p = await pods.get(NS, 'real');
        assert.equal(await httpGet('127.0.0.1', local, '/through-kubectl'), `real pod ${p.status?.podIP} /through-kubectl`);
      } finally {
        await pf.stop();
      }
    });
  });
});
