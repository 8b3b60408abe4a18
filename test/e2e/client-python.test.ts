/**
 * skiff driven by the Python `kubernetes` client from Debian (python3-kubernetes
 * 22.6, for /usr/bin/python3). The client runs once, in
 * test/fixtures/clients/python_client_check.py, and prints one JSON line; each
 * test below asserts on one part of it. The client sends `watch=True` with a
 * capital T and cannot send a JSON merge patch (a dict goes as a strategic merge
 * patch, a list as a JSON patch).
 */
import { test, before, after, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../fixtures/clients/python_client_check.py', import.meta.url).pathname;
const NS = 'client-python';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never throws; kills it after `timeoutMs`. */
function run(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: err && code === null ? `${stderr}\n${err.message}` : stderr });
    });
  });
}

const hasPythonClient = async (): Promise<boolean> => (await run(PYTHON, ['-c', 'import kubernetes'], 15_000)).code === 0;

/**
 * Makes `import kubernetes` work for /usr/bin/python3, installing the Debian
 * package once if needed. Returns undefined on success, else why it failed.
 */
async function ensurePythonClient(): Promise<string | undefined> {
  if (await hasPythonClient()) return undefined;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-q', 'python3-kubernetes'], 120_000, env);
  if (r.code !== 0) {
    await run('apt-get', ['update', '-q'], 120_000, env);
    r = await run('apt-get', ['install', '-y', '-q', 'python3-kubernetes'], 120_000, env);
  }
  if (r.code === 0 && (await hasPythonClient())) return undefined;
  return `python3-kubernetes is not importable by ${PYTHON} and apt-get install failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
}

type Section = Record<string, any> & { error?: string; trace?: string };

describe('Python kubernetes client (python3-kubernetes) against skiff', () => {
  let c: TestCluster | undefined;
  let skipReason: string | undefined;
  let results: Record<string, Section> = {};
  let runInfo = '';

  before(
    async () => {
      skipReason = await ensurePythonClient();
      if (skipReason) return;
      c = await startTestCluster();
      const r = await run(PYTHON, [SCRIPT, NS], 60_000, { ...c.env, PYTHONDONTWRITEBYTECODE: '1' });
      runInfo = `exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
      assert.equal(r.code, 0, `python_client_check.py failed:\n${runInfo}`);
      const line = r.stdout.trim().split('\n').pop() ?? '';
      results = JSON.parse(line) as Record<string, Section>;
    },
    { timeout: 420_000 },
  );
  after(async () => {
    await c?.stop();
  });

  /** The named section of the script's results, or skips the test if the client is unavailable. */
  const section = (t: TestContext, name: string): Section | undefined => {
    if (skipReason) {
      t.skip(skipReason);
      return undefined;
    }
    const s = results[name];
    assert.ok(s, `no "${name}" in the script's output:\n${runInfo}`);
    assert.equal(s.error, undefined, `${name} failed in Python: ${s.error}\n${s.trace ?? ''}`);
    return s;
  };

  test('creates a namespace', (t) => {
    const s = section(t, 'namespace');
    if (!s) return;
    assert.deepEqual(s, { name: NS, phase: 'Active' });
  });

  test('ConfigMap: create, read, replace, list, delete', (t) => {
    const s = section(t, 'configmap_crud');
    if (!s) return;
    assert.deepEqual(s.created_data, { a: '1' });
    assert.equal(s.created_uid, true);
    assert.deepEqual(s.read_data, { a: '1' });
    assert.deepEqual(s.replaced_data, { a: '1', b: '2' });
    assert.equal(s.rv_changed, true, 'replace did not change the resourceVersion');
    assert.deepEqual(s.listed_names, ['py-cm']);
    assert.equal(s.list_rv, true, 'list has no resourceVersion');
    assert.equal(s.delete_kind, 'Status');
    assert.equal(s.read_after_delete, 404);
  });

  test('Service: CRUD with a ClusterIP and defaults, strategic merge patch (dict) and JSON patch (list)', (t) => {
    const s = section(t, 'service_crud_and_patch');
    if (!s) return;
    const ip = String(s.cluster_ip);
    const [a, b] = ip.split('.').map(Number);
    assert.ok(a === 127 && b !== undefined && b >= 96 && b < 112, `clusterIP ${ip} is not in 127.96.0.0/12`);
    assert.equal(s.type, 'ClusterIP');
    assert.equal(s.session_affinity, 'None');
    assert.equal(s.port_protocol, 'TCP');
    assert.equal(s.target_port, 8080);
    assert.equal(s.read_cluster_ip, ip);
    assert.deepEqual(s.replaced_labels, { app: 'py', replaced: 'yes' });
    assert.equal(s.replaced_rv_changed, true);
    assert.equal(s.replaced_cluster_ip, ip);
    // Strategic merge: labels merge, and ports merge by their key `port`.
    assert.deepEqual(s.smp_labels, { app: 'py', replaced: 'yes', smp: '1' });
    assert.deepEqual(s.smp_ports, [['http', 80], ['metrics', 9090]]);
    assert.deepEqual(s.jp_annotations, { jp: 'yes' });
    assert.deepEqual(s.jp_labels, { app: 'py', replaced: 'yes', smp: '2' });
    assert.deepEqual(s.listed_names, ['py-svc']);
    assert.equal(s.read_after_delete, 404);
  });

  test('watch.Watch().stream (watch=True) sees ADDED and DELETED', (t) => {
    const s = section(t, 'watch');
    if (!s) return;
    assert.deepEqual(s.errors, []);
    assert.deepEqual(s.events, [['ADDED', 'py-watch'], ['DELETED', 'py-watch']]);
    assert.equal(s.finished, true, 'the watch thread did not finish');
  });

  test('a watch with timeout_seconds=2 is ended by the server', (t) => {
    const s = section(t, 'watch_timeout');
    if (!s) return;
    assert.equal(s.ended, true, 'the watch stream did not end within 10 s');
    assert.ok(s.seconds >= 1.5 && s.seconds < 6, `the watch ended after ${s.seconds} s, expected about 2 s`);
  });

  test('a missing object raises ApiException with status 404 and a NotFound Status body', (t) => {
    const s = section(t, 'not_found');
    if (!s) return;
    assert.deepEqual(s, { status: 404, reason: 'NotFound', kind: 'Status', code: 404 });
  });
});
