/**
 * The userspace data path applies only what changed between two syncs (see
 * `UserspaceDataplane.sync`). This differential test drives one data path
 * through random changes — endpoints, removals, re-additions, moved addresses,
 * NodePorts, nodes — and after every sync compares its listeners and every
 * route's backends with what a full plan of the same state says.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import { planFrontends } from '../../frontends.js';
import { ProxyMetrics } from '../../metrics.js';
import type { NodeInfo } from '../../node-info.js';
import type { ServicePortInfo } from '../../service-port.js';
import { freePort, testEndpoint, testServicePort } from '../../testing.js';
import { prng } from '../../../../test/helpers/prng.js';
import type { Route } from './route.js';
import { UserspaceDataplane } from './userspace-dataplane.js';

describe('UserspaceDataplane incremental sync', () => {
  const dp = new UserspaceDataplane({ metrics: new ProxyMetrics(new Registry()) });
  after(() => dp.close());

  test('after every one of 150 random changes, listeners and routes equal a full plan of the same state', async () => {
    const seed = Date.now() % 100_000;
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const port = await freePort();
    const nodePorts = [await freePort(), await freePort()];
    const endpointPool = [1, 2, 3, 4, 5].map((i) => testEndpoint(`127.128.203.${i}`, 9000 + i));
    const nodePool: NodeInfo[] = [1, 2].map((i) => ({ name: `n${i}`, internalIPs: [`127.0.203.${i}`], podCIDRs: [] }));
    const servicePorts = new Map<string, ServicePortInfo>();
    const endpoints = new Map<string, readonly EndpointInfo[]>();
    let nodes: NodeInfo[] = [nodePool[0]!];
    const service = (i: number): ServicePortInfo =>
      testServicePort(`s${i}`, { clusterIPs: [`127.96.203.${i * 2 + Math.floor(rnd() * 2) + 1}`], port, nodePort: i < 2 ? nodePorts[i]! : 0 });
    for (let i = 0; i < 10; i++) {
      const sp = service(i);
      servicePorts.set(sp.key, sp);
    }
    const keys = [...servicePorts.keys()];
    const state = (): ProxyState => ({ servicePorts: new Map(servicePorts), endpoints: new Map(endpoints), nodes, hostAddresses: [], defaultScheduler: 'rr' });
    const ops = ['endpoints', 'endpoints', 'endpoints', 'remove', 'add', 'move', 'nodes', 'nothing'] as const;
    const counts: Record<string, number> = {};
    for (let step = 0; step < 150; step++) {
      // One to three changes per sync, as between two syncs of the proxy.
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
        const op = pick(ops);
        counts[op] = (counts[op] ?? 0) + 1;
        const key = pick(keys);
        const i = keys.indexOf(key);
        if (op === 'endpoints') endpoints.set(key, endpointPool.filter(() => rnd() < 0.4));
        else if (op === 'remove') servicePorts.delete(key);
        else if (op === 'add' || op === 'move') servicePorts.set(key, service(i));
        else if (op === 'nodes') nodes = nodePool.filter(() => rnd() < 0.7);
      }
      const s = state();
      await dp.sync(s);
      const plan = planFrontends(s);
      const want = new Map(plan.frontends.filter((f) => f.listen).map((f) => [f.key, f.endpoints.map((e) => e.key).join(',')]));
      const frontends = (dp as unknown as { frontends: Map<string, { route: Route }> }).frontends;
      const got = new Map([...frontends].map(([k, fe]) => [k, fe.route.backends.map((b) => b.key).join(',')]));
      assert.deepEqual([...got].sort(), [...want].sort(), `seed ${seed}, step ${step}`);
    }
    console.log(`# seed ${seed}: ${JSON.stringify(counts)}`);
  });
});
