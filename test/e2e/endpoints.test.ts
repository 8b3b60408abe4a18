/**
 * The EndpointSlice, Endpoints, EndpointSlice-mirroring and LoadBalancer
 * controllers against a real in-process cluster (API server, namespace,
 * garbage-collector and service-account controllers). No scheduler or nodes:
 * the test creates pods bound to a node name and writes their status (IP,
 * Ready) through the status subresource, as a kubelet would. The checks mirror
 * the exact shapes /work/shared/acceptance/ep-01 and ep-02 inspect with jq.
 * Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoints, Event, Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { isReason } from '../../src/api/errors.js';
import type { ResourceClient } from '../../src/client/client.js';
import { ControllerManager, newControllerContext } from '../../src/controllers/runtime/context.js';
import { EndpointSliceController } from '../../src/controllers/endpointslice/index.js';
import { EndpointsController } from '../../src/controllers/endpoints/index.js';
import { EndpointSliceMirroringController } from '../../src/controllers/endpointslicemirroring/index.js';
import { LoadBalancerController } from '../../src/controllers/loadbalancer/index.js';
import { eventually } from '../helpers/eventually.js';

const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';

describe('endpoint controllers', () => {
  let cluster: Cluster;
  let dataDir: string;
  const stopMain = new AbortController();
  let lbStop = new AbortController();
  let mainRun: Promise<unknown> | undefined;
  let lbRun: Promise<unknown> | undefined;
  let lb: LoadBalancerController;
  let pods: ResourceClient<Pod>;
  let svcs: ResourceClient<Service>;
  let eps: ResourceClient<Endpoints>;
  let slices: ResourceClient<EndpointSlice>;
  let events: ResourceClient<Event>;
  let nextIP = 10;

  const startLB = (): void => {
    lbStop = new AbortController();
    // Every informer and worker listens on the one signal.
    setMaxListeners(0, lbStop.signal);
    const ctx = newControllerContext(cluster.client);
    lb = new LoadBalancerController(ctx, { pool: '127.112.0.0/16' });
    lbRun = new ControllerManager(ctx).add(lb).start(lbStop.signal);
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-ep-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    setMaxListeners(0, stopMain.signal);
    const ctx = newControllerContext(cluster.client);
    mainRun = new ControllerManager(ctx).add(new EndpointSliceController(ctx), new EndpointsController(ctx), new EndpointSliceMirroringController(ctx)).start(stopMain.signal);
    startLB();
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    svcs = cluster.client.resource<Service>('', 'v1', 'services');
    eps = cluster.client.resource<Endpoints>('', 'v1', 'endpoints');
    slices = cluster.client.resource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
    events = cluster.client.resource<Event>('', 'v1', 'events');
  });

  after(async () => {
    stopMain.abort();
    lbStop.abort();
    await Promise.race([Promise.all([mainRun, lbRun]).catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // ---- helpers ------------------------------------------------------------------------------------

  const namespace = async (name: string): Promise<string> => {
    await cluster.client.resource<Namespace>('', 'v1', 'namespaces').create(undefined, { metadata: { name } });
    return name;
  };

  const service = (ns: string, name: string, spec: NonNullable<Service['spec']>, labels?: Record<string, string>): Promise<Service> =>
    svcs.create(ns, { apiVersion: 'v1', kind: 'Service', metadata: { name, ...(labels ? { labels } : {}) }, spec });

  interface PodOpts {
    ready?: boolean;
    ports?: Array<{ name: string; containerPort: number }>;
    hostname?: string;
    subdomain?: string;
    node?: string;
  }

  /** Creates a pod bound to a node and, like a kubelet, reports it Running with an IP. */
  const runPod = async (ns: string, name: string, labels: Record<string, string>, o: PodOpts = {}): Promise<Pod> => {
    const created = await pods.create(ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels },
      spec: {
        nodeName: o.node ?? 'node-1',
        terminationGracePeriodSeconds: 30,
        ...(o.hostname ? { hostname: o.hostname } : {}),
        ...(o.subdomain ? { subdomain: o.subdomain } : {}),
        containers: [{ name: 'app', image: 'agnhost', ports: (o.ports ?? [{ name: 'http', containerPort: 8080 }]).map((p) => ({ ...p, protocol: 'TCP' })) }],
      },
    });
    const ip = `127.128.0.${nextIP++}`;
    return setReady({ ...created, status: { ...created.status, phase: 'Running', podIP: ip, podIPs: [{ ip }] } }, o.ready ?? true);
  };

  const setReady = async (pod: Pod, ready: boolean): Promise<Pod> => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const s = ready ? 'True' : 'False';
    return pods.updateStatus(pod.metadata!.namespace, {
      ...pod,
      status: {
        ...pod.status,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: s, lastTransitionTime: now },
          { type: 'Ready', status: s, lastTransitionTime: now },
        ],
      },
    });
  };

  const getOr = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (isReason(err, 'NotFound')) return undefined;
      throw err;
    }
  };

  const words = (xs: string[]): string => [...new Set(xs)].sort().join(' ');
  /** ep_triples of the acceptance scripts: ip/name/port/protocol of every ready address and port. */
  const epTriples = (e: Endpoints | undefined): string =>
    words((e?.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}/${p.name ?? ''}/${p.port}/${p.protocol}`))));
  const epReady = (e: Endpoints | undefined): string => words((e?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)));
  const epNotReady = (e: Endpoints | undefined): string => words((e?.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)));
  const slicesOf = async (ns: string, svc: string): Promise<EndpointSlice[]> => (await slices.list(ns, { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
  /** slice_ready_pairs of the acceptance scripts. */
  const sliceReadyPairs = (ss: EndpointSlice[]): string =>
    words(ss.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => (s.ports ?? []).map((p) => `${e.addresses[0]}:${p.port}`))));
  const cond = (ss: EndpointSlice[], ip: string): string =>
    ss
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.addresses[0] === ip)
      .map((e) => `${e.conditions?.ready}/${e.conditions?.serving}/${e.conditions?.terminating}`)
      .join(',');

  const waitEq = async (what: string, want: string, probe: () => Promise<string>): Promise<void> => {
    let last = '';
    await eventually(`${what} = [${want}]`, async () => {
      last = await probe();
      return last === want;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; last value [${last}]`);
    });
  };

  const eventReasons = async (ns: string, name: string): Promise<string[]> =>
    (await events.list(ns)).items.filter((e) => e.involvedObject?.name === name).map((e) => e.reason ?? '');

  // ---- ep-01 --------------------------------------------------------------------------------------

  test('ep-01: Endpoints and EndpointSlice lifecycle with the exact upstream shapes', async () => {
    const ns = await namespace('ep1');
    const svc = await service(ns, 'ep', { selector: { app: 'ep' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });

    // Service without pods: an Endpoints object with no subsets.
    const empty = await eventually('Endpoints ep', () => getOr(eps.get(ns, 'ep')));
    assert.equal((empty.subsets ?? []).length, 0);
    assert.equal(empty.metadata?.labels?.['endpointslice.kubernetes.io/skip-mirror'], 'true');
    assert.ok(empty.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], 'trigger time annotation');
    assert.ok(
      empty.metadata?.managedFields?.some((f) => f.manager === 'endpoint-controller'),
      'the field manager marks the Endpoints as managed, across restarts',
    );

    // First pod.
    const p1 = await runPod(ns, 'ep-1', { app: 'ep' });
    const ip1 = p1.status!.podIP!;
    await waitEq('Endpoints after first pod', `${ip1}/http/8080/TCP`, async () => epTriples(await getOr(eps.get(ns, 'ep'))));
    const e = await eps.get(ns, 'ep');
    const a = e.subsets![0]!.addresses![0]!;
    assert.deepEqual([a.ip, a.nodeName, a.targetRef?.kind, a.targetRef?.name, a.targetRef?.namespace], [ip1, 'node-1', 'Pod', 'ep-1', ns]);
    assert.deepEqual(e.subsets![0]!.ports!.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })), [{ name: 'http', port: 8080, protocol: 'TCP' }]);

    // EndpointSlice shape.
    await waitEq('EndpointSlice after first pod', `${ip1}:8080`, async () => sliceReadyPairs(await slicesOf(ns, 'ep')));
    const all = await slicesOf(ns, 'ep');
    const l = all.find((s) => (s.endpoints ?? []).length > 0)!;
    assert.equal(l.apiVersion ?? 'discovery.k8s.io/v1', 'discovery.k8s.io/v1');
    assert.equal(l.addressType, 'IPv4');
    assert.equal(l.metadata?.labels?.['kubernetes.io/service-name'], 'ep');
    assert.equal(l.metadata?.labels?.[MANAGED_BY], 'endpointslice-controller.k8s.io');
    assert.match(l.metadata!.name!, /^ep-[a-z0-9]+$/);
    const o = l.metadata!.ownerReferences![0]!;
    assert.deepEqual([o.apiVersion, o.kind, o.name, o.uid, o.controller, o.blockOwnerDeletion], ['v1', 'Service', 'ep', svc.metadata!.uid, true, true]);
    assert.deepEqual(l.ports!.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })), [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const ep0 = l.endpoints[0]!;
    assert.deepEqual(
      [ep0.addresses, ep0.conditions?.ready, ep0.conditions?.serving, ep0.conditions?.terminating, ep0.nodeName, ep0.targetRef?.kind, ep0.targetRef?.name, ep0.targetRef?.namespace, ep0.targetRef?.uid],
      [[ip1], true, true, false, 'node-1', 'Pod', 'ep-1', ns, p1.metadata!.uid],
    );
    assert.equal(all.length, 1, 'the placeholder slice was reused, not duplicated');

    // Second pod.
    const p2 = await runPod(ns, 'ep-2', { app: 'ep' });
    const ip2 = p2.status!.podIP!;
    await waitEq('Endpoints with two pods', words([`${ip1}/http/8080/TCP`, `${ip2}/http/8080/TCP`]), async () => epTriples(await getOr(eps.get(ns, 'ep'))));
    await waitEq('EndpointSlices with two pods', words([`${ip1}:8080`, `${ip2}:8080`]), async () => sliceReadyPairs(await slicesOf(ns, 'ep')));
    assert.equal((await slicesOf(ns, 'ep')).length, 1, 'both pods share one slice');

    // Relabelled pod leaves.
    await pods.patch(ns, 'ep-1', 'merge', { metadata: { labels: { app: 'other' } } });
    await waitEq('Endpoints after relabelling ep-1', `${ip2}/http/8080/TCP`, async () => epTriples(await getOr(eps.get(ns, 'ep'))));
    await waitEq('EndpointSlices after relabelling ep-1', `${ip2}:8080`, async () => sliceReadyPairs(await slicesOf(ns, 'ep')));

    // A deleted pod is terminating first (its node has not confirmed): gone from Endpoints,
    // still in the slice as serving/terminating but not ready.
    await pods.delete(ns, 'ep-2');
    await waitEq('Endpoints after deleting ep-2', '', async () => epTriples(await getOr(eps.get(ns, 'ep'))));
    await waitEq('slice conditions of the terminating pod', 'false/true/true', async () => cond(await slicesOf(ns, 'ep'), ip2));
    assert.equal(sliceReadyPairs(await slicesOf(ns, 'ep')), '');
    await pods.delete(ns, 'ep-2', { gracePeriodSeconds: 0 });
    await waitEq('slice after ep-2 is gone', '', async () => cond(await slicesOf(ns, 'ep'), ip2));

    // Service deletion removes both.
    await svcs.delete(ns, 'ep');
    await eventually('Endpoints ep deleted', async () => (await getOr(eps.get(ns, 'ep'))) === undefined);
    await eventually('EndpointSlices of ep deleted', async () => (await slicesOf(ns, 'ep')).length === 0);
  });

  // ---- ep-02 --------------------------------------------------------------------------------------

  test('ep-02: ready / not-ready pods and publishNotReadyAddresses', async () => {
    const ns = await namespace('ep2');
    const ok = await runPod(ns, 'rd-ok', { app: 'rd' });
    const bad = await runPod(ns, 'rd-bad', { app: 'rd' }, { ready: false });
    for (const [name, pub] of [
      ['rd', false],
      ['rd-pub', true],
    ] as const) {
      await service(ns, name, { publishNotReadyAddresses: pub, selector: { app: 'rd' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    }
    const okip = ok.status!.podIP!;
    const badip = bad.status!.podIP!;
    await waitEq('Endpoints addresses', okip, async () => epReady(await getOr(eps.get(ns, 'rd'))));
    await waitEq('Endpoints notReadyAddresses', badip, async () => epNotReady(await getOr(eps.get(ns, 'rd'))));
    await waitEq('slice conditions of the ready pod', 'true/true/false', async () => cond(await slicesOf(ns, 'rd'), okip));
    await waitEq('slice conditions of the unready pod', 'false/false/false', async () => cond(await slicesOf(ns, 'rd'), badip));

    await waitEq('Endpoints addresses with publishNotReadyAddresses', words([okip, badip]), async () => epReady(await getOr(eps.get(ns, 'rd-pub'))));
    assert.equal(epNotReady(await eps.get(ns, 'rd-pub')), '');
    await waitEq('unready pod with publishNotReadyAddresses', 'true/false/false', async () => cond(await slicesOf(ns, 'rd-pub'), badip));

    // The pod turns Ready: it moves to addresses and its endpoint becomes ready.
    await setReady(await pods.get(ns, 'rd-bad'), true);
    await waitEq('Endpoints after rd-bad turns Ready', words([okip, badip]), async () => epReady(await getOr(eps.get(ns, 'rd'))));
    await waitEq('slice after rd-bad turns Ready', 'true/true/false', async () => cond(await slicesOf(ns, 'rd'), badip));
  });

  // ---- named ports, headless ----------------------------------------------------------------------

  test('named targetPort resolves per pod: different numbers → different slices and subsets', async () => {
    const ns = await namespace('named');
    await service(ns, 'np', { selector: { app: 'np' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] });
    const a = await runPod(ns, 'np-a', { app: 'np' }, { ports: [{ name: 'web', containerPort: 8080 }] });
    const b = await runPod(ns, 'np-b', { app: 'np' }, { ports: [{ name: 'web', containerPort: 9090 }] });
    const c = await runPod(ns, 'np-c', { app: 'np' }, { ports: [{ name: 'other', containerPort: 7070 }] });
    await waitEq('slice pairs', words([`${a.status!.podIP}:8080`, `${b.status!.podIP}:9090`]), async () => sliceReadyPairs(await slicesOf(ns, 'np')));
    // A pod whose ports name no target still gets a slice, with no ports (upstream's reconciler
    // keys slices by the resolved port set; the empty set is one).
    const portsAndIPs = (ss: EndpointSlice[]): string =>
      ss
        .map((s) => `${(s.ports ?? []).map((p) => p.port).join(',') || '-'}=${(s.endpoints ?? []).flatMap((e) => e.addresses).join(',')}`)
        .sort()
        .join(' ');
    await waitEq('slices by resolved ports', [`-=${c.status!.podIP}`, `8080=${a.status!.podIP}`, `9090=${b.status!.podIP}`].join(' '), async () => portsAndIPs(await slicesOf(ns, 'np')));
    await waitEq('Endpoints triples', words([`${a.status!.podIP}/http/8080/TCP`, `${b.status!.podIP}/http/9090/TCP`]), async () => epTriples(await getOr(eps.get(ns, 'np'))));
    assert.equal((await eps.get(ns, 'np')).subsets?.length, 2);
  });

  test('headless Service: headless label, pod hostnames when the subdomain is the Service', async () => {
    const ns = await namespace('headless');
    await service(ns, 'hl', { clusterIP: 'None', selector: { app: 'hl' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, { team: 'x' });
    const p = await runPod(ns, 'hl-0', { app: 'hl' }, { hostname: 'hl-0', subdomain: 'hl' });
    await waitEq('slice', `${p.status!.podIP}:8080`, async () => sliceReadyPairs(await slicesOf(ns, 'hl')));
    const s = (await slicesOf(ns, 'hl'))[0]!;
    assert.deepEqual(s.metadata?.labels, {
      team: 'x',
      'service.kubernetes.io/headless': '',
      'kubernetes.io/service-name': 'hl',
      [MANAGED_BY]: 'endpointslice-controller.k8s.io',
    });
    assert.equal(s.endpoints[0]!.hostname, 'hl-0');
    const e = await eventually('Endpoints with the pod', async () => {
      const x = await getOr(eps.get(ns, 'hl'));
      return x?.subsets?.length ? x : undefined;
    });
    assert.equal(e.metadata?.labels?.['service.kubernetes.io/headless'], '');
    assert.equal(e.metadata?.labels?.team, 'x');
    assert.equal(e.subsets![0]!.addresses![0]!.hostname, 'hl-0');
  });

  // ---- mirroring, selector removal ----------------------------------------------------------------

  test('hand-made Endpoints of selector-less Services are mirrored (unless skip-mirror) and left alone', async () => {
    const ns = await namespace('mirror');
    await service(ns, 'ext', { ports: [{ name: 'http', port: 80, targetPort: 80 }] });
    await service(ns, 'skip', { ports: [{ name: 'http', port: 80, targetPort: 80 }] });
    await eps.create(ns, { metadata: { name: 'ext', labels: { team: 'a' } }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] });
    await eps.create(ns, { metadata: { name: 'skip', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets: [{ addresses: [{ ip: '192.0.2.20' }], ports: [{ port: 80, protocol: 'TCP' }] }] });

    await waitEq('mirrored slice', '192.0.2.10:80', async () => sliceReadyPairs(await slicesOf(ns, 'ext')));
    const s = (await slicesOf(ns, 'ext'))[0]!;
    assert.equal(s.metadata?.labels?.[MANAGED_BY], 'endpointslicemirroring-controller.k8s.io');
    assert.equal(s.metadata?.labels?.team, 'a');
    assert.equal(s.metadata?.ownerReferences?.[0]?.kind, 'Endpoints');
    assert.equal(cond([s], '192.0.2.11'), 'false/undefined/undefined');

    // Updates are mirrored; the Endpoints controller never touches these Endpoints.
    await eps.patch(ns, 'ext', 'merge', { subsets: [{ addresses: [{ ip: '192.0.2.12' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] });
    await waitEq('mirrored update', '192.0.2.12:80', async () => sliceReadyPairs(await slicesOf(ns, 'ext')));
    assert.equal((await slicesOf(ns, 'ext')).length, 1);
    assert.deepEqual((await eps.get(ns, 'ext')).subsets?.[0]?.addresses?.map((x) => x.ip), ['192.0.2.12']);
    assert.equal((await slicesOf(ns, 'skip')).length, 0, 'skip-mirror Endpoints are not mirrored');

    // Deleting the Endpoints removes the mirrored slices.
    await eps.delete(ns, 'ext');
    await eventually('mirrored slices removed', async () => (await slicesOf(ns, 'ext')).length === 0);
    assert.ok(await getOr(eps.get(ns, 'skip')), 'hand-made Endpoints survive');
    // The API server's own `kubernetes` Endpoints (selector-less, skip-mirror) are neither deleted nor mirrored.
    assert.ok(await getOr(eps.get('default', 'kubernetes')));
    assert.deepEqual((await slicesOf('default', 'kubernetes')).map((x) => x.metadata?.name), ['kubernetes']);
  });

  test('a Service losing its selector loses its managed Endpoints and EndpointSlices', async () => {
    const ns = await namespace('unselect');
    await service(ns, 'sel', { selector: { app: 'sel' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    const p = await runPod(ns, 'sel-1', { app: 'sel' });
    await waitEq('slice', `${p.status!.podIP}:8080`, async () => sliceReadyPairs(await slicesOf(ns, 'sel')));
    await eventually('Endpoints', async () => epReady(await getOr(eps.get(ns, 'sel'))) === p.status!.podIP);
    await svcs.patch(ns, 'sel', 'merge', { spec: { selector: null } });
    await eventually('managed Endpoints deleted', async () => (await getOr(eps.get(ns, 'sel'))) === undefined);
    await eventually('controller slices deleted', async () => (await slicesOf(ns, 'sel')).length === 0);
  });

  // ---- LoadBalancer ---------------------------------------------------------------------------------

  test('LoadBalancer: IP from the pool, conflicts, release on delete and on type change, no double allocation after restart', async () => {
    const ns = await namespace('lb');
    const lbSpec = (extra: Partial<NonNullable<Service['spec']>> = {}): NonNullable<Service['spec']> => ({ type: 'LoadBalancer', selector: { app: 'lb' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...extra });
    const ingressOf = async (name: string): Promise<string> => {
      const s = await getOr(svcs.get(ns, name));
      return (s?.status?.loadBalancer?.ingress ?? []).map((i) => `${i.ip}/${i.ipMode}`).join(',');
    };

    await service(ns, 'lb-a', lbSpec());
    const a = await eventually('lb-a ingress', async () => (await ingressOf('lb-a')) || undefined);
    assert.match(a, /^127\.112\.\d+\.\d+\/VIP$/);
    const ipA = a.split('/')[0]!;
    await eventually('Ensuring/Ensured events', async () => {
      const r = await eventReasons(ns, 'lb-a');
      return r.includes('EnsuringLoadBalancer') && r.includes('EnsuredLoadBalancer');
    });

    // A requested IP that is taken: Warning, no ingress. Out of the pool: the same.
    await service(ns, 'lb-b', lbSpec({ loadBalancerIP: ipA }));
    await eventually('SyncLoadBalancerFailed on lb-b', async () => {
      const evs = (await events.list(ns)).items.filter((e) => e.involvedObject?.name === 'lb-b' && e.reason === 'SyncLoadBalancerFailed');
      return evs.some((e) => e.type === 'Warning' && e.message?.includes(`${ipA} is already in use by Service ${ns}/lb-a`));
    });
    assert.equal(await ingressOf('lb-b'), '');
    await service(ns, 'lb-out', lbSpec({ loadBalancerIP: '192.0.2.50' }));
    await eventually('out-of-pool warning', async () =>
      (await events.list(ns)).items.some((e) => e.involvedObject?.name === 'lb-out' && e.type === 'Warning' && e.message?.includes('not in the LoadBalancer IP pool')),
    );
    assert.equal(await ingressOf('lb-out'), '');

    // Other classes are not ours.
    await service(ns, 'lb-other', lbSpec({ loadBalancerClass: 'example.com/other' }));

    // Deleting lb-a frees its IP; lb-b, which asked for it, gets it.
    await svcs.delete(ns, 'lb-a');
    await waitEq('lb-b gets the freed IP', `${ipA}/VIP`, () => ingressOf('lb-b'));

    // Type change releases and clears the status.
    await svcs.patch(ns, 'lb-b', 'merge', { spec: { type: 'ClusterIP', loadBalancerIP: null, allocateLoadBalancerNodePorts: null, externalTrafficPolicy: null } });
    await waitEq('lb-b status cleared', '', () => ingressOf('lb-b'));
    await eventually('DeletedLoadBalancer event', async () => (await eventReasons(ns, 'lb-b')).includes('DeletedLoadBalancer'));
    assert.equal(lb.allocator.holderOf(ipA), undefined);

    // Restart: the new controller adopts existing IPs and never hands one out twice.
    await service(ns, 'lb-c', lbSpec());
    const c = (await eventually('lb-c ingress', async () => (await ingressOf('lb-c')) || undefined)).split('/')[0]!;
    lbStop.abort();
    await lbRun;
    startLB();
    await service(ns, 'lb-d', lbSpec());
    const d = (await eventually('lb-d ingress after restart', async () => (await ingressOf('lb-d')) || undefined)).split('/')[0]!;
    assert.notEqual(d, c);
    assert.equal(lb.allocator.holderOf(c)?.key, `${ns}/lb-c`, 'the restarted controller adopted lb-c');
    assert.equal(await ingressOf('lb-c'), `${c}/VIP`);
    assert.equal(await ingressOf('lb-other'), '', 'a Service of another class is untouched');
  });
});
