/**
 * `planFrontends` for a sync loop: the proxy hands the data path its whole
 * state on every change, but between two syncs usually one service port
 * changed. This planner keeps the previous plan per service port and replans
 * only the service ports whose projection or endpoint list is a different
 * object than last time (the proxy keeps unchanged entries as they are), so a
 * sync over 10,000 Services costs a map walk, not 10,000 plans.
 *
 * Whenever the answer could depend on more than one service port — an address
 * claimed twice (conflicts: the first by key order wins), nodes or host
 * addresses changed — it plans everything with `planFrontends`, so the result
 * is always what `planFrontends(state)` returns (up to frontend order).
 */
import type { ProxyState } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import { planFrontends, type FrontendPlan, type FrontendsPlan } from '../../frontends.js';
import type { ServicePortInfo } from '../../service-port.js';

/**
 * What the last {@link IncrementalPlanner.plan} changed: everything (a full
 * plan), or the frontends of the service ports that changed (listening or not)
 * and the keys of frontends those ports had before and no longer have.
 */
export type PlanDelta = { all: true } | { all: false; servicePorts: ReadonlySet<string>; frontends: readonly FrontendPlan[]; gone: readonly string[] };

interface Entry {
  sp: ServicePortInfo;
  eps: readonly EndpointInfo[] | undefined;
  frontends: FrontendPlan[];
}

/**
 * Plans frontends reusing the previous result.
 *
 * @example
 * const planner = new IncrementalPlanner();
 * const { frontends, conflicts } = planner.plan(state);
 */
export class IncrementalPlanner {
  private readonly entries = new Map<string, Entry>();
  /** Frontend key → service port key, for the last plan. */
  private readonly owners = new Map<string, string>();
  private context: string | undefined;
  private hadConflicts = true;
  /** What the last plan changed (the data path applies only that when it can). */
  delta: PlanDelta = { all: true };

  /** The frontends of `state`, like `planFrontends(state)`. */
  plan(state: ProxyState): FrontendsPlan {
    const context = JSON.stringify([state.nodes, state.hostAddresses, state.nodeName ?? null]);
    if (context !== this.context || this.hadConflicts) return this.full(state, context);
    const changed = new Map<string, ServicePortInfo>();
    for (const [key, sp] of state.servicePorts) {
      const e = this.entries.get(key);
      if (!e || e.sp !== sp || e.eps !== state.endpoints.get(key)) changed.set(key, sp);
    }
    let removed = 0;
    for (const key of this.entries.keys()) if (!state.servicePorts.has(key)) removed++;
    // Many changes (a resync): one full plan is cheaper and simpler.
    if (changed.size + removed > 64) return this.full(state, context);
    const part = planFrontends({ ...state, servicePorts: changed });
    if (part.conflicts.length > 0) return this.full(state, context);
    for (const f of part.frontends) {
      const owner = this.owners.get(f.key);
      // Claimed by another service port that stays: who wins depends on key order.
      if (owner !== undefined && owner !== f.servicePort && state.servicePorts.has(owner) && !changed.has(owner)) return this.full(state, context);
    }
    const touched = new Set<string>(changed.keys());
    const before: string[] = [];
    for (const key of [...this.entries.keys()]) {
      if (state.servicePorts.has(key) && !changed.has(key)) continue;
      touched.add(key);
      for (const f of this.entries.get(key)!.frontends) {
        before.push(f.key);
        if (this.owners.get(f.key) === key) this.owners.delete(f.key);
      }
      this.entries.delete(key);
    }
    const byKey = new Map<string, FrontendPlan[]>();
    for (const f of part.frontends) {
      let l = byKey.get(f.servicePort);
      if (!l) byKey.set(f.servicePort, (l = []));
      l.push(f);
    }
    for (const [key, sp] of changed) {
      const frontends = byKey.get(key) ?? [];
      this.entries.set(key, { sp, eps: state.endpoints.get(key), frontends });
      for (const f of frontends) this.owners.set(f.key, key);
    }
    const now = new Set(part.frontends.map((f) => f.key));
    this.delta = { all: false, servicePorts: touched, frontends: part.frontends, gone: before.filter((k) => !now.has(k)) };
    const frontends: FrontendPlan[] = [];
    for (const e of this.entries.values()) for (const f of e.frontends) frontends.push(f);
    return { frontends, conflicts: [] };
  }

  private full(state: ProxyState, context: string): FrontendsPlan {
    const plan = planFrontends(state);
    this.delta = { all: true };
    this.context = context;
    this.hadConflicts = plan.conflicts.length > 0;
    this.entries.clear();
    this.owners.clear();
    for (const [key, sp] of state.servicePorts) this.entries.set(key, { sp, eps: state.endpoints.get(key), frontends: [] });
    for (const f of plan.frontends) {
      this.entries.get(f.servicePort)?.frontends.push(f);
      this.owners.set(f.key, f.servicePort);
    }
    return plan;
  }
}
