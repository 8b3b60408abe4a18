/**
 * The process runtime end to end: an in-process cluster (API server,
 * controllers and scheduler) plus a node agent that runs node-1 with the
 * process runtime, as `skiff up --runtime process` wires it. Pods created
 * through the API become real `sh` processes: the Service env vars are those
 * of Services that existed when the container started, a readiness probe on a
 * closed port keeps a pod Running but not Ready, ConfigMaps reach env vars and
 * volumes (through the volumes module), a crashing container goes
 * into CrashLoopBackOff, and deleting a pod runs its preStop hook and then
 * SIGTERM before the pod disappears.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Event, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { isReason } from '../../src/api/errors.js';
import type { ResourceClient } from '../../src/client/client.js';
import { ControllerManager, newControllerContext, type ControllerContext } from '../../src/controllers/runtime/context.js';
import { NodeAgent } from '../../src/node/agent.js';
import { ProcessRuntime } from '../../src/node/runtime/process.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';

function condition(p: Pod, type: string): string | undefined {
  return p.status?.conditions?.find((c) => c.type === type)?.status;
}

describe('process runtime end to end', () => {
  let cluster: Cluster;
  let dataDir: string;
  let ctx: ControllerContext;
  let runtime: ProcessRuntime;
  let pods: ResourceClient<Pod>;
  let services: ResourceClient<Service>;
  let events: ResourceClient<Event>;
  const stop = new AbortController();
  let managerDone: Promise<unknown> = Promise.resolve();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-process-e2e-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'all', nodes: 0 });
    // What the components wiring does for `--runtime process`: one context, a Service
    // informer feeding the runtime's env vars, events through a kubelet recorder.
    ctx = newControllerContext(cluster.client);
    const servicesInf = ctx.informers.forResource<Service>('', 'v1', 'services');
    const recorder = ctx.recorder('kubelet');
    runtime = new ProcessRuntime({
      dataDir,
      client: cluster.client,
      services: () => servicesInf.indexer.list(),
      recordEvent: (pod, type, reason, message) => recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, type, reason, message),
      logger: ctx.logger('process-runtime'),
    });
    // Own address blocks: other test clusters (and the acceptance run) use the default ones at the same time.
    const agent = new NodeAgent(ctx, { runtime, nodes: [{ name: 'node-1' }], heartbeatSeconds: 2, clusterCIDR: '127.161.0.0/16', nodeCIDR: '127.0.3.0/24' });
    managerDone = new ControllerManager(ctx).add(agent).start(stop.signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([agent.ready, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('node-1 was not Ready within 20 s')), 20_000)))]).finally(() => clearTimeout(timer));
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    services = cluster.client.resource<Service>('', 'v1', 'services');
    events = cluster.client.resource<Event>('', 'v1', 'events');
  });

  after(async () => {
    stop.abort();
    await runtime?.stopAll();
    await Promise.race([managerDone, new Promise((r) => setTimeout(r, 3_000))]);
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createPod = (name: string, spec: Partial<NonNullable<Pod['spec']>> & Pick<NonNullable<Pod['spec']>, 'containers'>): Promise<Pod> =>
    pods.create(NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 5, ...spec } });

  const podEvents = async (name: string): Promise<Event[]> => (await events.list(NS, { fieldSelector: `involvedObject.name=${name}` })).items;

  test('node-1 runs with the process runtime', async () => {
    const node = await cluster.client.resource<Node>('', 'v1', 'nodes').get(undefined, 'node-1');
    assert.equal(node.metadata!.annotations!['skiff.io/runtime'], 'process');
    assert.equal(node.status!.nodeInfo!.containerRuntimeVersion, 'skiff-process://0.1');
  });

  test('a pod sees the env vars of Services created before it, not of one created after', async () => {
    const before = await services.create(NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'before-svc' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    const ip = before.spec!.clusterIP!;
    // The agent's informer must have seen it, like the kubelet waits for its service lister.
    await eventually('the agent to see before-svc', () => runtime && ctx.informers.forResource<Service>('', 'v1', 'services').indexer.get(`${NS}/before-svc`));
    await createPod('env-pod', { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'env | sort; sleep 3600'], env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }] });
    const running = await eventually('env-pod Running and Ready', async () => {
      const p = await pods.get(NS, 'env-pod');
      return p.status?.phase === 'Running' && condition(p, 'Ready') === 'True' ? p : undefined;
    });
    await services.create(NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'after-svc' }, spec: { ports: [{ port: 81 }] } });
    const logPath = runtime.containerLogPath(running, 'app', false)!;
    const env = await eventually('the env output', () => {
      const text = readFileSync(logPath, 'utf8');
      return text.includes('POD_IP=') && text;
    });
    const vars = new Map(env.split('\n').filter(Boolean).map((l) => l.replace(/^\S+ stdout F /, '')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    assert.equal(vars.get('BEFORE_SVC_SERVICE_HOST'), ip);
    assert.equal(vars.get('BEFORE_SVC_SERVICE_PORT'), '80');
    assert.equal(vars.get('BEFORE_SVC_SERVICE_PORT_HTTP'), '80');
    assert.equal(vars.get('BEFORE_SVC_PORT'), `tcp://${ip}:80`);
    assert.equal(vars.get('BEFORE_SVC_PORT_80_TCP_ADDR'), ip);
    assert.ok(vars.get('KUBERNETES_SERVICE_HOST'), 'the kubernetes Service vars are there');
    assert.equal(vars.has('AFTER_SVC_SERVICE_HOST'), false);
    assert.equal(vars.get('HOSTNAME'), 'env-pod');
    assert.equal(vars.get('POD_IP'), running.status!.podIP);
    assert.equal(vars.get('MY_IP'), running.status!.podIP);
    // The same through exec, which runs in the container's environment.
    let out = '';
    const code = await runtime.exec(running, 'app', ['sh', '-c', 'echo $BEFORE_SVC_SERVICE_HOST; exit 3'], {
      tty: false,
      stdout: { write: (b: Buffer) => ((out += b.toString()), true) } as unknown as NodeJS.WritableStream,
      signal: new AbortController().signal,
    });
    assert.deepEqual([code, out], [3, `${ip}\n`]);
  });

  test('ConfigMap values reach the environment and a mounted volume', async () => {
    await cluster.client.resource<ConfigMap>('', 'v1', 'configmaps').create(NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { mode: 'prod', 'level.txt': 'debug' } });
    await createPod('cm-pod', {
      restartPolicy: 'Never',
      volumes: [{ name: 'cfg', configMap: { name: 'app-config' } }],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'echo "mode=$MODE prefixed=$CFG_mode"; cat /etc/app/level.txt; echo; grep cm-pod /etc/hosts'],
          env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } }],
          envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'app-config' } }],
          volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }],
        },
      ],
    });
    const p = await eventually('cm-pod to complete', async () => {
      const x = await pods.get(NS, 'cm-pod');
      return x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed' ? x : undefined;
    });
    const text = readFileSync(runtime.containerLogPath(p, 'app', false)!, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\S+ stdout [FP] /, ''));
    assert.equal(p.status!.phase, 'Succeeded', text.join('\n'));
    assert.equal(text[0], 'mode=prod prefixed=prod');
    assert.equal(text[1], 'debug');
    assert.match(text[2] ?? '', new RegExp(`^${p.status!.podIP!.replace(/\./g, '\\.')}\\s+cm-pod`));
  });

  test('the built-in agnhost image serves on the pod IP and passes an httpGet readiness probe on a named port', async () => {
    await createPod('agnhost', {
      containers: [
        {
          name: 'netexec',
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
          args: ['netexec', '--http-port=8080'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
        },
      ],
    });
    const p = await eventually(
      'agnhost Ready',
      async () => {
        const x = await pods.get(NS, 'agnhost');
        return condition(x, 'Ready') === 'True' ? x : undefined;
      },
      30_000,
    ).catch(async (err: unknown) => {
      const x = await pods.get(NS, 'agnhost');
      const log = runtime.containerLogPath(x, 'netexec', false);
      throw new Error(`${(err as Error).message}; status: ${JSON.stringify(x.status?.containerStatuses)}; log: ${log ? readFileSync(log, 'utf8') : '(none)'}; events: ${(await podEvents('agnhost')).map((e) => `${e.reason}: ${e.message}`).join(' | ')}`);
    });
    const res = await fetch(`http://${p.status!.podIP}:8080/hostname`);
    assert.equal(await res.text(), 'agnhost');
  });

  test('a readiness probe on a closed port keeps the pod Running but not Ready', async () => {
    await createPod('unready', {
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'], readinessProbe: { tcpSocket: { port: 1 }, periodSeconds: 1, failureThreshold: 1 } }],
    });
    await eventually('an Unhealthy event', async () => (await podEvents('unready')).some((e) => e.reason === 'Unhealthy' && e.message?.startsWith('Readiness probe failed: dial tcp')));
    const p = await pods.get(NS, 'unready');
    assert.equal(p.status!.phase, 'Running');
    assert.equal(condition(p, 'Ready'), 'False');
    assert.equal(p.status!.containerStatuses![0]!.ready, false);
    assert.ok(p.status!.containerStatuses![0]!.state!.running);
  });

  test('a crashing container goes into CrashLoopBackOff', async () => {
    await createPod('crasher', { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo bye; exit 1'] }] });
    const p = await eventually('CrashLoopBackOff', async () => {
      const x = await pods.get(NS, 'crasher');
      return x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? x : undefined;
    });
    const c = p.status!.containerStatuses![0]!;
    assert.match(c.state!.waiting!.message!, /^back-off 10s restarting failed container=app pod=crasher_default\(/);
    assert.ok(c.restartCount >= 1);
    assert.equal(c.lastState!.terminated!.exitCode, 1);
    assert.equal(c.lastState!.terminated!.reason, 'Error');
    assert.equal(p.status!.phase, 'Running');
    await eventually('a BackOff event', async () => (await podEvents('crasher')).some((e) => e.reason === 'BackOff'));
  });

  test('deleting a pod runs preStop, then SIGTERM, and the pod goes away', async () => {
    const trace = join(dataDir, 'graceful-trace');
    await createPod('graceful', {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', `trap 'echo TERM >> ${trace}; exit 0' TERM; echo started >> ${trace}; while :; do sleep 0.1; done`],
          lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo preStop >> ${trace}`] } } },
        },
      ],
    });
    await eventually('graceful Running', async () => (await pods.get(NS, 'graceful')).status?.phase === 'Running');
    await eventually('the container to start', () => readFileSync(trace, 'utf8').includes('started'));
    await pods.delete(NS, 'graceful', { gracePeriodSeconds: 10 });
    await eventually('graceful to disappear', async () => {
      try {
        await pods.get(NS, 'graceful');
        return undefined;
      } catch (err) {
        if (isReason(err, 'NotFound')) return true;
        throw err;
      }
    });
    assert.deepEqual(readFileSync(trace, 'utf8').split('\n').filter(Boolean), ['started', 'preStop', 'TERM']);
  });
});
