/**
 * The process runtime's pod lifecycle through `skiff up` (three nodes, process
 * runtime) and the real kubectl — the issue-4 acceptance points that the
 * in-process tests (process-runtime.test.ts, logs-exec.test.ts) do not reach:
 * Service env vars in a pod of the seed's go-demo-2 shape seen through
 * `kubectl exec -- env`; `kubectl logs -f` of a real process; crash-loop
 * delays that grow; preStop, then SIGTERM, then SIGKILL once the grace period
 * is over; a tail -F log collector DaemonSet on a hostPath /var/log that sees
 * exactly its own node's pods; and no pod process surviving Ctrl-C of `skiff
 * up`, nor a duplicate after `kill -9` and a restart.
 *
 * `skiff up` has no pod-CIDR flag, so these pods get addresses from the
 * default 127.128.0.0/9 that other process clusters of the same run also use:
 * no pod here binds a port, and every pod is deleted when its test is done.
 * Pod processes are found by a marker variable in their environment
 * (`/proc/<pid>/environ`), which every process of a container inherits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { mountNamespaceSupport } from '../../src/node/volumes/index.js';
import { findKubectl, startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const kubectlPath = findKubectl();
/** Marker in the environment of every pod process this file starts. */
const MARK = `skiff-e2e-${randomUUID()}`;
const MARK_ENV = { name: 'SKIFF_E2E_MARK', value: MARK };

interface PodProc {
  pid: number;
  /** The pod name (the runtime sets HOSTNAME to it). */
  pod: string;
  cmdline: string;
}

/** Live processes carrying this file's marker (zombies excluded: they are already dead). */
function markedProcs(): PodProc[] {
  const out: PodProc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (!env.includes(`SKIFF_E2E_MARK=${MARK}`)) continue;
      const state = /\) (\S)/.exec(readFileSync(`/proc/${name}/stat`, 'utf8'))?.[1];
      if (state === 'Z') continue;
      const pod = env.find((e) => e.startsWith('HOSTNAME='))?.slice('HOSTNAME='.length) ?? '';
      out.push({ pid: Number(name), pod, cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    } catch {
      // The process went away while we looked, or is not ours to read.
    }
  }
  return out;
}

function pidAlive(pid: number): boolean {
  try {
    const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

function isReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Counts of processes per pod name, sorted, for comparisons. */
function perPod(procs: PodProc[]): [string, number][] {
  const m = new Map<string, number>();
  for (const p of procs) m.set(p.pod, (m.get(p.pod) ?? 0) + 1);
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

describe('process pods through skiff up and kubectl', { skip: kubectlPath ? false : 'kubectl is not installed' }, () => {
  let c: TestCluster;

  const kubectl = async (args: string[], input?: string, timeoutMs?: number): Promise<string> => {
    const r = await c.kubectl(args, { ...(input !== undefined ? { input } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const apply = (obj: unknown): Promise<string> => kubectl(['apply', '-f', '-'], JSON.stringify(obj));
  const getPod = async (name: string, ns = 'default'): Promise<Pod> => JSON.parse(await kubectl(['get', 'pod', name, '-n', ns, '-o', 'json'])) as Pod;
  const listPods = async (selector: string, ns = 'default'): Promise<Pod[]> => (JSON.parse(await kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'])) as { items: Pod[] }).items;
  const waitReady = (name: string, ns = 'default', ms = 30_000): Promise<Pod> =>
    eventually(`pod ${ns}/${name} Running and Ready`, async () => {
      const p = await getPod(name, ns);
      return isReady(p) ? p : undefined;
    }, ms);
  const pod = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}, ns = 'default'): unknown => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec,
  });
  /** `kubectl ARGS` in the background, e.g. `logs -f`. */
  const background = (args: string[]) => {
    const child = spawn(kubectlPath!, args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => child.once('close', (code) => r(code ?? -1)));
    return {
      out: () => out,
      err: () => err,
      exited,
      async stop(): Promise<void> {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  };

  before(async () => {
    // Cluster DNS off: its port belongs to whichever cluster of the run binds it first, and nothing here resolves names.
    c = await startTestCluster({ runtime: 'process', proxy: false, extraArgs: ['--nodes', '3', '--cluster-dns', 'off'], timeoutMs: 60_000 });
    await eventually('3 Ready nodes', async () => {
      const r = await c.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
      return r.code === 0 && r.stdout.split('\n').filter((s) => s === 'True').length === 3;
    }, 60_000);
  });

  after(async () => {
    await c?.stop();
    // Last resort: nothing of this file may outlive it, whatever failed above.
    for (const p of markedProcs()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  test('kubectl exec -- env in a go-demo-2 pod shows the Service created before it, not the one created after', async (t) => {
    t.after(() => c.kubectl(['delete', 'rs/go-demo-2', 'svc/go-demo-2-db', 'svc/go-demo-2-api', '--ignore-not-found', '--wait=false']));
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'go-demo-2-db' }, spec: { selector: { type: 'db', service: 'go-demo-2' }, ports: [{ port: 27017 }] } });
    const ip = (await kubectl(['get', 'svc', 'go-demo-2-db', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    // The seed's svc/go-demo-2-rs.yml with its images replaced by agnhost (pause: nothing binds a port).
    const agnhost = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
    await apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'go-demo-2' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { type: 'backend', service: 'go-demo-2' } },
        template: {
          metadata: { labels: { type: 'backend', service: 'go-demo-2', db: 'mongo', language: 'go' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              { name: 'db', image: agnhost, args: ['pause'], ports: [{ containerPort: 28017 }], env: [MARK_ENV] },
              { name: 'api', image: agnhost, args: ['pause'], env: [{ name: 'DB', value: 'localhost' }, MARK_ENV] },
            ],
          },
        },
      },
    });
    const name = await eventually('the go-demo-2 pod Running and Ready', async () => {
      const p = (await listPods('service=go-demo-2')).find(isReady);
      return p?.metadata?.name;
    }, 30_000);
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'go-demo-2-api' }, spec: { selector: { type: 'backend', service: 'go-demo-2' }, ports: [{ port: 8080 }] } });
    const env = await kubectl(['exec', name, '-c', 'api', '--', 'env']);
    const vars = new Map(env.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    assert.equal(vars.get('GO_DEMO_2_DB_SERVICE_HOST'), ip, env);
    assert.equal(vars.get('GO_DEMO_2_DB_SERVICE_PORT'), '27017');
    assert.equal(vars.get('GO_DEMO_2_DB_PORT'), `tcp://${ip}:27017`);
    assert.equal(vars.get('GO_DEMO_2_DB_PORT_27017_TCP'), `tcp://${ip}:27017`);
    assert.equal(vars.get('GO_DEMO_2_DB_PORT_27017_TCP_PROTO'), 'tcp');
    assert.equal(vars.get('GO_DEMO_2_DB_PORT_27017_TCP_PORT'), '27017');
    assert.equal(vars.get('GO_DEMO_2_DB_PORT_27017_TCP_ADDR'), ip);
    assert.equal(vars.get('DB'), 'localhost');
    assert.deepEqual([...vars.keys()].filter((k) => k.startsWith('GO_DEMO_2_API_')), [], 'no variables of a Service created after the pod');
  });

  test('kubectl logs -f streams what a process writes later, and ends when the container exits', async () => {
    const trigger = join(c.dataDir, 'logs-f-trigger');
    await apply(
      pod('streamer', {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: 'busybox', env: [MARK_ENV], command: ['sh', '-c', `echo waiting; while [ ! -e ${trigger} ]; do sleep 0.1; done; echo triggered; sleep 1; echo last line`] }],
      }),
    );
    await waitReady('streamer');
    const f = background(['logs', '-f', 'streamer']);
    try {
      await eventually(`the first line from logs -f (stderr ${JSON.stringify(f.err())})`, () => f.out() === 'waiting\n');
      writeFileSync(trigger, '');
      await eventually(`the later lines from logs -f (got ${JSON.stringify(f.out())})`, () => f.out().endsWith('last line\n'));
      assert.equal(f.out(), 'waiting\ntriggered\nlast line\n');
      const code = await Promise.race([f.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 15_000))]);
      assert.equal(code, 0, `kubectl logs -f ends with the container (stderr ${JSON.stringify(f.err())})`);
    } finally {
      await f.stop();
      await c.kubectl(['delete', 'pod', 'streamer', '--wait=false']);
    }
  });

  test('a crashing container goes to CrashLoopBackOff with growing delays', { timeout: 120_000 }, async (t) => {
    t.after(() => c.kubectl(['delete', 'pod', 'crasher', '--wait=false']));
    const starts = join(c.dataDir, 'crash-starts');
    await apply(pod('crasher', { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'busybox', env: [MARK_ENV], command: ['sh', '-c', `date +%s%N >> ${starts}; echo crash; exit 1`] }] }));
    const seen = new Set<string>();
    let last: Pod | undefined;
    await eventually(
      'back-off 10s, 20s and then 40s',
      async () => {
        last = await getPod('crasher');
        const w = last.status?.containerStatuses?.[0]?.state?.waiting;
        if (w?.reason === 'CrashLoopBackOff') seen.add(/^back-off (\S+) /.exec(w.message ?? '')?.[1] ?? `unparsed: ${w.message}`);
        return seen.has('40s') || undefined;
      },
      100_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; saw ${[...seen].join(', ')}; status ${JSON.stringify(last?.status?.containerStatuses)}`);
    });
    assert.ok(seen.has('10s') && seen.has('20s'), `the back-off doubles from 10s (saw ${[...seen].join(', ')})`);
    const cs = last!.status!.containerStatuses![0]!;
    assert.ok(cs.restartCount >= 3, `restartCount ${cs.restartCount}`);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.match(cs.state!.waiting!.message!, /^back-off 40s restarting failed container=app pod=crasher_default\(/);
    // The delays between starts grow (the kubelet's first restart is immediate, then about 10 s, then about 20 s).
    const startsMs = readFileSync(starts, 'utf8').trim().split('\n').map((v) => Number(v) / 1e6);
    const gaps = startsMs.slice(1).map((v, i) => Math.round(v - startsMs[i]!));
    console.log(`crasher: delays between starts ${gaps.join(', ')} ms`);
    assert.ok(gaps.length >= 3, `at least four starts (got ${startsMs.length})`);
    for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! > gaps[i - 1]!, `each delay is longer than the one before: ${gaps.join(', ')} ms`);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    assert.ok(events.split('\n').includes('BackOff'), `a BackOff event (events: ${events.split('\n').join(', ')})`);
  });

  test('deleting a pod runs its preStop hook, then SIGTERM, then SIGKILL after the grace period', async () => {
    const trace = join(c.dataDir, 'stubborn-trace');
    const pidFile = join(c.dataDir, 'stubborn-pid');
    await apply(
      pod('stubborn', {
        terminationGracePeriodSeconds: 3,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            env: [MARK_ENV],
            // Ignores SIGTERM (only notes it): only SIGKILL ends it. `$$$$` is the shell's `$$` after the kubelet's $(VAR) expansion.
            command: ['sh', '-c', `trap 'echo TERM >> ${trace}' TERM; echo $$$$ > ${pidFile}; echo started >> ${trace}; while :; do sleep 0.1; done`],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo preStop >> ${trace}`] } } },
          },
        ],
      }),
    );
    try {
      await waitReady('stubborn');
      const pid = await eventually('the container to write its pid', () => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8').trim()));
      assert.ok(pidAlive(pid), `the container's shell (pid ${pid}) runs`);
      const t0 = Date.now();
      await kubectl(['delete', 'pod', 'stubborn', '--wait=true', '--timeout=30s'], undefined, 40_000);
      const waited = Date.now() - t0;
      assert.equal(pidAlive(pid), false, 'the container process is gone once the pod is');
      const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      assert.deepEqual(lines, ['started', 'preStop', 'TERM'], 'preStop first, then SIGTERM (ignored), then nothing: SIGKILL');
      // SIGTERM was ignored, so the pod can only have gone by the SIGKILL at the end of the grace period.
      console.log(`stubborn pod deleted in ${waited} ms with a 3 s grace period`);
    } finally {
      await c.kubectl(['delete', 'pod', 'stubborn', '--grace-period=0', '--force', '--wait=false']);
    }
  });

  describe('a log collector DaemonSet on a hostPath /var/log', () => {
    const ns = mountNamespaceSupport();
    const reason = ns.ok ? false : `mount namespaces are unavailable: ${ns.reason}`;
    if (reason) console.log(`skipped: ${reason}`);

    test('prints on each node the log lines of the pods on that node and no others', { skip: reason, timeout: 90_000 }, async () => {
      const nodes = ['node-1', 'node-2', 'node-3'];
      await kubectl(['create', 'namespace', 'logsrc']);
      // One talker per node, started before the collector: the shell expands the glob once, at start.
      for (const n of nodes) {
        await apply(
          pod(
            `talker-${n}`,
            {
              nodeName: n,
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'talk', image: 'busybox', env: [MARK_ENV], command: ['sh', '-c', `i=0; while :; do i=$((i+1)); echo "hello from talker-${n} $i"; sleep 0.5; done`] }],
            },
            { app: 'talker' },
            'logsrc',
          ),
        );
      }
      for (const n of nodes) await waitReady(`talker-${n}`, 'logsrc');
      // The seed's collector, on the hostPath /var/log, tailing the pods' log files. Its glob names
      // the talkers' namespace: `/var/log/pods/*/*/*.log` would include the collector's own log file
      // (which exists before its process starts, as with containerd), and tail -F would re-read its
      // own output forever — real fluentd configurations exclude their own logs for the same reason.
      await apply({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'log-collector' },
        spec: {
          selector: { matchLabels: { app: 'log-collector' } },
          template: {
            metadata: { labels: { app: 'log-collector' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'tail', image: 'busybox', env: [MARK_ENV], command: ['sh', '-c', 'tail -F /var/log/pods/logsrc_*/*/*.log'], volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }] }],
              volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }],
            },
          },
        },
      });
      const collectors = await eventually('a Running collector on each of the 3 nodes', async () => {
        const ps = (await listPods('app=log-collector')).filter(isReady);
        return ps.length === 3 ? ps : undefined;
      }, 30_000);
      try {
        for (const p of collectors) {
          const node = p.spec!.nodeName!;
          // Lines written after the collector started too: tail -F follows.
          const out = await eventually(`collector on ${node} to print a talker line written after it started`, async () => {
            const text = await kubectl(['logs', p.metadata!.name!]);
            const nums = [...text.matchAll(new RegExp(`hello from talker-${node} (\\d+)`, 'g'))].map((m) => Number(m[1]));
            return nums.length > 0 && Math.max(...nums) > Math.min(...nums) + 10 && text;
          }, 30_000);
          for (const other of nodes.filter((n) => n !== node)) assert.ok(!out.includes(`talker-${other}`), `collector on ${node} shows nothing of talker-${other}:\n${out.slice(0, 2000)}`);
          assert.match(out, new RegExp(`^\\S+ stdout F hello from talker-${node} \\d+$`, 'm'), 'the lines are those of the CRI log file');
        }
      } finally {
        await c.kubectl(['delete', 'ds/log-collector', '--wait=false']);
        await c.kubectl(['delete', 'namespace', 'logsrc', '--wait=false']);
      }
    });
  });

  describe('pod processes and the life of skiff up', () => {
    let baseline: PodProc[] = [];

    test('kill -9 of skiff up and a restart leave exactly the processes the pods need', { timeout: 120_000 }, async () => {
      const agnhost = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
      await apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'keeper' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'keeper' } },
          template: {
            metadata: { labels: { app: 'keeper' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                { name: 'sleeper', image: 'busybox', command: ['sleep', '3600'], env: [MARK_ENV] },
                { name: 'pause', image: agnhost, args: ['pause'], env: [MARK_ENV] },
              ],
            },
          },
        },
      });
      const names = await eventually('3 keeper pods Running and Ready', async () => {
        const ps = (await listPods('app=keeper')).filter(isReady);
        return ps.length === 3 ? ps.map((p) => p.metadata!.name!).sort() : undefined;
      }, 40_000);
      // Every pod's processes, and nothing else of ours (the earlier tests' pods are gone by now).
      baseline = await eventually('the keeper processes (and only those) to be running', () => {
        const procs = markedProcs();
        const pods = perPod(procs);
        return pods.length === 3 && pods.every(([n, k]) => names.includes(n) && k >= 2) ? procs : undefined;
      }, 30_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; marked processes: ${JSON.stringify(markedProcs())}`);
      });

      await c.kill9();
      // Orphans now: the runtime that owned them is dead.
      assert.ok(baseline.some((p) => pidAlive(p.pid)), 'the pod processes outlive a kill -9 of skiff up until it restarts');
      await c.restart();

      const after = await eventually('the restarted runtime to replace every old process, once', () => {
        const procs = markedProcs();
        const pods = perPod(procs);
        const oldAlive = baseline.filter((p) => pidAlive(p.pid));
        return oldAlive.length === 0 && JSON.stringify(pods) === JSON.stringify(perPod(baseline)) ? procs : undefined;
      }, 45_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; before: ${JSON.stringify(perPod(baseline))}, now: ${JSON.stringify(perPod(markedProcs()))}, old alive: ${baseline.filter((p) => pidAlive(p.pid)).map((p) => p.pid)}`);
      });
      // The same pods (from the store), each with its own processes again.
      const now = await eventually('3 keeper pods Ready again', async () => {
        const ps = (await listPods('app=keeper')).filter(isReady);
        return ps.length === 3 ? ps.map((p) => p.metadata!.name!).sort() : undefined;
      }, 40_000);
      assert.deepEqual(now, names);
      assert.deepEqual(perPod(after).map(([n]) => n), names);
      baseline = after;
    });

    test('no pod process survives Ctrl-C of skiff up', async () => {
      const before = markedProcs();
      assert.ok(before.length > 0, 'pod processes run before Ctrl-C');
      const exited = new Promise<number | null>((r) => c.proc.once('exit', (code) => r(code)));
      c.proc.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
      assert.equal(code, 0, `skiff up exits 0 on Ctrl-C; output tail:\n${c.output.slice(-20).join('\n')}`);
      const left = markedProcs();
      assert.deepEqual(left, [], `no pod process is left once skiff up has exited: ${JSON.stringify(left)}`);
    });
  });
});
