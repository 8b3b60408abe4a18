import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Container, ContainerStatus, Pod, Service } from 'kubernetes-types/core/v1.js';
import { eventually } from '../../../test/helpers/eventually.js';
import type { RuntimePodStatus } from '../runtime.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process.js';
import { readRecords } from './process-record.js';
import { groupAlive, readProcStat } from './process-tree.js';

const dataDir = mkdtempSync(join(tmpdir(), 'skiff-proc-rt-'));
const runtimes: ProcessRuntime[] = [];
after(async () => {
  await Promise.all(runtimes.map((r) => r.stopAll()));
  rmSync(dataDir, { recursive: true, force: true });
});

interface Ev {
  pod: string;
  type: string;
  reason: string;
  message: string;
}

function newRuntime(over: Partial<ProcessRuntimeOptions> = {}): { rt: ProcessRuntime; events: Ev[]; changes: string[] } {
  const events: Ev[] = [];
  const changes: string[] = [];
  const rt = new ProcessRuntime({
    dataDir,
    volumes: false,
    backoff: { initialMs: 300, maxMs: 1_200 },
    configRetryMs: 200,
    recordEvent: (pod, type, reason, message) => events.push({ pod: pod.metadata?.name ?? '', type, reason, message }),
    ...over,
  });
  rt.onChange((uid) => changes.push(uid));
  runtimes.push(rt);
  return { rt, events, changes };
}

let seq = 0;
function mkPod(containers: Array<Partial<Container> & { name: string }>, spec: Partial<NonNullable<Pod['spec']>> = {}, name = `p${++seq}`): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}-${process.pid}`, labels: { app: 'demo' } },
    spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 5, ...spec, containers: containers.map((c) => ({ image: 'busybox', ...c })) },
  };
}

const ctx = { nodeName: 'node-1', podIP: '127.0.0.1', hostIP: '127.0.0.1' };
const sh = (script: string): Partial<Container> => ({ command: ['sh', '-c', script] });

function app(rt: ProcessRuntime, pod: Pod, i = 0) {
  return rt.podStatus(pod)?.containerStatuses[i];
}

describe('ProcessRuntime', () => {
  test('a container that exits 3 under restartPolicy Never fails the pod; its output is in the CRI log', async () => {
    const { rt, events } = newRuntime();
    const pod = mkPod([{ name: 'c', ...sh('echo hello; echo oops >&2; printf partial; exit 3') }], { restartPolicy: 'Never' });
    await rt.startPod(pod, ctx);
    const s = await eventually('the pod to fail', () => rt.podStatus(pod)?.terminalPhase === 'Failed' && rt.podStatus(pod)!);
    const t = s.containerStatuses[0]!.state!.terminated!;
    assert.deepEqual([t.exitCode, t.reason], [3, 'Error']);
    assert.match(s.containerStatuses[0]!.containerID!, /^skiff-process:\/\/[0-9a-f]{64}$/);
    const path = rt.containerLogPath(pod, 'c', false)!;
    assert.equal(path, join(dataDir, 'nodes/node-1/var/log/pods', `default_${pod.metadata!.name}_${pod.metadata!.uid}`, 'c', '0.log'));
    assert.equal(rt.containerLogPath(pod, 'c', true), undefined);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    const re = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) (.*)$/;
    const parsed = lines.map((l) => re.exec(l)!.slice(1)).sort((a, b) => a[2]!.localeCompare(b[2]!));
    assert.deepEqual(parsed, [
      ['stdout', 'F', 'hello'],
      ['stderr', 'F', 'oops'],
      ['stdout', 'P', 'partial'],
    ]);
    assert.deepEqual(events.filter((e) => e.pod === pod.metadata!.name).map((e) => e.reason), ['Pulled', 'Created', 'Started']);
  });

  test('exit 0 under Never completes the pod with reason Completed', async () => {
    const { rt } = newRuntime();
    const pod = mkPod([{ name: 'c', ...sh('exit 0') }], { restartPolicy: 'Never' });
    await rt.startPod(pod, ctx);
    const s = await eventually('the pod to succeed', () => rt.podStatus(pod)?.terminalPhase === 'Succeeded' && rt.podStatus(pod)!);
    assert.equal(s.containerStatuses[0]!.state!.terminated!.reason, 'Completed');
  });

  test('a crashing container under Always restarts at once, then waits in CrashLoopBackOff with a doubling back-off', async () => {
    const { rt, events } = newRuntime();
    const pod = mkPod([{ name: 'crash', ...sh('echo run; exit 1') }]);
    // Every published state, so no transition is missed by polling.
    const seen: ContainerStatus[] = [];
    rt.onChange(() => {
      const c = app(rt, pod);
      if (c) seen.push(structuredClone(c));
    });
    await rt.startPod(pod, ctx);
    await eventually('three back-offs', () => new Set(seen.map((c) => c.state?.waiting?.message).filter((m) => m?.startsWith('back-off'))).size >= 3);
    const podRef = `${pod.metadata!.name}_default(${pod.metadata!.uid})`;
    const backoffs = [...new Set(seen.map((c) => c.state?.waiting?.message).filter((m): m is string => !!m?.startsWith('back-off')))];
    assert.deepEqual(backoffs.slice(0, 3), ['300ms', '600ms', '1.2s'].map((d) => `back-off ${d} restarting failed container=crash pod=${podRef}`));
    // The first restart is immediate: restart 1 runs before any back-off.
    const firstWait = seen.find((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')!;
    assert.equal(firstWait.restartCount, 1);
    assert.deepEqual([firstWait.lastState!.terminated!.exitCode, firstWait.lastState!.terminated!.reason], [1, 'Error']);
    assert.ok(events.some((e) => e.reason === 'BackOff' && e.message === `Back-off restarting failed container crash in pod ${podRef}`));
    // The previous instance's log is there for `kubectl logs --previous`.
    const prev = rt.containerLogPath(pod, 'crash', true)!;
    assert.match(readFileSync(prev, 'utf8'), / stdout F run\n$/);
    await rt.stopPod(pod, 0);
  });

  test('OnFailure restarts a failed container until it succeeds, then the pod succeeds', async () => {
    const { rt } = newRuntime();
    const marker = join(dataDir, `marker-${seq}`);
    const pod = mkPod([{ name: 'c', ...sh(`if [ -f ${marker} ]; then exit 0; fi; touch ${marker}; exit 1`) }], { restartPolicy: 'OnFailure' });
    await rt.startPod(pod, ctx);
    const s = await eventually('the pod to succeed', () => rt.podStatus(pod)?.terminalPhase === 'Succeeded' && rt.podStatus(pod)!);
    assert.equal(s.containerStatuses[0]!.restartCount, 1);
    assert.equal(s.containerStatuses[0]!.lastState!.terminated!.exitCode, 1);
  });

  test('stopPod runs preStop, then SIGTERM (trapped), and resolves when nothing of the pod runs', async () => {
    const { rt, events } = newRuntime();
    const trace = join(dataDir, `trace-${seq}`);
    const pod = mkPod([
      {
        name: 'c',
        ...sh(`trap 'echo TERM >> ${trace}; exit 0' TERM; echo started >> ${trace}; while :; do sleep 0.1; done`),
        lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo preStop >> ${trace}`] } } },
      },
    ]);
    await rt.startPod(pod, ctx);
    await eventually('the container to start', () => existsSync(trace) && readFileSync(trace, 'utf8').includes('started'));
    const pid = readRecords(join(dataDir, 'nodes/node-1/var/lib/kubelet/pods', pod.metadata!.uid!)).find((r) => r.rec.kind === 'container')!.rec.pid;
    await rt.stopPod({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString() } }, 10);
    assert.deepEqual(readFileSync(trace, 'utf8').split('\n').filter(Boolean), ['started', 'preStop', 'TERM']);
    assert.equal(groupAlive(pid), false);
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container c'));
    const t = app(rt, pod)!.state!.terminated!;
    assert.equal(t.exitCode, 0);
    // Deleted pods leave no files behind.
    assert.equal(existsSync(join(dataDir, 'nodes/node-1/var/lib/kubelet/pods', pod.metadata!.uid!)), false);
    assert.equal(rt.containerLogPath(pod, 'c', false), undefined);
  });

  test('a process that ignores SIGTERM is killed with its whole group after the grace period', async () => {
    const { rt } = newRuntime();
    const pod = mkPod([{ name: 'c', ...sh(`trap '' TERM; sleep 60 & while :; do sleep 0.1; done`) }]);
    await rt.startPod(pod, ctx);
    await eventually('the container to run', () => app(rt, pod)?.state?.running);
    const pid = readRecords(join(dataDir, 'nodes/node-1/var/lib/kubelet/pods', pod.metadata!.uid!)).find((r) => r.rec.kind === 'container')!.rec.pid;
    await rt.stopPod(pod, 1);
    assert.equal(groupAlive(pid), false);
    assert.equal(app(rt, pod)!.state!.terminated!.exitCode, 137);
  });

  test('exec runs in the container environment and resolves with the exit code; tty merges stderr', async () => {
    const services: Service[] = [{ metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '127.96.0.1', ports: [{ name: 'https', port: 443 }] } }];
    const { rt } = newRuntime({ services: () => services });
    const pod = mkPod([{ name: 'c', ...sh('sleep 60'), env: [{ name: 'GREETING', value: 'hi' }], workingDir: dataDir }]);
    await rt.startPod(pod, ctx);
    await eventually('the container to run', () => app(rt, pod)?.state?.running);
    const run = async (command: string[], tty: boolean, stdin?: string) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (b: Buffer) => (out += b.toString()));
      stderr.on('data', (b: Buffer) => (err += b.toString()));
      const input = stdin === undefined ? undefined : new PassThrough();
      const code = rt.exec(pod, 'c', command, { stdout, stderr, tty, signal: new AbortController().signal, ...(input ? { stdin: input } : {}) });
      if (input) input.end(stdin);
      return { code: await code, out, err };
    };
    assert.deepEqual(await run(['sh', '-c', 'echo $GREETING; echo err >&2; exit 3'], false), { code: 3, out: 'hi\n', err: 'err\n' });
    assert.deepEqual(await run(['sh', '-c', 'echo out; echo err >&2'], true), { code: 0, out: 'out\nerr\n', err: '' });
    assert.deepEqual(await run(['sh', '-c', 'echo $HOSTNAME $POD_IP $KUBERNETES_SERVICE_HOST; pwd'], false), { code: 0, out: `${pod.metadata!.name} 127.0.0.1 127.96.0.1\n${dataDir}\n`, err: '' });
    assert.deepEqual(await run(['cat'], false, 'from stdin'), { code: 0, out: 'from stdin', err: '' });
    await assert.rejects(rt.exec(pod, 'nope', ['true'], { tty: false, signal: new AbortController().signal }), /container not found \("nope"\)/);
    await assert.rejects(run(['definitely-not-a-command-xyz'], false), /executable file not found in \$PATH/);
    // A session still running when the pod stops ends with it.
    const long = rt.exec(pod, 'c', ['sleep', '60'], { tty: false, signal: new AbortController().signal });
    await rt.stopPod(pod, 0);
    assert.equal(await long, 137);
    // io.signal (the client went away) kills a session.
    const pod2 = mkPod([{ name: 'c', ...sh('sleep 60') }]);
    await rt.startPod(pod2, ctx);
    await eventually('the container to run', () => app(rt, pod2)?.state?.running);
    const gone = new AbortController();
    const session = rt.exec(pod2, 'c', ['sleep', '60'], { tty: false, signal: gone.signal });
    setTimeout(() => gone.abort(), 100);
    assert.equal(await session, 137);
    await rt.stopPod(pod2, 0);
  });

  test('limits.memory is enforced: the container is OOMKilled with exit code 137', async () => {
    const { rt } = newRuntime({ memorySampleMs: 100 });
    const hog = `const b = Buffer.alloc(200 * 1024 * 1024, 1); setTimeout(() => console.log(b.length), 60000);`;
    const pod = mkPod([{ name: 'hog', command: [process.execPath, '-e', hog], resources: { limits: { memory: '50Mi' } } }], { restartPolicy: 'Never' });
    await rt.startPod(pod, ctx);
    const s = await eventually('the OOM kill', () => rt.podStatus(pod)?.terminalPhase && rt.podStatus(pod)!, 20_000);
    const t = s.containerStatuses[0]!.state!.terminated!;
    assert.deepEqual([t.exitCode, t.reason], [137, 'OOMKilled']);
  });

  test('init containers run in order to completion before the app containers', async () => {
    const { rt } = newRuntime();
    const f = join(dataDir, `init-${seq}`);
    const pod: Pod = mkPod([{ name: 'app', ...sh(`cat ${f}; sleep 60`) }], {
      initContainers: [
        { name: 'one', image: 'busybox', ...sh(`echo one > ${f}`) },
        { name: 'two', image: 'busybox', ...sh(`sleep 0.3; echo two >> ${f}`) },
      ],
    });
    await rt.startPod(pod, ctx);
    await eventually('the app to run', () => app(rt, pod)?.state?.running);
    const s = rt.podStatus(pod)!;
    assert.deepEqual(s.initContainerStatuses!.map((c) => [c.name, c.state?.terminated?.reason, c.ready]), [['one', 'Completed', true], ['two', 'Completed', true]]);
    await eventually('the app output', () => readFileSync(rt.containerLogPath(pod, 'app', false)!, 'utf8').includes('two'));
    assert.match(readFileSync(rt.containerLogPath(pod, 'app', false)!, 'utf8'), /stdout F one\n.*stdout F two\n/s);
    await rt.stopPod(pod, 0);
  });

  test('a failing init container under Never fails the pod; the app never starts', async () => {
    const { rt } = newRuntime();
    const pod = mkPod([{ name: 'app', ...sh('sleep 60') }], { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox', ...sh('exit 2') }] });
    await rt.startPod(pod, ctx);
    const s = await eventually('the pod to fail', () => rt.podStatus(pod)?.terminalPhase === 'Failed' && rt.podStatus(pod)!);
    assert.equal(s.containerStatuses[0]!.state!.waiting!.reason, 'PodInitializing');
  });

  test('readiness probes drive ready; a failing liveness probe restarts the container', async () => {
    const { rt, events } = newRuntime();
    const dir = mkdtempSync(join(dataDir, 'probe-'));
    const pod = mkPod([
      {
        name: 'c',
        ...sh('sleep 60'),
        workingDir: dir,
        readinessProbe: { exec: { command: ['test', '-f', 'ready'] }, periodSeconds: 1, failureThreshold: 1 },
        livenessProbe: { exec: { command: ['test', '!', '-f', 'dead'] }, periodSeconds: 1, failureThreshold: 1 },
      },
    ], { terminationGracePeriodSeconds: 1 });
    await rt.startPod(pod, ctx);
    await eventually('the container to run', () => app(rt, pod)?.state?.running);
    assert.equal(app(rt, pod)!.ready, false);
    writeFileSync(join(dir, 'ready'), '');
    await eventually('ready', () => app(rt, pod)?.ready === true);
    rmSync(join(dir, 'ready'));
    await eventually('not ready again', () => app(rt, pod)?.ready === false);
    writeFileSync(join(dir, 'dead'), '');
    await eventually('a restart after the liveness failure', () => (app(rt, pod)?.restartCount ?? 0) >= 1);
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'));
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Readiness probe failed')));
    rmSync(join(dir, 'dead'));
    await rt.stopPod(pod, 0);
  });

  test('postStart runs after the start; a failing postStart kills the container, which restarts', async () => {
    const { rt, events } = newRuntime();
    const dir = mkdtempSync(join(dataDir, 'poststart-'));
    const ok = mkPod([{ name: 'c', ...sh('sleep 60'), workingDir: dir, lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hooked > hook'] } } } }]);
    await rt.startPod(ok, ctx);
    await eventually('the postStart hook', () => existsSync(join(dir, 'hook')) && readFileSync(join(dir, 'hook'), 'utf8') === 'hooked\n');
    await rt.stopPod(ok, 0);
    const bad = mkPod([{ name: 'c', ...sh('sleep 60'), lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 1'] } } } }], { terminationGracePeriodSeconds: 1 });
    await rt.startPod(bad, ctx);
    await eventually('a restart after the failed hook', () => (app(rt, bad)?.restartCount ?? 0) >= 1);
    const ev = events.find((e) => e.pod === bad.metadata!.name && e.reason === 'FailedPostStartHook');
    assert.match(ev?.message ?? '', /^Exec lifecycle hook \(\["sh","-c","echo nope; exit 1"\]\) for Container "c" in Pod ".*" failed - error: nope$/);
    await rt.stopPod(bad, 0);
  });

  test('a startup probe holds started and ready until it passes', async () => {
    const { rt } = newRuntime();
    const dir = mkdtempSync(join(dataDir, 'startup-'));
    const pod = mkPod([{ name: 'c', ...sh('sleep 0.5; touch up; sleep 60'), workingDir: dir, startupProbe: { exec: { command: ['test', '-f', 'up'] }, periodSeconds: 1, failureThreshold: 30 } }]);
    await rt.startPod(pod, ctx);
    await eventually('the container to run', () => app(rt, pod)?.state?.running);
    assert.deepEqual([app(rt, pod)!.started, app(rt, pod)!.ready], [false, false]);
    await eventually('started', () => app(rt, pod)?.started === true && app(rt, pod)?.ready === true);
    await rt.stopPod(pod, 0);
  });

  test('image fallback: simulate runs with no process and says so; fail waits with ErrImageNeverPull', async () => {
    const sim = newRuntime();
    const pod = mkPod([{ name: 'web', image: 'nginx:1.27' }]);
    await sim.rt.startPod(pod, ctx);
    const s = await eventually('the simulated container', () => app(sim.rt, pod)?.state?.running && sim.rt.podStatus(pod)!);
    assert.equal(s.containerStatuses[0]!.ready, true);
    assert.match(s.message!, /container "web": image "nginx:1\.27" has no built-in program in skiff/);
    assert.ok(sim.events.some((e) => e.reason === 'ImageSimulated'));
    await assert.rejects(sim.rt.exec(pod, 'web', ['true'], { tty: false, signal: new AbortController().signal }), /simulated by skiff/);
    await sim.rt.stopPod(pod, 30);

    const fail = newRuntime({ imageFallback: 'fail' });
    const pod2 = mkPod([{ name: 'web', image: 'nginx' }]);
    await fail.rt.startPod(pod2, ctx);
    const w = await eventually('the waiting container', () => app(fail.rt, pod2)?.state?.waiting?.reason === 'ErrImageNeverPull' && app(fail.rt, pod2)!);
    assert.match(w.state!.waiting!.message!, /give the container a command .*--image-fallback simulate/);
    await fail.rt.stopPod(pod2, 0);
  });

  test('built-in images map their entrypoint and binaries; env and downward API reach the process', async () => {
    const image = { name: 'fake', entrypoint: ['sh', '-c', 'echo "entry $*"; echo "$HOSTNAME|$POD_IP|$NODE|$MSG|$WEB_SERVICE_PORT"', 'fake'], cmd: ['default-cmd'], binaries: ['/fake'] };
    const services: Service[] = [{ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '127.96.0.9', ports: [{ port: 80 }] } }];
    const { rt } = newRuntime({ images: (ref) => (ref.startsWith('fake') ? image : undefined), services: () => services });
    const env = [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'MSG', value: 'web at $(WEB_SERVICE_HOST)' }];
    const pod = mkPod([
      { name: 'a', image: 'fake:1', env },
      { name: 'b', image: 'fake:1', command: ['/fake', 'sub'], args: ['$(NODE)'], env },
    ], { restartPolicy: 'Never', hostname: 'custom-host' });
    await rt.startPod(pod, ctx);
    await eventually('the pod to finish', () => rt.podStatus(pod)?.terminalPhase === 'Succeeded');
    const text = (c: string) => readFileSync(rt.containerLogPath(pod, c, false)!, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\S+ stdout F /, ''));
    assert.deepEqual(text('a'), ['entry default-cmd', 'custom-host|127.0.0.1|node-1|web at 127.96.0.9|80']);
    assert.deepEqual(text('b'), ['entry sub node-1', 'custom-host|127.0.0.1|node-1|web at 127.96.0.9|80']);
  });

  test('a missing ConfigMap keeps the container waiting in CreateContainerConfigError', async () => {
    const { rt } = newRuntime();
    const pod = mkPod([{ name: 'c', ...sh('true'), env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }]);
    await rt.startPod(pod, ctx);
    const w = await eventually('the config error', () => app(rt, pod)?.state?.waiting?.reason === 'CreateContainerConfigError' && app(rt, pod)!);
    assert.equal(w.state!.waiting!.message, "couldn't get configMap default/cfg, no kubeClient defined");
    await rt.stopPod(pod, 0);
  });

  test('hostNetwork pods get the node IP as POD_IP', async () => {
    const { rt } = newRuntime();
    const pod = mkPod([{ name: 'c', ...sh('echo $POD_IP') }], { restartPolicy: 'Never', hostNetwork: true });
    await rt.startPod(pod, { nodeName: 'node-1', podIP: '127.128.1.77', hostIP: '127.0.1.1' });
    await eventually('the pod to finish', () => rt.podStatus(pod)?.terminalPhase === 'Succeeded');
    assert.match(readFileSync(rt.containerLogPath(pod, 'c', false)!, 'utf8'), /stdout F 127\.0\.1\.1\n/);
  });

  test('forgetPod and stopAll leave no process behind', async () => {
    const { rt } = newRuntime();
    const a = mkPod([{ name: 'c', ...sh('sleep 60') }]);
    const b = mkPod([{ name: 'c', ...sh('sleep 60') }]);
    await rt.startPod(a, ctx);
    await rt.startPod(b, ctx);
    await eventually('both running', () => app(rt, a)?.state?.running && app(rt, b)?.state?.running);
    const pidOf = (p: Pod) => readRecords(join(dataDir, 'nodes/node-1/var/lib/kubelet/pods', p.metadata!.uid!)).find((r) => r.rec.kind === 'container')!.rec.pid;
    const [pa, pb] = [pidOf(a), pidOf(b)];
    rt.forgetPod(a.metadata!.uid!);
    await eventually('the forgotten pod to be killed', () => !groupAlive(pa));
    await rt.stopAll();
    assert.equal(groupAlive(pb), false);
    await assert.rejects(rt.startPod(mkPod([{ name: 'c', ...sh('true') }]), ctx), /stopped/);
  });
});

describe('restart safety', () => {
  test('a new runtime kills what a crashed one left and restarts the pod once, keeping the restart count', async () => {
    const pod = mkPod([{ name: 'c', ...sh('echo up; sleep 60') }], {}, `adopt-${process.pid}`);
    // The first runtime lives in a child process that is killed with SIGKILL, like a crashed agent.
    const script = `
      import { ProcessRuntime } from ${JSON.stringify(new URL('./process.ts', import.meta.url).pathname)};
      const rt = new ProcessRuntime({ dataDir: ${JSON.stringify(dataDir)}, volumes: false });
      const pod = ${JSON.stringify(pod)};
      await rt.startPod(pod, ${JSON.stringify(ctx)});
      const t = setInterval(() => { const s = rt.podStatus(pod); if (s?.containerStatuses[0]?.state?.running) { console.log(JSON.stringify(s)); clearInterval(t); } }, 50);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const status = await eventually('the first runtime to run the pod', () => out.includes('\n') && (JSON.parse(out.split('\n')[0]!) as RuntimePodStatus), 30_000);
      const podDir = join(dataDir, 'nodes/node-1/var/lib/kubelet/pods', pod.metadata!.uid!);
      const oldPid = readRecords(podDir).find((r) => r.rec.kind === 'container')!.rec.pid;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      assert.ok(readProcStat(oldPid), 'the container outlived its runtime');

      const { rt } = newRuntime();
      const adopted: Pod = { ...pod, status: { phase: 'Running', startTime: '2025-01-01T00:00:00Z', podIP: '127.0.0.1', containerStatuses: status.containerStatuses } };
      rt.adoptPod(adopted, ctx);
      await eventually('the adopted pod to run again', () => app(rt, pod)?.state?.running && app(rt, pod)!.restartCount === 1);
      assert.equal(groupAlive(oldPid), false, 'the old process was killed');
      const records = readRecords(podDir).filter((r) => r.rec.kind === 'container');
      assert.equal(records.length, 1);
      assert.notEqual(records[0]!.rec.pid, oldPid);
      assert.equal(rt.podStatus(pod)!.startTime, '2025-01-01T00:00:00Z');
      assert.equal(app(rt, pod)!.lastState!.terminated!.exitCode, 137);
      const logDir = join(dataDir, 'nodes/node-1/var/log/pods', `default_${pod.metadata!.name}_${pod.metadata!.uid}`, 'c');
      assert.deepEqual(readdirSync(logDir).sort(), ['0.log', '1.log'], `status ${JSON.stringify(rt.podStatus(pod))}; logs ${readdirSync(logDir).map((f) => `${f}: ${readFileSync(join(logDir, f), 'utf8')}`).join(' / ')}`);
      await rt.stopPod(pod, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
