/**
 * R4, hostile input (API side): thousands of generated bad requests — malformed
 * JSON/YAML/protobuf, wrong types, huge and deeply nested bodies, invalid names,
 * selectors, ports and patches, bad query values, while slow clients hold half-sent
 * requests open. Every answer must be a 4xx `metav1.Status`, the server must stay
 * up, and no stored object may change. Quick mode (in `npm test`) sends 10,000;
 * `SKIFF_RELIABILITY=long` sends 100,000. Prints its figures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { prng } from '../helpers/prng.js';

const TOTAL = process.env.SKIFF_RELIABILITY === 'long' ? 100_000 : 10_000;
const NS = 'hostile';

interface Bad {
  method: string;
  path: string;
  body?: Buffer | string;
  contentType?: string;
  what: string;
}


const valid = {
  configmap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } },
  service: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 8080 }] } },
  deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'dep' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } } },
  },
};

const paths = {
  configmaps: `/api/v1/namespaces/${NS}/configmaps`,
  services: `/api/v1/namespaces/${NS}/services`,
  deployments: `/apis/apps/v1/namespaces/${NS}/deployments`,
  pods: `/api/v1/namespaces/${NS}/pods`,
};

/** One bad request of a kind picked by `r`. */
function generate(r: () => number, i: number): Bad {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const json = JSON.stringify(pick([valid.configmap, valid.service, valid.deployment]));
  const name = `x${i}`;
  const kinds: Array<() => Bad> = [
    () => ({ method: 'POST', path: paths.configmaps, body: json.slice(0, Math.floor(r() * (json.length - 1))), what: 'truncated JSON' }),
    () => ({ method: 'POST', path: paths.services, body: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256))), what: 'random bytes as JSON' }),
    () => ({ method: 'POST', path: paths.pods, body: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256))), contentType: 'application/vnd.kubernetes.protobuf', what: 'random protobuf' }),
    () => ({ method: 'POST', path: paths.configmaps, body: `metadata: {name: [${name}\n  data: : :\n\t- x`, contentType: 'application/yaml', what: 'broken YAML' }),
    () => ({ method: 'POST', path: paths.configmaps, body: json, contentType: pick(['text/plain', 'application/xml', 'image/png']), what: 'unsupported content type' }),
    () => ({ method: 'POST', path: paths.pods, body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: pick(['x', 5, [{ name: 5 }], [{}], null]) } }), what: 'pod with bad containers' }),
    () => ({ method: 'POST', path: paths.configmaps, body: JSON.stringify({ ...valid.configmap, metadata: { name: pick(['Bad_Name', '-x', 'a'.repeat(300), '', 'a..b', 5, null]) } }), what: 'invalid name' }),
    () => ({ method: 'POST', path: paths.services, body: JSON.stringify({ ...valid.service, metadata: { name }, spec: { ports: [{ port: pick([0, -1, 70000, 'abc', 1.5]) }] } }), what: 'invalid service port' }),
    () => ({ method: 'POST', path: paths.services, body: JSON.stringify({ ...valid.service, metadata: { name }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: pick([1, 99999, 29999]) }] } }), what: 'nodePort out of range' }),
    () => ({ method: 'POST', path: paths.deployments, body: JSON.stringify({ ...valid.deployment, metadata: { name }, spec: { ...valid.deployment.spec, replicas: pick([-1, 'three', {}]) } }), what: 'bad replicas' }),
    () => ({ method: 'POST', path: paths.deployments, body: JSON.stringify({ ...valid.deployment, metadata: { name }, spec: { ...valid.deployment.spec, selector: { matchLabels: { app: 'other' } } } }), what: 'selector not matching template' }),
    () => {
      const depth = 2000 + Math.floor(r() * 20000);
      return { method: 'POST', path: paths.configmaps, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`, what: `nesting depth ${depth}` };
    },
    () => ({ method: 'GET', path: `${paths.pods}?labelSelector=${encodeURIComponent(pick(['a in (', 'a=b,,', '!', 'a==b==c', 'x notin', '=v']))}`, what: 'bad label selector' }),
    () => ({ method: 'GET', path: `${paths.pods}?fieldSelector=${encodeURIComponent(pick(['spec.bogus=1', 'metadata.name', '==', 'status.phase!==x']))}`, what: 'bad field selector' }),
    () => ({ method: 'GET', path: `${paths.pods}?${pick(['limit=abc', 'limit=1.5', 'resourceVersion=xyz&resourceVersionMatch=Exact', 'resourceVersionMatch=Bogus&resourceVersion=1', 'continue=%%%garbage', 'timeoutSeconds=abc&watch=true'])}`, what: 'bad query value' }),
    () => ({ method: 'PATCH', path: `${paths.configmaps}/cm`, body: pick(['[{"op":"bogus","path":"/data/a"}]', '[{"op":"replace","path":"/nope/x","value":1}]', '{"op":"add"}', '[{"op":"test","path":"/data/a","value":"not-b"}]', 'not json']), contentType: 'application/json-patch+json', what: 'bad JSON patch' }),
    () => ({ method: 'PATCH', path: `${paths.services}/svc`, body: pick(['[1,2]', '"string"', '{"spec":{"ports":"x"}}', '{"metadata":{"name":"renamed"}}', '{"spec":{"clusterIP":"1.2.3.4"}}']), contentType: 'application/merge-patch+json', what: 'bad merge patch' }),
    () => ({ method: 'PATCH', path: `${paths.deployments}/dep`, body: pick(['{"spec":{"template":{"spec":{"containers":[{"$patch":"bogus"}]}}}}', '{"$setElementOrder/spec":1}', '{"spec":{"replicas":"x"}}', '{"spec":{"selector":{"matchLabels":{"app":"y"}}}}']), contentType: 'application/strategic-merge-patch+json', what: 'bad strategic merge patch' }),
    () => ({ method: 'PATCH', path: `${paths.configmaps}/cm?fieldManager=fuzz`, body: pick(['kind: [', 'apiVersion: v1\nkind: Secret\nmetadata: {name: cm}', '{"data": 5}']), contentType: 'application/apply-patch+yaml', what: 'bad apply patch' }),
    () => ({ method: 'PUT', path: `${paths.configmaps}/cm`, body: JSON.stringify({ ...valid.configmap, metadata: { name: 'cm', resourceVersion: '1' }, data: { a: 'changed' } }), what: 'stale update' }),
    () => ({ method: 'PUT', path: `${paths.configmaps}/cm`, body: JSON.stringify({ ...valid.configmap, metadata: { name: 'other' } }), what: 'name mismatch' }),
    () => ({ method: pick(['GET', 'DELETE', 'PATCH']), path: `/api/v1/namespaces/${NS}/${pick(['widgets', 'pods/x/y/z', 'configmaps/nope'])}`, body: '{}', what: 'unknown path' }),
    () => ({ method: 'DELETE', path: `${paths.configmaps}/cm`, body: pick(['{"preconditions":{"uid":"not-the-uid"}}', '{"gracePeriodSeconds":"x"}', '{"propagationPolicy":"Sideways"}', '{{']), what: 'bad delete options' }),
  ];
  return pick(kinds)();
}

function send(port: number, agent: http.Agent, b: Bad): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = b.body === undefined ? undefined : Buffer.isBuffer(b.body) ? b.body : Buffer.from(b.body);
    const req = http.request(
      { host: '127.0.0.1', port, method: b.method, path: b.path, agent, headers: { accept: 'application/json', ...(body ? { 'content-type': b.contentType ?? 'application/json', 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`${b.what}: no answer in 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('R4 hostile input: bad API requests', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let dir: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-r4-'));
    cluster = await startCluster({ dataDir: dir, store: 'memory', port: 0, controllers: 'core' });
    port = Number(new URL(cluster.url).port);
    await cluster.client.resource('', 'v1', 'namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await cluster.client.resource('', 'v1', 'configmaps').create(NS, valid.configmap);
    await cluster.client.resource('', 'v1', 'services').create(NS, valid.service as never);
    await cluster.client.resource('apps', 'v1', 'deployments').create(NS, valid.deployment as never);
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Every stored object under the test namespace, as key → stored text. */
  const snapshot = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const prefix of ['/registry/core/configmaps/', '/registry/core/services/', '/registry/apps/deployments/', '/registry/core/pods/', '/registry/core/secrets/']) {
      const { items } = await cluster.store.list(`${prefix}${NS}/`);
      for (const kv of items) out.set(kv.key, `${kv.modRevision}:${kv.value}`);
    }
    return out;
  };

  test(`${TOTAL} bad requests get 4xx Status answers, the server stays up, nothing stored changes`, async () => {
    const before = await snapshot();
    // Slow clients: half-sent requests held open for the whole run.
    const slow = Array.from({ length: 20 }, () => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write(`POST ${paths.configmaps} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"metadata":`);
      return s;
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const r = prng(4242);
    const codes = new Map<number, number>();
    const failures: string[] = [];
    const failed = new Map<string, number>();
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < TOTAL) {
          const i = next++;
          const bad = generate(r, i);
          const res = await send(port, agent, bad);
          codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
          let status: { kind?: string; code?: number } | undefined;
          try {
            status = JSON.parse(res.body) as { kind?: string; code?: number };
          } catch {
            status = undefined;
          }
          if (res.status < 400 || res.status >= 500 || status?.kind !== 'Status' || status.code !== res.status) {
            const k = `${bad.what} → ${res.status}`;
            if (!failed.has(k)) failures.push(`#${i} ${bad.what}: ${bad.method} ${bad.path} ${typeof bad.body === 'string' ? bad.body.slice(0, 80) : ''} → ${res.status} ${res.body.slice(0, 200)}`);
            failed.set(k, (failed.get(k) ?? 0) + 1);
          }
        }
      }),
    );
    const secs = (Date.now() - t0) / 1000;
    // A huge body: refused with 413 before it is read whole.
    const huge = await send(port, agent, { method: 'POST', path: paths.configmaps, body: Buffer.alloc(4 * 1024 * 1024, 0x61), what: 'huge body' });
    codes.set(huge.status, (codes.get(huge.status) ?? 0) + 1);
    assert.equal(huge.status, 413, huge.body.slice(0, 200));
    agent.destroy();
    for (const s of slow) s.destroy();
    console.log(`R4: ${TOTAL + 1} bad requests in ${secs.toFixed(1)} s (${Math.round(TOTAL / secs)}/s) with 20 slow clients; answers by code: ${[...codes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}×${n}`).join(' ')}`);
    if (failed.size) console.log(`R4 failures by kind: ${[...failed].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
    assert.deepEqual(failures, [], 'every bad request gets a 4xx metav1.Status');
    const ready = await send(port, new http.Agent(), { method: 'GET', path: '/readyz', what: 'readyz' });
    assert.equal(ready.status, 200, 'the server is still ready');
    const afterState = await snapshot();
    assert.deepEqual([...afterState.keys()].sort(), [...before.keys()].sort(), 'no object was created or deleted');
    for (const [k, v] of before) assert.equal(afterState.get(k), v, `${k} did not change`);
  });
});
