/**
 * `skiff server` and `skiff agent` as separate processes: the agent registers its
 * node over HTTP, runs the pods scheduled to it as processes, serves them through
 * its proxy, and after a `kill -9` and a restart takes its pods back (restarting
 * them) instead of duplicating or orphaning their processes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** The pod's /hostname answer on its IP, or undefined while it does not answer. */
async function hostnameAt(ip: string): Promise<string | undefined> {
  try {
    const r = await fetch(`http://${ip}:8080/hostname`);
    return r.ok ? (await r.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

describe('skiff server + skiff agent', { timeout: 180_000 }, () => {
  let c: TestCluster;
  let agent: ChildProcess | undefined;
  const output: string[] = [];
  const kc = async (...args: string[]): Promise<string> => {
    const r = await c.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const startAgent = (): ChildProcess => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'agent', '--server', c.url, '--name', 'worker-1', '--data-dir', join(c.dataDir, 'agent'), '--proxy-mode', 'none', '--cluster-cidr', '127.233.0.0/16', '--cluster-dns', 'off'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    p.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    return p;
  };

  before(async () => {
    c = await startTestCluster({ command: 'server', store: 'memory', extraArgs: ['--cluster-dns', 'off'] });
    agent = startAgent();
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await c?.stop();
  });

  test('the agent joins, runs pods as processes, and takes them back after kill -9 and a restart', async () => {
    await eventually(`node worker-1 Ready (agent output: ${output.join('')})`, async () => ((await kc('get', 'node', 'worker-1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').catch(() => '')) === 'True' ? true : undefined), 30_000);
    assert.equal(await kc('get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'), 'worker-1', 'the server runs no nodes of its own');
    await kc('run', 'web', '--image=registry.k8s.io/e2e-test-images/agnhost:2.53', '--', 'netexec', '--http-port=8080', '--udp-port=-1');
    const ip = await eventually('web Running with an IP', async () => {
      const out = await kc('get', 'pod', 'web', '-o', 'jsonpath={.status.phase} {.status.podIP} {.spec.nodeName}');
      const [phase, podIP, node] = out.split(' ');
      return phase === 'Running' && podIP && node === 'worker-1' ? podIP : undefined;
    }, 30_000);
    assert.match(ip, /^127\.233\./);
    const hostname = await eventually('the pod answers on its IP', () => hostnameAt(ip), 20_000);
    assert.equal(hostname, 'web');
    // kill -9 the agent: its pod processes outlive it; a new agent must restart them once, not twice.
    const exited = new Promise((r) => agent!.once('exit', r));
    agent!.kill('SIGKILL');
    await exited;
    agent = startAgent();
    await eventually('web restarted by the new agent', async () => {
      const out = await kc('get', 'pod', 'web', '-o', 'jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].ready}');
      return out === '1 true' ? true : undefined;
    }, 30_000);
    const again = await eventually('the pod answers again', () => hostnameAt(ip), 20_000);
    assert.equal(again, 'web');
  });
});
