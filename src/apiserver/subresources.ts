/**
 * Subresources other than `status`: `scale` (autoscaling/v1 Scale over
 * Deployments and ReplicaSets), `binding` (the scheduler's pod → node
 * assignment), `eviction` (policy/v1, used by `kubectl drain`), and the
 * namespace `finalize` subresource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, conflict, invalid, field } from '../api/errors.js';
import type { ResourceInfo } from '../api/resources.js';
import { labelSelectorToString } from '../api/labels.js';
import { validateAnnotations } from '../api/validation/meta.js';
import { nameIsDNSSubdomain } from '../api/validation/names.js';
import { applyPatch } from '../api/patch/index.js';
import { decodeBody } from './codec/index.js';
import { readBody, sendJSON, parseBool } from './http.js';
import { timestamp, type Registry } from './registry.js';
import type { JsonObject } from '../api/patch/json.js';
import type { KObject } from './watch-cache.js';

export interface SubresourceContext {
  server: { decodeObject(req: IncomingMessage, body: Buffer, info: ResourceInfo): KObject };
  registry: Registry;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
  method: string;
}

type Handler = (c: SubresourceContext) => Promise<void>;

function methodNotAllowed(): ApiError {
  return new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** The Scale view of a Deployment or ReplicaSet. */
export function scaleOf(obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata!;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: labelSelectorToString(spec.selector as never) },
  };
}

const scale: Handler = async (c) => {
  const { registry, info, namespace, name, req, res, url } = c;
  const q = url.searchParams;
  if (c.method === 'GET') {
    sendJSON(res, 200, scaleOf(await registry.get(info, namespace, name)));
    return;
  }
  if (c.method !== 'PUT' && c.method !== 'PATCH') throw methodNotAllowed();
  const body = await readBody(req);
  const dryRun = q.getAll('dryRun').includes('All');
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const { object } = await registry.guaranteedUpdate(
    info,
    namespace,
    name,
    (current) => {
      const cur = current!;
      const before = scaleOf(cur);
      let wanted: KObject;
      if (c.method === 'PUT') {
        wanted = decodeBody(req.headers['content-type'], body) as KObject;
        const rv = wanted.metadata?.resourceVersion;
        if (rv && rv !== cur.metadata!.resourceVersion) throw conflict(info.group, info.resource, name);
      } else {
        wanted = applyPatch(contentType, before as JsonObject, body, { apiVersion: 'autoscaling/v1', kind: 'Scale', manager: q.get('fieldManager') ?? 'unknown', force: parseBool(q.get('force')), now: timestamp(new Date()) }).object as KObject;
      }
      const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid('Scale', name, [field.invalid('spec.replicas', replicas ?? null, 'must be greater than or equal to 0')], 'autoscaling');
      }
      (cur.spec as Record<string, unknown>).replicas = replicas;
      delete cur.metadata!.resourceVersion;
      return cur;
    },
    { dryRun, ...(q.get('fieldManager') ? { fieldManager: q.get('fieldManager')! } : {}) },
  );
  sendJSON(res, 200, scaleOf(object));
};

const binding: Handler = async (c) => {
  if (c.method !== 'POST') throw methodNotAllowed();
  const body = await readBody(c.req);
  const b = decodeBody(c.req.headers['content-type'], body) as { target?: { kind?: string; name?: string }; metadata?: { name?: string; annotations?: Record<string, string> } };
  const target = b.target;
  if (!target?.name) throw invalid('Binding', c.name, [field.required('target.name')]);
  if (target.kind && target.kind !== 'Node') throw invalid('Binding', c.name, [field.notSupported('target.kind', target.kind, ['Node'])]);
  // The pod itself is not validated again (as upstream's assignPod); what the binding adds is.
  // skiff also keeps a malformed node name out of the pod, which a later pod update would reject.
  const errs = [
    ...nameIsDNSSubdomain(target.name, false).map((m) => field.invalid('target.name', target.name, m)),
    ...validateAnnotations(b.metadata?.annotations, 'metadata.annotations'),
  ];
  if (errs.length) throw invalid('Binding', c.name, errs);
  const dryRun = c.url.searchParams.getAll('dryRun').includes('All');
  await c.registry.guaranteedUpdate(
    c.info,
    c.namespace,
    c.name,
    (pod) => {
      // The stored pod is only read: the bound pod shares every part the binding leaves alone.
      const p = pod!;
      const spec = p.spec as { nodeName?: string } | undefined;
      if (p.metadata!.deletionTimestamp) throw conflict('', 'pods/binding', c.name, 'pod is being deleted, cannot be assigned to a host');
      if (spec?.nodeName) throw conflict('', 'pods/binding', c.name, `pod ${c.name} is already assigned to node "${spec.nodeName}"`);
      const status = (p.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
      const conds = status.conditions ?? [];
      const now = timestamp(new Date());
      // Upstream's UpdatePodCondition: the condition is replaced whole (the scheduler's
      // reason and message of an earlier failure go), keeping its transition time only
      // when the status does not change.
      const scheduled = (x: Record<string, unknown>): Record<string, unknown> => ({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: x['status'] === 'True' ? (x['lastTransitionTime'] ?? now) : now });
      const conditions = conds.some((x) => x.type === 'PodScheduled')
        ? conds.map((x) => (x.type === 'PodScheduled' ? scheduled(x) : x))
        : [...conds, scheduled({})];
      const annotations = b.metadata?.annotations;
      return {
        ...p,
        metadata: annotations ? { ...p.metadata, annotations: { ...p.metadata!.annotations, ...annotations } } : { ...p.metadata },
        spec: { ...spec, nodeName: target.name },
        status: { ...status, conditions },
      };
    },
    { dryRun, subresource: 'binding', mutateCopies: true },
  );
  sendJSON(c.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
};

const eviction: Handler = async (c) => {
  if (c.method !== 'POST') throw methodNotAllowed();
  const body = await readBody(c.req);
  const ev = decodeBody(c.req.headers['content-type'], body) as { metadata?: { name?: string }; deleteOptions?: Record<string, unknown> };
  if (ev.metadata?.name && ev.metadata.name !== c.name) throw badRequest(`name in URL does not match name in Eviction object`);
  const d = ev.deleteOptions ?? {};
  // No PodDisruptionBudgets are served, so every eviction is allowed.
  await c.registry.delete(c.info, c.namespace, c.name, {
    ...(typeof d.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: d.gracePeriodSeconds } : {}),
    ...(d.preconditions ? { preconditions: d.preconditions as { uid?: string; resourceVersion?: string } } : {}),
    ...(Array.isArray(d.dryRun) && d.dryRun.length ? { dryRun: true } : {}),
  });
  sendJSON(c.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
};

const finalize: Handler = async (c) => {
  if (c.method !== 'PUT') throw methodNotAllowed();
  const body = await readBody(c.req);
  const input = c.server.decodeObject(c.req, body, c.info);
  const { object } = await c.registry.guaranteedUpdate(c.info, undefined, c.name, (ns) => {
    const cur = ns!;
    (cur.spec as Record<string, unknown>) = { ...(cur.spec as object), finalizers: ((input.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) };
    return cur;
  }, { subresource: 'finalize' });
  sendJSON(c.res, 200, object);
};

const notServed: Handler = async (c) => {
  throw badRequest(`${c.info.resource}/${c.url.pathname.split('/').pop()} is not supported by this skiff node agent yet`);
};

/** Handlers by subresource name (`status` is handled by the generic path). */
export const subresourceHandlers: Record<string, Handler | undefined> = {
  scale,
  binding,
  eviction,
  finalize,
  log: notServed,
  exec: notServed,
  attach: notServed,
  portforward: notServed,
};

