/**
 * Per-kind registry strategies, as `pkg/registry/<group>/<resource>/strategy.go`
 * upstream: what create resets, which writes bump `generation`, which kinds
 * have a status subresource, graceful deletion of pods and namespaces, and the
 * Service IP/port allocators. Defaulting and validation themselves live in
 * `api/defaults` and `api/validation`.
 */
import { RESOURCES, findResource, groupVersion, type ResourceInfo } from '../api/resources.js';
import { invalid } from '../api/errors.js';
import { applyDefaults } from '../api/defaults/index.js';
import { validateCreate, validateUpdate } from '../api/validation/index.js';
import { ServiceAllocations, prepareServiceCreate, prepareServiceUpdate } from './allocators/index.js';
import type { Registry, Strategy } from './registry.js';
import type { KObject } from './watch-cache.js';

export interface ClusterNetworkConfig {
  /** `--service-cluster-ip-range`, default 127.96.0.0/12. */
  serviceClusterIPRange: string;
  /** `--service-node-port-range`, default 30000-32767. */
  serviceNodePortRange: string;
}

type Pod = KObject & { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number; containers?: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>; initContainers?: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> }; status?: { phase?: string } };

/** QoS class as `pkg/apis/core/helper/qos`: Guaranteed, Burstable or BestEffort. */
export function podQOSClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r]) guaranteed = false;
      else if (req[r] && req[r] !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

type Toleration = { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number };

/**
 * Admission for new pods, as upstream's enabled-by-default plugins do:
 * ServiceAccount (`serviceAccountName` defaults to `default`) and
 * DefaultTolerationSeconds (tolerate `not-ready` and `unreachable` NoExecute
 * for 300 s unless the pod already tolerates them).
 */
export function admitPod(obj: KObject): void {
  const spec = (obj.spec ??= {}) as { serviceAccountName?: string; serviceAccount?: string; tolerations?: Toleration[] };
  spec.serviceAccountName ||= spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const tolerations = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const tolerated = tolerations.some((t) => (t.effect === 'NoExecute' || !t.effect) && ((t.operator === 'Exists' && !t.key) || t.key === key));
    if (!tolerated) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
}

function kindStrategy(info: ResourceInfo, extra: Strategy = {}): Strategy {
  const gv = groupVersion(info);
  return {
    defaults: (obj) => applyDefaults(gv, info.kind, obj),
    validate: (obj) => validateCreate(gv, info.kind, obj),
    validateUpdate: (obj, old) => validateUpdate(gv, info.kind, obj, old),
    ...extra,
  };
}

const resetStatus = (status: () => unknown): Pick<Strategy, 'prepareForCreate'> => ({
  prepareForCreate(obj) {
    obj.status = status();
  },
});

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

/** Installs a strategy for every served resource; returns what bootstrap needs. */
export async function installStrategies(registry: Registry, net: ClusterNetworkConfig): Promise<{ kubernetesServiceIP: string; allocations: ServiceAllocations }> {
  const allocations = new ServiceAllocations({ serviceCIDR: net.serviceClusterIPRange, nodePortRange: net.serviceNodePortRange });
  const services = findResource('', 'v1', 'services')!;
  // Rebuild allocator state from the stored Services (upstream repairs its bitmaps the same way).
  const existing = await registry.list(services, undefined);
  allocations.rebuild(existing.items as never[]);

  const special: Record<string, Strategy> = {
    pods: {
      hasStatus: true,
      prepareForCreate(obj) {
        obj.status = { phase: 'Pending', qosClass: podQOSClass(obj as Pod) };
        admitPod(obj);
      },
      gracefulDeleteSeconds(obj, requested) {
        const p = obj as Pod;
        // Unscheduled and finished pods go at once; pods on a node wait for its agent.
        if (!p.spec?.nodeName) return 0;
        if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return 0;
        return Math.max(0, requested ?? p.spec.terminationGracePeriodSeconds ?? 30);
      },
      holdsDeletion: (obj) => (obj.metadata?.deletionGracePeriodSeconds ?? 0) > 0,
    },
    services: {
      hasStatus: true,
      prepareForCreate(obj) {
        obj.status = { loadBalancer: {} };
        prepareServiceCreate(obj as never);
      },
      prepareForUpdate(obj, old) {
        // Keeps allocated values a PUT omitted (kubectl replace) and drops fields the new type no longer uses.
        prepareServiceUpdate(obj as never, old as never);
      },
      allocateCreate(obj, ctx) {
        const r = allocations.allocateCreate(obj as never, { dryRun: ctx.dryRun });
        if (r.errors.length) throw invalid('Service', obj.metadata?.name ?? '', r.errors);
        return r.undo;
      },
      allocateUpdate(obj, old, ctx) {
        const r = allocations.allocateUpdate(old as never, obj as never, { dryRun: ctx.dryRun });
        if (r.errors.length) throw invalid('Service', obj.metadata?.name ?? '', r.errors);
        return r.undo;
      },
      afterDelete(obj) {
        allocations.release(obj as never);
      },
    },
    nodes: { hasStatus: true },
    namespaces: {
      hasStatus: true,
      prepareForCreate(obj) {
        obj.status = { phase: 'Active' };
        obj.spec = { finalizers: ['kubernetes'] };
      },
      prepareForUpdate(obj, old, ctx) {
        // spec.finalizers change only through the finalize subresource.
        if (ctx.subresource !== 'finalize') obj.spec = structuredClone(old.spec);
      },
      holdsDeletion: (obj) => ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0,
      onDeleteRequest(obj) {
        obj.status = { ...(obj.status as object), phase: 'Terminating' };
      },
    },
    deployments: { hasStatus: true, tracksGeneration: true, ...resetStatus(() => ({})) },
    replicasets: { hasStatus: true, tracksGeneration: true, ...resetStatus(() => ({ replicas: 0 })) },
    daemonsets: {
      hasStatus: true,
      tracksGeneration: true,
      // The template generation (pods' pod-template-generation label) moves only with the template,
      // kept in the annotation upstream's registry maintains for apps/v1.
      prepareForCreate(obj) {
        obj.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
        (obj.metadata!.annotations ??= {})[TEMPLATE_GENERATION] = '1';
      },
      prepareForUpdate(obj, old) {
        const oldGen = Number(old.metadata?.annotations?.[TEMPLATE_GENERATION] ?? old.metadata?.generation ?? 1);
        const changed = JSON.stringify((obj.spec as { template?: unknown } | undefined)?.template) !== JSON.stringify((old.spec as { template?: unknown } | undefined)?.template);
        (obj.metadata!.annotations ??= {})[TEMPLATE_GENERATION] = String(changed ? oldGen + 1 : oldGen);
      },
    },
  };
  for (const info of RESOURCES) {
    const extra = info.group === '' || info.group === 'apps' ? special[info.resource] : undefined;
    registry.setStrategy(info, kindStrategy(info, extra));
  }
  return { kubernetesServiceIP: allocations.firstIP(), allocations };
}
