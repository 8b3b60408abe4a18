/**
 * R3, zero-downtime rollout: steady HTTP load (~200 req/s) through a Service
 * ClusterIP while its Deployment rolls to a new version, with the upstream
 * recipe for it — readiness probes gate the endpoints, a preStop sleep keeps a
 * terminating pod serving until the proxy has stopped sending it new
 * connections, maxSurge 1 / maxUnavailable 0. Half the load opens a new
 * connection per request, half reuses four keep-alive connections. Every
 * request must succeed (2xx, no reset, no timeout), and answers must come from
 * both the old and the new version.
 *
 * Keep-alive: like kube-proxy, the proxy leaves established connections to a
 * terminating pod alone, so they carry requests until its process exits after
 * preStop (netexec exits at once on SIGTERM, as upstream's does), and a request
 * in flight at that moment breaks before any answer byte. A client that sends
 * such a GET once more on a new connection — Go's http.Transport does, Node's
 * docs prescribe it with `request.reusedSocket` — sees no failure; the test does
 * exactly that and prints how often it happened. Requests on new connections are
 * never retried: any failure there is the data path's.
 *
 * `skiff up` with process pods and the userspace proxy, on an address block of
 * its own (`isolatedNetwork: 2`). Quick mode (in `npm test`): one rollout;
 * `SKIFF_RELIABILITY=long`: five consecutive rollouts. Prints its figures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const ROLLOUTS = process.env.SKIFF_RELIABILITY === 'long' ? 5 : 1;
/** Request loops of each kind; each paces itself to RATE_PER_LOOP requests a second. */
const FRESH_LOOPS = 4;
const KEEPALIVE_LOOPS = 4;
const RATE_PER_LOOP = 25;
const REQUEST_TIMEOUT_MS = 5_000;

const deployment = (version: number): unknown => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    minReadySeconds: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'netexec',
            image: AGNHOST,
            command: ['/agnhost', 'netexec', '--http-port=8080', '--udp-port=8081'],
            ports: [{ containerPort: 8080 }],
            env: [{ name: 'VERSION', value: String(version) }],
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
            // Keeps the old pod serving while its endpoint turns terminating and every proxy catches up.
            lifecycle: { preStop: { sleep: { seconds: 3 } } },
          },
        ],
      },
    },
  },
});

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
};

interface Outcome {
  ok: boolean;
  /** The answering pod's name, or what went wrong. */
  text: string;
  ms: number;
  /**
   * The request went out on a reused keep-alive socket that broke before any byte
   * of the answer came back: the one case a client may safely send a GET again.
   */
  retryable: boolean;
}

/** GET /hostname through `agent` (false: a fresh connection); never rejects. */
function hitOnce(ip: string, agent: http.Agent | false): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let answered = false;
    const finish = (ok: boolean, text: string, retryable = false): void => {
      if (done) return;
      done = true;
      resolve({ ok, text, ms: performance.now() - t0, retryable });
    };
    const req = http.get({ host: ip, port: 80, path: '/hostname', agent }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => finish(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300, res.statusCode === 200 ? body.trim() : `HTTP ${res.statusCode}: ${body.slice(0, 100)}`));
      res.on('error', (err) => finish(false, `response: ${err.message}`));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => finish(false, `${err.code ?? ''} ${err.message}`.trim(), req.reusedSocket && !answered && err.code === 'ECONNRESET'));
  });
}

/**
 * {@link hitOnce}, sent once more on a new connection when it broke on a reused
 * keep-alive socket before any byte of the answer: what Go's http.Transport does
 * for idempotent requests and what Node's docs prescribe (`request.reusedSocket`),
 * because a server may close a keep-alive connection at any moment — here, the
 * old pod's process exiting after preStop with the connection still open.
 * Fresh-connection requests are never retried.
 */
async function hit(ip: string, agent: http.Agent | false): Promise<Outcome & { retried: boolean }> {
  const first = await hitOnce(ip, agent);
  if (first.ok || !first.retryable || !agent) return { ...first, retried: false };
  const second = await hitOnce(ip, agent);
  return { ...second, ms: first.ms + second.ms, text: second.ok ? second.text : `${second.text} (retry after: ${first.text})`, retried: true };
}

/** Figures of one load run. */
class Tally {
  requests = 0;
  readonly byKind = { fresh: 0, 'keep-alive': 0 };
  /** Keep-alive requests sent again after their reused socket broke before any answer byte. */
  retried = 0;
  readonly failures = new Map<string, number>();
  readonly byPod = new Map<string, number>();
  readonly latencies: number[] = [];
  readonly samples: string[] = [];

  add(kind: 'fresh' | 'keep-alive', o: Outcome & { retried: boolean }): void {
    this.requests++;
    this.byKind[kind]++;
    if (o.retried) this.retried++;
    this.latencies.push(o.ms);
    if (o.ok) {
      this.byPod.set(o.text, (this.byPod.get(o.text) ?? 0) + 1);
      return;
    }
    const k = `${kind}: ${o.text}`;
    this.failures.set(k, (this.failures.get(k) ?? 0) + 1);
    if (this.samples.length < 20) this.samples.push(`${new Date().toISOString()} ${k}`);
  }

  get failed(): number {
    let n = 0;
    for (const v of this.failures.values()) n += v;
    return n;
  }

  /** Answers per pod-template-hash (pod names are `web-<hash>-<suffix>`). */
  byVersion(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [pod, n] of this.byPod) {
      const hash = pod.split('-')[1] ?? pod;
      out.set(hash, (out.get(hash) ?? 0) + n);
    }
    return out;
  }

  p(q: number): number {
    if (!this.latencies.length) return 0;
    const s = [...this.latencies].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Runs paced request loops until `signal` aborts; resolves once every loop has its last answer. */
async function load(ip: string, tally: Tally, signal: AbortSignal): Promise<void> {
  const agents = Array.from({ length: KEEPALIVE_LOOPS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const interval = 1000 / RATE_PER_LOOP;
  const loops = FRESH_LOOPS + KEEPALIVE_LOOPS;
  const loop = async (kind: 'fresh' | 'keep-alive', agent: http.Agent | false, i: number): Promise<void> => {
    // Staggered starts spread the requests evenly over time rather than in bursts.
    let next = performance.now() + (i * interval) / loops;
    await sleep(next - performance.now());
    while (!signal.aborted) {
      tally.add(kind, await hit(ip, agent));
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  };
  try {
    await Promise.all([...Array.from({ length: FRESH_LOOPS }, (_, i) => loop('fresh', false, 2 * i)), ...agents.map((a, i) => loop('keep-alive', a, 2 * i + 1))]);
  } finally {
    for (const a of agents) a.destroy();
  }
}

describe('R3 zero-downtime rollout: steady HTTP load through a ClusterIP while the Deployment rolls', { timeout: 120_000 + ROLLOUTS * 60_000 }, () => {
  let c: TestCluster;
  let ip: string;
  const kc = async (...args: string[]): Promise<string> => {
    const r = await c.kubectl(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const kapply = async (obj: unknown): Promise<void> => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });
    assert.equal(r.code, 0, `kubectl apply: ${r.stderr}`);
  };
  /** The pod-template-hash of the ReplicaSet that holds all the replicas (call when no rollout is under way). */
  const currentHash = async (): Promise<string> => {
    const rs = JSON.parse(await kc('get', 'rs', '-l', 'app=web', '-o', 'json')) as { items: Array<{ metadata: { labels?: Record<string, string> }; spec: { replicas?: number } }> };
    const live = rs.items.filter((r) => (r.spec.replicas ?? 0) > 0);
    assert.equal(live.length, 1, `one ReplicaSet with replicas: ${JSON.stringify(live.map((r) => r.metadata.labels))}`);
    return live[0]!.metadata.labels?.['pod-template-hash'] ?? '';
  };
  const readyEndpoints = async (): Promise<number> => (await kc('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).split(/\s+/).filter(Boolean).length;

  before(async () => {
    c = await startTestCluster({ store: 'memory', runtime: 'process', proxy: true, isolatedNetwork: 2, timeoutMs: 30_000 });
    await kapply(deployment(1));
    await kapply(service);
    ip = await kc('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}');
    await eventually('3 ready endpoints behind web', async () => ((await readyEndpoints()) === 3 ? true : undefined), 60_000);
    await eventually('the proxy serves every pod of web', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) {
        const o = await hit(ip, false);
        if (!o.ok) return undefined;
        seen.add(o.text);
      }
      return seen.size === 3 ? true : undefined;
    }, 30_000);
  });
  after(async () => {
    await c?.stop();
  });

  test(`${ROLLOUTS} rollout(s) under ~${(FRESH_LOOPS + KEEPALIVE_LOOPS) * RATE_PER_LOOP} req/s: 0 failed requests, answers from old and new versions`, async (t) => {
    const tally = new Tally();
    const stop = new AbortController();
    const running = load(ip, tally, stop.signal);
    const durations: number[] = [];
    const versions: Array<{ from: string; to: string }> = [];
    try {
      await sleep(2_000);
      for (let i = 0; i < ROLLOUTS; i++) {
        const from = await currentHash();
        const t0 = Date.now();
        await kc('set', 'env', 'deployment/web', `VERSION=${i + 2}`);
        await kc('rollout', 'status', 'deployment/web', '--timeout=90s');
        durations.push((Date.now() - t0) / 1000);
        const to = await currentHash();
        assert.notEqual(to, from, `rollout ${i + 1} made a new ReplicaSet`);
        versions.push({ from, to });
        // Old pods are still terminating (preStop, then SIGTERM): keep the load through their ends.
        await eventually(`the pods of ${from} are gone`, async () => ((await kc('get', 'pods', '-l', `pod-template-hash=${from}`, '-o', 'name')) === '' ? true : undefined), 60_000);
        await sleep(2_000);
      }
    } finally {
      stop.abort();
      await running;
    }
    const perVersion = tally.byVersion();
    const figures = [
      `R3: ${ROLLOUTS} rollout(s), ${tally.requests} requests (${tally.byKind.fresh} on a new connection each, ${tally.byKind['keep-alive']} over ${KEEPALIVE_LOOPS} keep-alive connections), ${tally.failed} failed, ${tally.retried} keep-alive requests sent again after their reused socket broke before any answer byte`,
      `R3: rollout durations ${durations.map((d) => `${d.toFixed(1)} s`).join(', ')}; latency p50 ${tally.p(0.5).toFixed(1)} ms, p99 ${tally.p(0.99).toFixed(1)} ms, max ${tally.p(1).toFixed(1)} ms`,
      `R3: answers per version (pod-template-hash): ${[...perVersion].map(([v, n]) => `${v}×${n}`).join(' ')}`,
    ];
    if (tally.failed) figures.push(`R3: failures by kind: ${[...tally.failures].map(([k, n]) => `${k} ×${n}`).join('; ')}`, ...tally.samples.map((s) => `R3:   ${s}`));
    for (const f of figures) t.diagnostic(f);
    console.log(figures.join('\n'));
    assert.equal(tally.failed, 0, `every request succeeds during the rollout; failures: ${[...tally.failures].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
    for (const { from, to } of versions) {
      assert.ok((perVersion.get(from) ?? 0) > 0, `the old version ${from} answered under load`);
      assert.ok((perVersion.get(to) ?? 0) > 0, `the new version ${to} answered under load`);
    }
  });
});
