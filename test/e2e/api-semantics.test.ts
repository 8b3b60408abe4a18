/**
 * Wire-level API semantics checked with raw HTTP against an in-process cluster:
 * watch, list, writes, delete, subresources and discovery, each compared with
 * what kube-apiserver 1.32 answers. Where skiff differs, the case still asserts
 * the upstream answer and is marked `todo` with the difference. Every wait is
 * bounded and every watch is closed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { openWatch, rawRequest, summary, type RawRequestOptions, type RawResponse, type RawWatch, type WatchEvent } from '../helpers/raw-http.js';
import { eventually } from '../helpers/eventually.js';

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const AGGREGATED_CT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const CONFLICT_SUFFIX = 'the object has been modified; please apply your changes to the latest version and try again';

let cluster: Cluster;
let dataDir: string;
/** The list resourceVersion seen before this file wrote anything; the 410 case watches from it. */
let firstRV: string;
const openWatches = new Set<RawWatch>();

function req(method: string, path: string, o: RawRequestOptions = {}): Promise<RawResponse> {
  return rawRequest(cluster.url, method, path, o);
}

async function watch(path: string, headers: Record<string, string> = {}): Promise<RawWatch> {
  const w = await openWatch(cluster.url, path, headers);
  openWatches.add(w);
  return w;
}

function closeWatch(w: RawWatch): void {
  w.close();
  openWatches.delete(w);
}

/** Asserts an HTTP status, printing the body when it differs. */
function expectCode(res: RawResponse, code: number, what: string): void {
  assert.equal(res.status, code, `${what}: expected HTTP ${code}, got ${res.status}: ${res.text.slice(0, 500)}`);
}

/** Asserts a metav1.Status failure body with the given code and reason (and message text when given). */
function expectStatus(res: RawResponse, code: number, reason: string, what: string, message?: string | RegExp): void {
  expectCode(res, code, what);
  assert.match(String(res.headers['content-type']), /^application\/json/, `${what}: Status content type`);
  assert.equal(res.json?.kind, 'Status', `${what}: body kind: ${res.text.slice(0, 300)}`);
  assert.equal(res.json.apiVersion, 'v1', `${what}: Status apiVersion`);
  assert.equal(res.json.status, 'Failure', `${what}: Status.status`);
  assert.equal(res.json.code, code, `${what}: Status.code`);
  assert.equal(res.json.reason, reason, `${what}: Status.reason (message: ${res.json.message})`);
  if (typeof message === 'string') assert.equal(res.json.message, message, `${what}: Status.message`);
  else if (message) assert.match(res.json.message, message, `${what}: Status.message`);
}

async function ok(method: string, path: string, o: RawRequestOptions = {}, code = method === 'POST' ? 201 : 200): Promise<any> {
  const res = await req(method, path, o);
  expectCode(res, code, `${method} ${path}`);
  return res.json;
}


async function mkNamespace(name: string): Promise<void> {
  await ok('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

const cmPath = (ns: string, name = ''): string => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const podPath = (ns: string, name = ''): string => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;
const deployPath = (ns: string, name = ''): string => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;

function configMap(name: string, labels?: Record<string, string>, data: Record<string, string> = { k: 'v' }): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data };
}

function pod(name: string, extra: { nodeName?: string; labels?: Record<string, string> } = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), containers: [{ name: 'c', image: 'busybox:1.36' }] },
  };
}

function deployment(name: string, replicas = 1, containers = [{ name: 'c', image: 'busybox:1.36' }]): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
  };
}

const createCM = (ns: string, name: string, labels?: Record<string, string>, data?: Record<string, string>): Promise<any> =>
  ok('POST', cmPath(ns), { body: configMap(name, labels, data) });

async function listRV(path: string): Promise<string> {
  const list = await ok('GET', path);
  assert.equal(typeof list.metadata.resourceVersion, 'string', `${path}: list resourceVersion is a string`);
  return list.metadata.resourceVersion as string;
}

const names = (items: any[]): string[] => items.map((o) => o.metadata.name as string).sort();
const evNames = (events: WatchEvent[]): string[] => events.map((e) => `${e.type} ${e.object?.metadata?.name}`);

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-api-semantics-'));
  cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
  firstRV = await listRV('/api/v1/configmaps');
});

after(async () => {
  for (const w of openWatches) w.close();
  openWatches.clear();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('watch', () => {
  const NS = 'watch-ns';
  before(() => mkNamespace(NS));

  test('watch from a list resourceVersion streams only later changes, in order, as chunked JSON lines', async () => {
    await createCM(NS, 'w-before');
    const rv = await listRV(cmPath(NS));
    const w = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${rv}`);
    try {
      assert.equal(w.status, 200);
      assert.match(String(w.headers['content-type']), /^application\/json/);
      assert.equal(w.headers['transfer-encoding'], 'chunked', 'watch responses are chunked');
      const a = await createCM(NS, 'w-a');
      await createCM(NS, 'w-b');
      await ok('PUT', cmPath(NS, 'w-a'), { body: { ...a, data: { k: 'v2' } } });
      await ok('DELETE', cmPath(NS, 'w-b'));
      const got = [await w.next(), await w.next(), await w.next(), await w.next()];
      assert.deepEqual(evNames(got), ['ADDED w-a', 'ADDED w-b', 'MODIFIED w-a', 'DELETED w-b'], summary(got));
      const rvs = got.map((e) => BigInt(e.object.metadata.resourceVersion as string));
      for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i]! > rvs[i - 1]!, `event resourceVersions increase: ${summary(got)}`);
      assert.ok(rvs[0]! > BigInt(rv), 'first event is after the list revision');
      assert.equal(got[2]!.object.data.k, 'v2');
      assert.equal(got[0]!.object.kind, 'ConfigMap');
      assert.equal(got[0]!.object.apiVersion, 'v1');
      assert.deepEqual(await w.drain(200), [], 'nothing else, in particular nothing about w-before');
      const text = w.chunks.join('');
      assert.ok(text.split('\n').filter(Boolean).every((l) => JSON.parse(l).type), 'every line is one JSON event');
    } finally {
      closeWatch(w);
    }
  });

  for (const flag of ['1', 'True']) {
    test(`watch=${flag} is accepted as true`, async () => {
      const rv = await listRV(cmPath(NS));
      const w = await watch(`${cmPath(NS)}?watch=${flag}&resourceVersion=${rv}`);
      try {
        assert.equal(w.status, 200);
        await createCM(NS, `w-flag-${flag.toLowerCase()}`);
        const e = await w.next();
        assert.equal(e.type, 'ADDED');
        assert.equal(e.object.metadata.name, `w-flag-${flag.toLowerCase()}`);
      } finally {
        closeWatch(w);
      }
    });
  }

  for (const [label, query] of [
    ['resourceVersion=0', '&resourceVersion=0'],
    ['no resourceVersion', ''],
  ] as const) {
    test(`watch with ${label} first sends ADDED for existing objects`, async () => {
      const ns = `w-initial-${query ? 'zero' : 'unset'}`;
      await mkNamespace(ns);
      await createCM(ns, 'one', { set: 'init' });
      await createCM(ns, 'two', { set: 'init' });
      const w = await watch(`${cmPath(ns)}?watch=true&labelSelector=set%3Dinit${query}`);
      try {
        const initial = [await w.next(), await w.next()];
        assert.deepEqual(evNames(initial).sort(), ['ADDED one', 'ADDED two']);
        await createCM(ns, 'three', { set: 'init' });
        assert.deepEqual(evNames([await w.next()]), ['ADDED three']);
      } finally {
        closeWatch(w);
      }
    });
  }

  test('a label-selector watch turns a relabel out of the selector into DELETED and into it into ADDED', async () => {
    const rv = await listRV(cmPath(NS));
    const w = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${rv}&labelSelector=tier%3Dweb`);
    try {
      const c = await createCM(NS, 'relabel', { tier: 'web' });
      await createCM(NS, 'other-tier', { tier: 'db' });
      const out = await ok('PUT', cmPath(NS, 'relabel'), { body: { ...c, metadata: { ...c.metadata, labels: { tier: 'db' } } } });
      await ok('PUT', cmPath(NS, 'relabel'), { body: { ...out, metadata: { ...out.metadata, labels: { tier: 'web' } } } });
      const got = [await w.next(), await w.next(), await w.next()];
      assert.deepEqual(evNames(got), ['ADDED relabel', 'DELETED relabel', 'ADDED relabel'], summary(got));
      assert.equal(got[1]!.object.metadata.labels.tier, 'db', 'the DELETED event carries the new state');
      assert.deepEqual(await w.drain(200), [], 'other-tier never matches');
    } finally {
      closeWatch(w);
    }
  });

  test('a field-selector watch filters by name and turns a status.phase change out of the selector into DELETED', async () => {
    const rv = await listRV(podPath(NS));
    const byName = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dfs-pick`);
    const notRunning = await watch(`${podPath(NS)}?watch=true&resourceVersion=${rv}&fieldSelector=status.phase!%3DRunning`);
    try {
      await createCM(NS, 'fs-skip');
      await createCM(NS, 'fs-pick');
      assert.deepEqual(evNames([await byName.next()]), ['ADDED fs-pick']);
      assert.deepEqual(await byName.drain(100), []);

      const p = await ok('POST', podPath(NS), { body: pod('phase-pod', { nodeName: 'node-x' }) });
      assert.deepEqual(evNames([await notRunning.next()]), ['ADDED phase-pod']);
      await ok('PUT', podPath(NS, 'phase-pod') + '/status', { body: { ...p, status: { ...p.status, phase: 'Running' } } });
      const e = await notRunning.next();
      assert.equal(e.type, 'DELETED', `leaving the field selector arrives as DELETED: ${summary([e])}`);
      assert.equal(e.object.metadata.name, 'phase-pod');
    } finally {
      closeWatch(byName);
      closeWatch(notRunning);
    }
  });

  test('sendInitialEvents=true ends the initial events with a BOOKMARK annotated k8s.io/initial-events-end', async () => {
    const ns = 'w-initial-events';
    await mkNamespace(ns);
    await createCM(ns, 'ie-1', { set: 'ie' });
    await createCM(ns, 'ie-2', { set: 'ie' });
    const w = await watch(
      `${cmPath(ns)}?watch=true&labelSelector=set%3Die&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`,
    );
    try {
      assert.equal(w.status, 200, `status ${w.status}`);
      const got = await w.until('the initial-events-end BOOKMARK', (e) => e.type === 'BOOKMARK');
      assert.deepEqual(evNames(got.slice(0, -1)).sort(), ['ADDED ie-1', 'ADDED ie-2'], summary(got));
      const bm = got.at(-1)!.object;
      assert.equal(bm.kind, 'ConfigMap', 'a bookmark carries an object of the watched kind');
      assert.equal(bm.metadata.annotations?.['k8s.io/initial-events-end'], 'true', JSON.stringify(bm));
      assert.equal(typeof bm.metadata.resourceVersion, 'string');
      assert.ok(BigInt(bm.metadata.resourceVersion as string) > 0n);
    } finally {
      closeWatch(w);
    }
  });

  test('timeoutSeconds=1 ends the stream', async () => {
    const rv = await listRV(cmPath(NS));
    const w = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    try {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        w.ended.then(() => true),
        new Promise<false>((r) => (timer = setTimeout(() => r(false), 5_000))),
      ]).finally(() => clearTimeout(timer));
      assert.ok(ended, 'the watch with timeoutSeconds=1 was still open after 5 s');
    } finally {
      closeWatch(w);
    }
  });

  test('a Table Accept makes every watch event a one-row Table', async () => {
    const rv = await listRV(cmPath(NS));
    const w = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${rv}`, { accept: TABLE_ACCEPT });
    try {
      const c = await createCM(NS, 'tbl');
      await ok('PUT', cmPath(NS, 'tbl'), { body: { ...c, data: { k: 'v3' } } });
      await ok('DELETE', cmPath(NS, 'tbl'));
      const got = [await w.next(), await w.next(), await w.next()];
      assert.deepEqual(
        got.map((e) => e.type),
        ['ADDED', 'MODIFIED', 'DELETED'],
      );
      for (const e of got) {
        assert.equal(e.object.kind, 'Table', JSON.stringify(e.object).slice(0, 300));
        assert.equal(e.object.apiVersion, 'meta.k8s.io/v1');
        assert.ok(Array.isArray(e.object.columnDefinitions) && e.object.columnDefinitions.length > 0, 'columns are sent');
        assert.equal(e.object.rows.length, 1, 'one row per event');
        assert.equal(e.object.rows[0].cells[0], 'tbl');
        assert.equal(e.object.rows[0].object.kind, 'PartialObjectMetadata', 'row.object defaults to PartialObjectMetadata');
        assert.equal(e.object.rows[0].object.metadata.name, 'tbl');
      }
    } finally {
      closeWatch(w);
    }
  });
});

describe('list', () => {
  const NS = 'list-ns';
  before(() => mkNamespace(NS));

  test('limit and continue pages are one consistent snapshot with remainingItemCount', async () => {
    const ns = 'paging';
    await mkNamespace(ns);
    for (let i = 0; i < 5; i++) await createCM(ns, `page-${i}`);
    const full = await ok('GET', cmPath(ns));
    const expected = names(full.items);
    assert.ok(expected.length >= 5);

    const first = await ok('GET', `${cmPath(ns)}?limit=2`);
    assert.equal(first.items.length, 2);
    assert.equal(typeof first.metadata.continue, 'string', 'a partial page has a continue token');
    assert.equal(first.metadata.remainingItemCount, expected.length - 2, 'remainingItemCount counts the rest');
    await createCM(ns, 'page-late');
    const seen = [...first.items];
    let token: string | undefined = first.metadata.continue;
    for (let pages = 0; token; pages++) {
      assert.ok(pages < 10, 'pagination terminates');
      const page = await ok('GET', `${cmPath(ns)}?limit=2&continue=${encodeURIComponent(token)}`);
      assert.equal(page.metadata.resourceVersion, first.metadata.resourceVersion, 'continued pages are served at the first page revision');
      seen.push(...page.items);
      token = page.metadata.continue || undefined;
    }
    assert.deepEqual(names(seen), expected, 'pages hold exactly the objects of the snapshot (no page-late)');
  });

  test(
    'every page that has a continue token also has remainingItemCount',
    async () => {
      const ns = 'paging-count';
      await mkNamespace(ns);
      for (let i = 0; i < 5; i++) await createCM(ns, `count-${i}`);
      const total = (await ok('GET', cmPath(ns))).items.length;
      let page = await ok('GET', `${cmPath(ns)}?limit=2`);
      let seen = page.items.length;
      for (let pages = 0; page.metadata.continue; pages++) {
        assert.ok(pages < 10, 'pagination terminates');
        assert.equal(page.metadata.remainingItemCount, total - seen, `remainingItemCount after ${seen} of ${total}`);
        page = await ok('GET', `${cmPath(ns)}?limit=2&continue=${encodeURIComponent(page.metadata.continue as string)}`);
        seen += page.items.length;
      }
      assert.equal(seen, total);
    },
  );

  test(
    'invalid list options are a 422 Invalid ListOptions',
    async () => {
      const res = await req('GET', `${cmPath(NS)}?resourceVersionMatch=Exact`);
      expectStatus(
        res,
        422,
        'Invalid',
        'resourceVersionMatch without resourceVersion',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      );
      assert.equal(res.json.details?.kind, 'ListOptions');
      assert.equal(res.json.details?.group, 'meta.k8s.io');
    },
  );

  test(
    'a watch with sendInitialEvents but no resourceVersionMatch is a 422',
    async () => {
      const w = await watch(`${cmPath(NS)}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true`);
      try {
        assert.equal(w.status, 422, 'HTTP status');
        await w.ended;
        const body = JSON.parse(w.chunks.join(''));
        assert.equal(body.reason, 'Invalid');
        assert.match(body.message, /resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
      } finally {
        closeWatch(w);
      }
    },
  );

  test('resourceVersionMatch=Exact at an old revision returns the old state', async () => {
    await createCM(NS, 'exact', undefined, { v: '1' });
    const oldRV = await listRV(cmPath(NS));
    const cur = await ok('GET', cmPath(NS, 'exact'));
    await ok('PUT', cmPath(NS, 'exact'), { body: { ...cur, data: { v: '2' } } });
    await createCM(NS, 'exact-later');
    const old = await ok('GET', `${cmPath(NS)}?resourceVersion=${oldRV}&resourceVersionMatch=Exact`);
    assert.equal(old.metadata.resourceVersion, oldRV);
    const item = old.items.find((o: any) => o.metadata.name === 'exact');
    assert.ok(item, 'the object exists at the old revision');
    assert.deepEqual(item.data, { v: '1' });
    assert.ok(!old.items.some((o: any) => o.metadata.name === 'exact-later'), 'later objects are absent');
  });

  test('an invalid continue token is a 400 BadRequest', async () => {
    const res = await req('GET', `${cmPath(NS)}?limit=1&continue=not-a-token`);
    expectStatus(res, 400, 'BadRequest', 'invalid continue');
  });

  test('a resourceVersion far in the future is a 504 "Too large resource version"', async () => {
    const res = await req('GET', `${cmPath(NS)}?resourceVersion=999999999`);
    expectStatus(res, 504, 'Timeout', 'future RV', /^Too large resource version: 999999999, current: \d+$/);
    assert.equal(res.json.details?.causes?.[0]?.reason, 'ResourceVersionTooLarge');
    assert.equal(res.json.details?.causes?.[0]?.message, 'Too large resource version');
  });

  test('label selectors: in, notin and !key', async () => {
    await createCM(NS, 'sel-a', { set: 'sel', env: 'a' });
    await createCM(NS, 'sel-b', { set: 'sel', env: 'b' });
    await createCM(NS, 'sel-c', { set: 'sel', env: 'c' });
    await createCM(NS, 'sel-none', { set: 'sel' });
    const sel = async (s: string): Promise<string[]> => names((await ok('GET', `${cmPath(NS)}?labelSelector=${encodeURIComponent(s)}`)).items);
    assert.deepEqual(await sel('set=sel,env in (a,b)'), ['sel-a', 'sel-b']);
    assert.deepEqual(await sel('set=sel,env notin (a,b)'), ['sel-c', 'sel-none']);
    assert.deepEqual(await sel('set=sel,!env'), ['sel-none']);
    assert.deepEqual(await sel('set=sel,env'), ['sel-a', 'sel-b', 'sel-c']);
    assert.deepEqual(await sel('set=sel,env!=a'), ['sel-b', 'sel-c', 'sel-none']);
  });

  test('field selectors: metadata.name, spec.nodeName and status.phase!=Running', async () => {
    const ns = 'fieldsel';
    await mkNamespace(ns);
    await ok('POST', podPath(ns), { body: pod('on-n1', { nodeName: 'n1' }) });
    const running = await ok('POST', podPath(ns), { body: pod('on-n1-running', { nodeName: 'n1' }) });
    await ok('POST', podPath(ns), { body: pod('on-n2', { nodeName: 'n2' }) });
    await ok('PUT', podPath(ns, 'on-n1-running') + '/status', { body: { ...running, status: { ...running.status, phase: 'Running' } } });
    const sel = async (s: string): Promise<string[]> => names((await ok('GET', `${podPath(ns)}?fieldSelector=${encodeURIComponent(s)}`)).items);
    assert.deepEqual(await sel('metadata.name=on-n2'), ['on-n2']);
    assert.deepEqual(await sel('spec.nodeName=n1'), ['on-n1', 'on-n1-running']);
    assert.deepEqual(await sel('status.phase!=Running'), ['on-n1', 'on-n2']);
    assert.deepEqual(await sel('spec.nodeName=n1,status.phase!=Running'), ['on-n1']);
    const all = names((await ok('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('metadata.namespace=fieldsel')}`)).items);
    assert.deepEqual(all, ['on-n1', 'on-n1-running', 'on-n2']);
  });

  test('an unsupported field selector is a 400 with the upstream text', async () => {
    expectStatus(await req('GET', `${cmPath(NS)}?fieldSelector=data.foo%3Dbar`), 400, 'BadRequest', 'configmap data.foo', '"data.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expectStatus(await req('GET', `${podPath(NS)}?fieldSelector=spec.foo%3Dbar`), 400, 'BadRequest', 'pod spec.foo', 'field label not supported: spec.foo');
  });
});

describe('writes', () => {
  const NS = 'write-ns';
  before(() => mkNamespace(NS));

  test('create returns 201 with uid, creationTimestamp and a string resourceVersion', async () => {
    const res = await req('POST', cmPath(NS), { body: configMap('created') });
    expectCode(res, 201, 'create');
    const m = res.json.metadata;
    assert.equal(res.json.kind, 'ConfigMap');
    assert.equal(res.json.apiVersion, 'v1');
    assert.match(m.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC3339 UTC without fractions');
    assert.equal(typeof m.resourceVersion, 'string');
    assert.match(m.resourceVersion, /^\d+$/);
    assert.equal(m.namespace, NS);
  });

  test('generateName appends a 5-character suffix', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' }, data: {} };
    const a = await ok('POST', cmPath(NS), { body });
    const b = await ok('POST', cmPath(NS), { body });
    assert.match(a.metadata.name, /^gen-[a-z0-9]{5}$/);
    assert.notEqual(a.metadata.name, b.metadata.name);
    assert.equal(a.metadata.generateName, 'gen-');
  });

  test('a duplicate create is a 409 AlreadyExists Status', async () => {
    await createCM(NS, 'dup');
    const res = await req('POST', cmPath(NS), { body: configMap('dup') });
    expectStatus(res, 409, 'AlreadyExists', 'duplicate', 'configmaps "dup" already exists');
    assert.deepEqual(res.json.details, { name: 'dup', kind: 'configmaps' });
    const dep = deployment('dupdep');
    await ok('POST', deployPath(NS), { body: dep });
    const r2 = await req('POST', deployPath(NS), { body: dep });
    expectStatus(r2, 409, 'AlreadyExists', 'duplicate deployment', 'deployments.apps "dupdep" already exists');
    assert.equal(r2.json.details.group, 'apps');
  });

  test('an update with a stale resourceVersion is a 409 Conflict Status with the upstream message', async () => {
    const c = await createCM(NS, 'stale');
    await ok('PUT', cmPath(NS, 'stale'), { body: { ...c, data: { k: 'new' } } });
    const res = await req('PUT', cmPath(NS, 'stale'), { body: { ...c, data: { k: 'stale' } } });
    expectStatus(res, 409, 'Conflict', 'stale update', `Operation cannot be fulfilled on configmaps "stale": ${CONFLICT_SUFFIX}`);
    assert.deepEqual(res.json.details, { name: 'stale', kind: 'configmaps' });
  });

  test('an update that changes nothing keeps the resourceVersion', async () => {
    const c = await createCM(NS, 'noop');
    const u = await ok('PUT', cmPath(NS, 'noop'), { body: c });
    assert.equal(u.metadata.resourceVersion, c.metadata.resourceVersion);
    const p = await ok('PATCH', cmPath(NS, 'noop'), { body: { data: { k: 'v' } }, contentType: 'application/merge-patch+json' });
    assert.equal(p.metadata.resourceVersion, c.metadata.resourceVersion, 'a no-op patch keeps it too');
  });

  test('Deployment generation bumps on spec changes only, not on labels or /status writes', async () => {
    const d = await ok('POST', deployPath(NS), { body: deployment('gen') });
    assert.equal(d.metadata.generation, 1);
    const labelled = await ok('PUT', deployPath(NS, 'gen'), { body: { ...d, metadata: { ...d.metadata, labels: { x: 'y' } } } });
    assert.equal(labelled.metadata.generation, 1, 'label change');
    const status = await ok('PUT', deployPath(NS, 'gen') + '/status', { body: { ...labelled, status: { replicas: 1, observedGeneration: 1 } } });
    assert.equal(status.metadata.generation, 1, '/status write');
    assert.equal(status.status.replicas, 1);
    const scaled = await ok('PUT', deployPath(NS, 'gen'), { body: { ...status, spec: { ...status.spec, replicas: 4 } } });
    assert.equal(scaled.metadata.generation, 2, 'spec change');
  });

  test('/status PUT ignores spec changes and the main PUT ignores status changes', async () => {
    const d = await ok('POST', deployPath(NS), { body: deployment('split', 2) });
    const s = await ok('PUT', deployPath(NS, 'split') + '/status', {
      body: { ...d, spec: { ...d.spec, replicas: 7 }, status: { replicas: 2, readyReplicas: 1 } },
    });
    assert.equal(s.spec.replicas, 2, '/status must not change spec');
    assert.equal(s.status.readyReplicas, 1);
    const m = await ok('PUT', deployPath(NS, 'split'), { body: { ...s, status: { replicas: 9, readyReplicas: 9 } } });
    assert.equal(m.status.readyReplicas, 1, 'the main resource must not change status');
    const got = await ok('GET', deployPath(NS, 'split'));
    assert.equal(got.spec.replicas, 2);
    assert.equal(got.status.readyReplicas, 1);
  });

  test('dryRun=All on POST, PUT, PATCH and DELETE changes nothing', async () => {
    const dry = await ok('POST', `${cmPath(NS)}?dryRun=All`, { body: configMap('dry-new') });
    assert.equal(dry.metadata.name, 'dry-new');
    expectCode(await req('GET', cmPath(NS, 'dry-new')), 404, 'dry-run create stored nothing');

    const c = await createCM(NS, 'dry', undefined, { k: 'orig' });
    const put = await ok('PUT', `${cmPath(NS, 'dry')}?dryRun=All`, { body: { ...c, data: { k: 'put' } } });
    assert.equal(put.data.k, 'put', 'the dry-run answer shows the change');
    const patched = await ok('PATCH', `${cmPath(NS, 'dry')}?dryRun=All`, { body: { data: { k: 'patch' } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.data.k, 'patch');
    await ok('DELETE', `${cmPath(NS, 'dry')}?dryRun=All`);
    const after = await ok('GET', cmPath(NS, 'dry'));
    assert.deepEqual(after.data, { k: 'orig' });
    assert.equal(after.metadata.resourceVersion, c.metadata.resourceVersion);
    assert.equal(after.metadata.deletionTimestamp, undefined);
  });

  test('a dry-run Service create does not consume its ClusterIP', async () => {
    const svc = (name: string): object => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { clusterIP: '127.100.7.7', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
    });
    const dry = await ok('POST', `/api/v1/namespaces/${NS}/services?dryRun=All`, { body: svc('dry-svc') });
    assert.equal(dry.spec.clusterIP, '127.100.7.7');
    const real = await ok('POST', `/api/v1/namespaces/${NS}/services`, { body: svc('real-svc') });
    assert.equal(real.spec.clusterIP, '127.100.7.7');
    expectCode(await req('GET', `/api/v1/namespaces/${NS}/services/dry-svc`), 404, 'dry-run service stored nothing');
  });

  test('fieldValidation=Warn with an unknown field answers with a Warning header', async () => {
    const res = await req('POST', `/api/v1/namespaces/${NS}/services?fieldValidation=Warn`, {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'warned' }, spec: { foo: 1, ports: [{ port: 80 }] } },
    });
    expectCode(res, 201, 'create with unknown field');
    assert.equal(res.headers.warning, '299 - "unknown field \\"spec.foo\\""');
    const dflt = await req('POST', `/api/v1/namespaces/${NS}/services`, {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'warned-default' }, spec: { foo: 1, ports: [{ port: 80 }] } },
    });
    expectCode(dflt, 201, 'create with unknown field, no fieldValidation');
    assert.equal(dflt.headers.warning, '299 - "unknown field \\"spec.foo\\""', 'Warn is the default');
    const ignored = await req('POST', `/api/v1/namespaces/${NS}/services?fieldValidation=Ignore`, {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ignored' }, spec: { foo: 1, ports: [{ port: 80 }] } },
    });
    expectCode(ignored, 201, 'create with unknown field, Ignore');
    assert.equal(ignored.headers.warning, undefined, 'Ignore sends no warning');
  });

  test(
    'unknown fields of a built-in kind are dropped, not stored',
    async () => {
      for (const mode of ['Warn', 'Ignore']) {
        const name = `dropped-${mode.toLowerCase()}`;
        const res = await ok('POST', `/api/v1/namespaces/${NS}/services?fieldValidation=${mode}`, {
          body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { foo: 1, ports: [{ port: 80 }] } },
        });
        assert.equal(res.spec.foo, undefined, `${mode}: the answer has no spec.foo`);
        const got = await ok('GET', `/api/v1/namespaces/${NS}/services/${name}`);
        assert.equal(got.spec.foo, undefined, `${mode}: the stored object has no spec.foo`);
        assert.doesNotMatch(JSON.stringify(got.metadata.managedFields ?? []), /f:foo/, `${mode}: managedFields do not own f:foo`);
      }
    },
  );

  test('fieldValidation=Strict with an unknown field is a 400 strict decoding error', async () => {
    const res = await req('POST', `/api/v1/namespaces/${NS}/services?fieldValidation=Strict`, {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'strict' }, spec: { foo: 1, ports: [{ port: 80 }] } },
    });
    expectStatus(res, 400, 'BadRequest', 'strict unknown field', 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"');
    expectCode(await req('GET', `/api/v1/namespaces/${NS}/services/strict`), 404, 'nothing stored');
  });

  test('fieldValidation=Strict with a duplicate JSON key is a 400 mentioning "duplicate field"', async () => {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dupkey"},"data":{"a":"1"},"data":{"b":"2"}}';
    const res = await req('POST', `${cmPath(NS)}?fieldValidation=Strict`, { body });
    expectStatus(res, 400, 'BadRequest', 'duplicate key', /duplicate field/);
    expectCode(await req('GET', cmPath(NS, 'dupkey')), 404, 'nothing stored');
  });

  test('a body over 3 MiB is a 413', async () => {
    const big = JSON.stringify(configMap('huge', undefined, { k: 'x'.repeat(3 * 1024 * 1024 + 16) }));
    const res = await req('POST', cmPath(NS), { body: big });
    expectStatus(res, 413, 'RequestEntityTooLarge', 'big body', /limit is 3145728/);
  });

  test('malformed JSON is a 400 Status', async () => {
    expectStatus(await req('POST', cmPath(NS), { body: '{"apiVersion":"v1","kind":' }), 400, 'BadRequest', 'malformed JSON');
  });

  test('a POST into a missing namespace is a 404 naming the namespace', async () => {
    const res = await req('POST', cmPath('x'), { body: configMap('orphan') });
    expectStatus(res, 404, 'NotFound', 'missing namespace', 'namespaces "x" not found');
    assert.deepEqual(res.json.details, { name: 'x', kind: 'namespaces' });
  });

  test('JSON patch, merge patch and strategic merge patch', async () => {
    await createCM(NS, 'patched', undefined, { a: '1', b: '2' });
    const j = await ok('PATCH', cmPath(NS, 'patched'), {
      body: [
        { op: 'add', path: '/data/c', value: '3' },
        { op: 'remove', path: '/data/a' },
      ],
      contentType: 'application/json-patch+json',
    });
    assert.deepEqual(j.data, { b: '2', c: '3' });
    const m = await ok('PATCH', cmPath(NS, 'patched'), { body: { data: { b: null, d: '4' } }, contentType: 'application/merge-patch+json' });
    assert.deepEqual(m.data, { c: '3', d: '4' });
    const bad = await req('PATCH', cmPath(NS, 'patched'), { body: [{ op: 'test', path: '/data/c', value: 'nope' }], contentType: 'application/json-patch+json' });
    assert.ok(bad.status === 422 || bad.status === 500, `a failing JSON-patch test op is rejected: ${bad.status} ${bad.text}`);

    const two = [
      { name: 'a', image: 'busybox:1' },
      { name: 'b', image: 'busybox:2' },
    ];
    await ok('POST', deployPath(NS), { body: deployment('smp', 1, two) });
    const s = await ok('PATCH', deployPath(NS, 'smp'), {
      body: { spec: { template: { spec: { containers: [{ name: 'b', image: 'nginx:1' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    assert.deepEqual(
      s.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`),
      ['a=busybox:1', 'b=nginx:1'],
      'strategic merge keys containers by name',
    );
    assert.equal(s.metadata.generation, 2);
  });

  test('apply-patch creates a missing object with 201 and records an Apply managedFields entry', async () => {
    const yaml = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: applied', 'data:', '  k: v1', ''].join('\n');
    const path = `${cmPath(NS, 'applied')}?fieldManager=tester`;
    const created = await req('PATCH', path, { body: yaml, contentType: 'application/apply-patch+yaml' });
    expectCode(created, 201, 'apply create');
    const entry = created.json.metadata.managedFields?.find((f: any) => f.manager === 'tester');
    assert.ok(entry, `managedFields has the tester entry: ${JSON.stringify(created.json.metadata.managedFields)}`);
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.apiVersion, 'v1');
    assert.equal(entry.fieldsType, 'FieldsV1');
    const updated = await ok('PATCH', path, { body: yaml.replace('k: v1', 'k: v2'), contentType: 'application/apply-patch+yaml' }, 200);
    assert.equal(updated.data.k, 'v2');
  });

  test('apply-patch without fieldManager is a 400', async () => {
    const res = await req('PATCH', cmPath(NS, 'applied-nomgr'), { body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-nomgr\n', contentType: 'application/apply-patch+yaml' });
    expectStatus(res, 400, 'BadRequest', 'apply without fieldManager', /fieldManager/);
  });

  test('an unsupported patch content type is a 415', async () => {
    await createCM(NS, 'ctype');
    const res = await req('PATCH', cmPath(NS, 'ctype'), { body: '{"data":{"x":"y"}}', contentType: 'text/plain' });
    expectStatus(res, 415, 'UnsupportedMediaType', 'text/plain patch', /application\/json-patch\+json/);
  });
});

describe('delete', () => {
  const NS = 'delete-ns';
  before(() => mkNamespace(NS));

  test('a scheduled pod is deleted gracefully, and a second DELETE with gracePeriodSeconds=0 removes it', async () => {
    await ok('POST', podPath(NS), { body: pod('graceful', { nodeName: 'node-1' }) });
    const first = await ok('DELETE', podPath(NS, 'graceful'));
    assert.equal(first.kind, 'Pod');
    assert.ok(first.metadata.deletionTimestamp, 'deletionTimestamp set');
    assert.equal(first.metadata.deletionGracePeriodSeconds, 30);
    const still = await ok('GET', podPath(NS, 'graceful'));
    assert.ok(still.metadata.deletionTimestamp);
    await ok('DELETE', `${podPath(NS, 'graceful')}?gracePeriodSeconds=0`);
    expectCode(await req('GET', podPath(NS, 'graceful')), 404, 'pod gone after grace 0');
  });

  test('deleting a ConfigMap answers a Success Status naming it', async () => {
    const c = await createCM(NS, 'gone');
    const res = await ok('DELETE', cmPath(NS, 'gone'));
    assert.equal(res.kind, 'Status');
    assert.equal(res.status, 'Success');
    assert.deepEqual(res.details, { name: 'gone', kind: 'configmaps', uid: c.metadata.uid });
    expectStatus(await req('DELETE', cmPath(NS, 'gone')), 404, 'NotFound', 'second delete', 'configmaps "gone" not found');
  });

  test('an unscheduled pod is deleted at once', async () => {
    await ok('POST', podPath(NS), { body: pod('unscheduled') });
    await ok('DELETE', podPath(NS, 'unscheduled'));
    expectCode(await req('GET', podPath(NS, 'unscheduled')), 404, 'unscheduled pod gone');
  });

  test('a uid precondition mismatch is a 409 Conflict', async () => {
    const c = await createCM(NS, 'precond');
    const res = await req('DELETE', cmPath(NS, 'precond'), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } },
    });
    expectStatus(res, 409, 'Conflict', 'uid precondition', /Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: /);
    await ok('GET', cmPath(NS, 'precond'));
    await ok('DELETE', cmPath(NS, 'precond'), { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: c.metadata.uid } } });
    expectCode(await req('GET', cmPath(NS, 'precond')), 404, 'deleted with the right uid');
  });

  test('propagationPolicy=Orphan adds the orphan finalizer, and the garbage collector then lets the object go', async () => {
    await createCM(NS, 'orphaner');
    const res = await ok('DELETE', cmPath(NS, 'orphaner'), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' } });
    assert.ok(res.metadata.deletionTimestamp, `deletionTimestamp set: ${JSON.stringify(res.metadata)}`);
    assert.deepEqual(res.metadata.finalizers, ['orphan']);
    await eventually('the orphaned ConfigMap to be removed by the garbage collector', async () =>
      (await req('GET', cmPath(NS, 'orphaner'))).status === 404 ? true : undefined,
    );
  });

  test('deletecollection honours a label selector', async () => {
    await createCM(NS, 'dc-1', { del: 'yes' });
    await createCM(NS, 'dc-2', { del: 'yes' });
    await createCM(NS, 'dc-keep', { del: 'no' });
    const res = await ok('DELETE', `${cmPath(NS)}?labelSelector=del%3Dyes`);
    assert.equal(res.kind, 'ConfigMapList');
    assert.deepEqual(names(res.items), ['dc-1', 'dc-2']);
    const left = names((await ok('GET', `${cmPath(NS)}?labelSelector=del`)).items);
    assert.deepEqual(left, ['dc-keep']);
  });

  test('deleting a namespace removes its ConfigMaps and then the namespace', async () => {
    const ns = 'doomed';
    await mkNamespace(ns);
    await createCM(ns, 'c1');
    await createCM(ns, 'c2');
    const res = await ok('DELETE', `/api/v1/namespaces/${ns}`);
    assert.equal(res.status?.phase, 'Terminating', JSON.stringify(res.status));
    await eventually('the namespace to disappear', async () => ((await req('GET', `/api/v1/namespaces/${ns}`)).status === 404 ? true : undefined));
    const left = await ok('GET', `${cmPath(ns)}`);
    assert.deepEqual(left.items, [], 'no ConfigMaps remain');
  });
});

describe('subresources', () => {
  const NS = 'sub-ns';
  before(() => mkNamespace(NS));

  test('deployment /scale: GET, PUT without Content-Type, merge PATCH bumps generation', async () => {
    await ok('POST', deployPath(NS), { body: deployment('sc', 2) });
    const scale = await ok('GET', deployPath(NS, 'sc') + '/scale');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.spec.replicas, 2);
    assert.equal(scale.status.selector, 'app=sc', 'status.selector is a label selector string');
    assert.equal(scale.metadata.name, 'sc');

    const put = await ok('PUT', deployPath(NS, 'sc') + '/scale', { body: { ...scale, spec: { replicas: 3 } }, contentType: null });
    assert.equal(put.spec.replicas, 3);
    const d1 = await ok('GET', deployPath(NS, 'sc'));
    assert.equal(d1.spec.replicas, 3);

    const patched = await ok('PATCH', deployPath(NS, 'sc') + '/scale', { body: { spec: { replicas: 5 } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.spec.replicas, 5);
    const d2 = await ok('GET', deployPath(NS, 'sc'));
    assert.equal(d2.spec.replicas, 5);
    assert.equal(d2.metadata.generation, d1.metadata.generation + 1);
  });

  test('binding sets spec.nodeName once and refuses a second binding with 409', async () => {
    await ok('POST', podPath(NS), { body: pod('bindme') });
    const binding = (node: string): object => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
    const res = await ok('POST', podPath(NS, 'bindme') + '/binding', { body: binding('node-a') });
    assert.equal(res.kind, 'Status');
    assert.equal(res.status, 'Success');
    assert.equal((await ok('GET', podPath(NS, 'bindme'))).spec.nodeName, 'node-a');
    const again = await req('POST', podPath(NS, 'bindme') + '/binding', { body: binding('node-b') });
    expectStatus(again, 409, 'Conflict', 'second binding', /pod bindme is already assigned to node "node-a"$/);
    assert.equal((await ok('GET', podPath(NS, 'bindme'))).spec.nodeName, 'node-a');
  });

  test('binding a pod the scheduler had marked Unschedulable replaces its PodScheduled condition whole', async () => {
    await ok('POST', podPath(NS), { body: pod('bindlate') });
    const unschedulable = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' };
    await ok('PATCH', podPath(NS, 'bindlate') + '/status', { body: { status: { conditions: [unschedulable] } }, contentType: 'application/merge-patch+json' });
    await ok('POST', podPath(NS, 'bindlate') + '/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindlate' }, target: { kind: 'Node', name: 'node-a' } } });
    const conds = (await ok('GET', podPath(NS, 'bindlate'))).status.conditions as Array<Record<string, unknown>>;
    const scheduled = conds.filter((c) => c.type === 'PodScheduled');
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0]!.status, 'True');
    assert.equal(scheduled[0]!.reason, undefined, 'the failure reason goes with the failure');
    assert.equal(scheduled[0]!.message, undefined);
    assert.notEqual(scheduled[0]!.lastTransitionTime, unschedulable.lastTransitionTime, 'False to True is a transition');
  });

  test('a binding with a malformed node name or annotation is Invalid and leaves the pod unbound', async () => {
    await ok('POST', podPath(NS), { body: pod('bindbad') });
    const binding = (node: string, annotations?: Record<string, string>): object => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindbad', ...(annotations ? { annotations } : {}) }, target: { kind: 'Node', name: node } });
    const badName = await req('POST', podPath(NS, 'bindbad') + '/binding', { body: binding('Node_A') });
    expectStatus(badName, 422, 'Invalid', 'binding to Node_A', /^Binding "bindbad" is invalid: target\.name: Invalid value: "Node_A": a lowercase RFC 1123 subdomain/);
    const badAnnotation = await req('POST', podPath(NS, 'bindbad') + '/binding', { body: binding('node-a', { 'bad key!': 'x' }) });
    expectStatus(badAnnotation, 422, 'Invalid', 'binding with a bad annotation key', /^Binding "bindbad" is invalid: metadata\.annotations: Invalid value: "bad key!"/);
    const stored = await ok('GET', podPath(NS, 'bindbad'));
    assert.equal(stored.spec.nodeName, undefined);
    assert.equal(stored.metadata.annotations?.['bad key!'], undefined);
  });

  test(
    'a second binding names the pods/binding resource in its Conflict',
    async () => {
      await ok('POST', podPath(NS), { body: pod('bindme2') });
      const binding = (node: string): object => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme2' }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
      await ok('POST', podPath(NS, 'bindme2') + '/binding', { body: binding('node-a') });
      const again = await req('POST', podPath(NS, 'bindme2') + '/binding', { body: binding('node-b') });
      expectStatus(again, 409, 'Conflict', 'second binding', 'Operation cannot be fulfilled on pods/binding "bindme2": pod bindme2 is already assigned to node "node-a"');
      assert.deepEqual(again.json.details, { name: 'bindme2', kind: 'pods/binding' });
    },
  );

  test('eviction of an unscheduled pod answers 201 and deletes it', async () => {
    await ok('POST', podPath(NS), { body: pod('evictme') });
    const res = await req('POST', podPath(NS, 'evictme') + '/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictme', namespace: NS } },
    });
    expectCode(res, 201, 'eviction');
    assert.equal(res.json.kind, 'Status');
    assert.equal(res.json.status, 'Success');
    expectCode(await req('GET', podPath(NS, 'evictme')), 404, 'evicted pod gone');
  });
});

describe('discovery and server endpoints', () => {
  for (const path of ['/api', '/apis']) {
    test(`${path} with the aggregated Accept returns an APIGroupDiscoveryList`, async () => {
      const res = await req('GET', path, { headers: { accept: AGGREGATED_ACCEPT } });
      expectCode(res, 200, path);
      assert.equal(res.headers['content-type'], AGGREGATED_CT);
      assert.equal(res.json.kind, 'APIGroupDiscoveryList');
      assert.equal(res.json.apiVersion, 'apidiscovery.k8s.io/v2');
      assert.ok(res.json.items.length > 0);
    });
  }

  test('/api/v1 lists pods/eviction as policy/v1 Eviction', async () => {
    const res = await ok('GET', '/api/v1');
    assert.equal(res.kind, 'APIResourceList');
    const ev = res.resources.find((r: any) => r.name === 'pods/eviction');
    assert.ok(ev, 'pods/eviction is listed');
    assert.equal(ev.group, 'policy');
    assert.equal(ev.version, 'v1');
    assert.equal(ev.kind, 'Eviction');
    assert.ok(res.resources.some((r: any) => r.name === 'pods/binding'));
    assert.ok(res.resources.some((r: any) => r.name === 'pods/status'));
  });

  test('/version reports minor "32"', async () => {
    const v = await ok('GET', '/version');
    assert.equal(v.major, '1');
    assert.equal(v.minor, '32');
  });

  test('/openapi/v2 is a 404', async () => {
    expectCode(await req('GET', '/openapi/v2', { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } }), 404, '/openapi/v2');
  });

  test('/metrics exposes apiserver_request_total', async () => {
    const res = await req('GET', '/metrics', { headers: { accept: 'text/plain' } });
    expectCode(res, 200, '/metrics');
    assert.match(res.text, /^apiserver_request_total\{/m);
  });
});

// Last: this floods the store and expires old revisions for everything above.
describe('watch expiry', () => {
  test('after more than 20,000 writes a watch from the first revision gets a 410 Expired ERROR event', { timeout: 120_000 }, async () => {
    const NS = 'flood';
    await mkNamespace(NS);
    const rc = cluster.client.resource('', 'v1', 'configmaps');
    const writers = 8;
    const perWriter = 2_650;
    const seeds = await Promise.all(Array.from({ length: writers }, (_, i) => rc.create(NS, configMap(`flood-${i}`) as never)));
    // Before the flood the first revision is still watchable: this is what makes the 410 below meaningful.
    const early = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${firstRV}`);
    try {
      const got = [];
      for (let i = 0; i < writers; i++) got.push(await early.next());
      assert.deepEqual(got.map((e) => e.type), Array(writers).fill('ADDED'), `before the flood: ${summary(got)}`);
    } finally {
      closeWatch(early);
    }
    await Promise.all(
      seeds.map(async (seed) => {
        let obj = seed;
        for (let n = 0; n < perWriter; n++) {
          obj = await rc.update(NS, { ...obj, data: { n: String(n) } } as never);
        }
      }),
    );
    const w = await watch(`${cmPath(NS)}?watch=true&resourceVersion=${firstRV}`);
    try {
      assert.equal(w.status, 200, 'a too-old watch still answers 200 and reports the error in the stream');
      const e = await w.next();
      assert.equal(e.type, 'ERROR', summary([e]));
      assert.equal(e.object.kind, 'Status');
      assert.equal(e.object.code, 410);
      assert.equal(e.object.reason, 'Expired');
      assert.match(e.object.message, /^too old resource version: \d+ \(\d+\)$/);
    } finally {
      closeWatch(w);
    }
  });
});
