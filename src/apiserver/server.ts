/**
 * The Kubernetes REST front door: routes `/api` and `/apis` paths to the
 * registry, negotiates Table output, streams watches, and renders every
 * failure as a `metav1.Status`. One `ApiServer` serves one store.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Registry as PromRegistry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import { ApiError, badRequest, notFound } from '../api/errors.js';
import { RESOURCES, findResource, groupVersion, type ResourceInfo } from '../api/resources.js';
import { Registry, storedJSON, timestamp, type DeleteOptions } from './registry.js';
import type { KObject } from './watch-cache.js';
import { readBody, sendError, sendJSON, parseBool, warningHeader } from './http.js';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  resourceList,
  wantsAggregated,
} from './discovery.js';
import { decodeBody } from './codec/index.js';
import { applyPatch } from '../api/patch/index.js';
import type { JsonObject } from '../api/patch/json.js';
import { printTable } from './printers/index.js';
import { openapiV3Root, openapiV3Document } from './openapi/index.js';
import { findTypeError } from './openapi/type-errors.js';
import { selectorFilters } from './selectors.js';
import { checkFieldValidation, type FieldValidation } from './field-validation.js';
import { subresourceHandlers } from './subresources.js';
import { isPodStream, PodStreams, upgradeResponse } from './streaming/index.js';

/** What `/version` reports; minor 32 makes the kubectl dispatcher run kubectl 1.32. */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-21T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface ApiServerOptions {
  registry: Registry;
  host?: string;
  port?: number;
  /** Hook run after the registry is ready and before `ready` resolves (bootstrap objects). */
  onReady?: () => Promise<void>;
  /** Secure mode (see `auth/`): serve HTTPS only, with this PEM key and certificate. */
  tls?: { key: string; cert: string };
  /** Secure mode: run first for every socket request (upgrades too); returns false after answering 401 itself. */
  authenticate?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Parsed request target. */
export interface ResourceRequest {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** Splits an API path into group/version/namespace/resource/name/subresource. */
export function parseResourcePath(path: string): ResourceRequest | 'unknown' | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  if (!rest.length) return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    // `/namespaces/x/status` and `/namespaces/x/finalize` are the namespace's own subresources.
    if (group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')) {
      const info = findResource('', version, 'namespaces');
      return info ? { info, namespace: undefined, name: rest[1], subresource: rest[2] } : 'unknown';
    }
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const info = findResource(group, version, rest[0]!);
  if (!info) return 'unknown';
  if (rest.length > 3) return 'unknown';
  if (!info.namespaced && namespace !== undefined) return 'unknown';
  return { info, namespace, name: rest[1], subresource: rest[2] };
}

function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Options shared by write verbs. */
function writeOptions(q: URLSearchParams): { dryRun: boolean; fieldManager?: string; fieldValidation: FieldValidation } {
  const dry = q.getAll('dryRun');
  for (const d of dry) if (d !== 'All') throw badRequest(`Invalid dry run value: ${d}. Supported values: All`);
  const fv = (q.get('fieldValidation') ?? 'Warn') as FieldValidation;
  if (!['Strict', 'Warn', 'Ignore'].includes(fv)) {
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict"`);
  }
  const fm = q.get('fieldManager') ?? undefined;
  return { dryRun: dry.length > 0, fieldValidation: fv, ...(fm ? { fieldManager: fm } : {}) };
}

/** The API server. */
/**
 * An integer query parameter (`limit`, `timeoutSeconds`, `gracePeriodSeconds`), or undefined
 * when absent; anything else is refused with 400, as kube-apiserver's parameter codec does.
 */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

export class ApiServer {
  readonly registry: Registry;
  readonly metrics = new PromRegistry();
  private readonly server: http.Server | https.Server;
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private readonly watchers: Gauge;
  private readyFlag = false;
  private readonly opts: ApiServerOptions;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** pods/log, exec, attach, portforward: relayed to the node's kubelet server. */
  private readonly podStreams: PodStreams;

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    this.registry = opts.registry;
    collectDefaultMetrics({ register: this.metrics });
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, group, version, resource and HTTP response code.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'],
      registers: [this.metrics],
    });
    this.latency = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, group, version and resource.',
      labelNames: ['verb', 'group', 'version', 'resource'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.metrics],
    });
    const registry = this.registry;
    this.watchers = new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Number of currently registered watchers.',
      registers: [this.metrics],
      collect() {
        this.set(registry.cache.watcherCount());
      },
    });
    void this.watchers;
    const serverOptions = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      if (opts.authenticate && !opts.authenticate(req, res)) return;
      void this.handle(req, res);
    };
    this.server = opts.tls ? https.createServer({ ...serverOptions, ...opts.tls }, onRequest) : http.createServer(serverOptions, onRequest);
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.timeout = 0;
    // Upgrade requests (exec, attach, port-forward) run through the normal router; see streaming/upgrade-proxy.ts.
    this.podStreams = new PodStreams(this.registry);
    this.server.on('upgrade', (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => onRequest(req, upgradeResponse(req, socket, head)));
  }

  /** Starts listening; resolves with the bound address once ready. */
  async listen(): Promise<AddressInfo> {
    await this.registry.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 6443, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    await this.opts.onReady?.();
    this.readyFlag = true;
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, ends open watches, stops the registry. */
  async close(): Promise<void> {
    this.readyFlag = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.registry.stop();
  }

  /** The bound address (after listen). */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** The request handler, usable without a socket by the in-process transport (`local-transport.ts`). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://x');
    let verb = req.method ?? 'GET';
    let labels = { group: '', version: '', resource: '', subresource: '' };
    try {
      const r = await this.route(req, res, url);
      if (r) {
        verb = r.verb;
        labels = r.labels;
      }
    } catch (err) {
      sendError(res, err);
    } finally {
      if (verb !== 'WATCH') {
        const secs = Number(process.hrtime.bigint() - started) / 1e9;
        this.requests.inc({ verb, ...labels, code: String(res.statusCode) });
        if (labels.resource) this.latency.observe({ verb, group: labels.group, version: labels.version, resource: labels.resource }, secs);
      }
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<{ verb: string; labels: { group: string; version: string; resource: string; subresource: string } } | void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    switch (path) {
      case '/version':
        return sendJSON(res, 200, VERSION_INFO);
      case '/livez':
      case '/healthz':
      case '/livez/ping':
      case '/healthz/ping':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
        return;
      case '/readyz':
        res.writeHead(this.readyFlag ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(this.readyFlag ? 'ok' : '[-]skiff-bootstrap failed: not finished\nreadyz check failed');
        return;
      case '/metrics': {
        const text = await this.metrics.metrics();
        res.writeHead(200, { 'Content-Type': this.metrics.contentType });
        res.end(text);
        return;
      }
      case '/api':
        if (wantsAggregated(req.headers.accept)) return sendJSON(res, 200, aggregatedDiscovery(true), AGGREGATED_CONTENT_TYPE);
        return sendJSON(res, 200, legacyCoreVersions(`${this.address().address}:${this.address().port}`));
      case '/apis':
        if (wantsAggregated(req.headers.accept)) return sendJSON(res, 200, aggregatedDiscovery(false), AGGREGATED_CONTENT_TYPE);
        return sendJSON(res, 200, legacyGroupList());
      case '/openapi/v3':
        return sendJSON(res, 200, openapiV3Root());
      case '/openapi/v2':
        throw notFound('', '', '');
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3Document(path.slice('/openapi/v3/'.length));
      if (!doc) throw pageNotFound();
      const headers: Record<string, string> = url.searchParams.get('hash') === doc.hash ? { 'Cache-Control': 'public, immutable' } : {};
      res.writeHead(200, { 'Content-Type': 'application/json', ...headers });
      res.end(doc.body);
      return;
    }
    // Group and group-version discovery.
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = resourceList('', parts[1]!);
      if (!list) throw pageNotFound();
      return sendJSON(res, 200, list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = legacyGroup(parts[1]!);
      if (!g) throw pageNotFound();
      return sendJSON(res, 200, g);
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = resourceList(parts[1]!, parts[2]!);
      if (!list) throw pageNotFound();
      return sendJSON(res, 200, list);
    }
    const target = parseResourcePath(path);
    if (target === undefined) throw pageNotFound();
    if (target === 'unknown') throw pageNotFound();
    const labels = { group: target.info.group, version: target.info.version, resource: target.info.resource, subresource: target.subresource ?? '' };
    const verb = await this.serveResource(req, res, url, target, method);
    return { verb, labels };
  }

  private async serveResource(req: IncomingMessage, res: ServerResponse, url: URL, t: ResourceRequest, method: string): Promise<string> {
    const q = url.searchParams;
    const { info } = t;
    const ns = info.namespaced ? t.namespace : undefined;
    if (t.subresource) {
      if (!t.name) throw pageNotFound();
      const sub = info.subresources.find((s) => s.name === t.subresource);
      if (!sub) throw pageNotFound();
      if (isPodStream(info, sub.name)) {
        await this.podStreams.serve({ req, res, url, namespace: ns, name: t.name, subresource: sub.name });
        return sub.name === 'log' ? 'GET' : 'CONNECT';
      }
      const handler = subresourceHandlers[sub.name];
      if (!handler && sub.name !== 'status') {
        throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource`);
      }
      if (handler) {
        await handler({ server: this, registry: this.registry, req, res, url, info, namespace: ns, name: t.name, method });
        return method;
      }
    }
    const isStatus = t.subresource === 'status';
    // A namespaced request needs a namespace, except cluster-wide list/watch.
    if (info.namespaced && ns === undefined && (t.name || method !== 'GET')) throw pageNotFound();
    switch (method) {
      case 'GET': {
        if (!t.name) {
          if (parseBool(q.get('watch'))) {
            await this.serveWatch(req, res, url, t);
            return 'WATCH';
          }
          await this.serveList(req, res, url, t);
          return 'LIST';
        }
        if (!wantsTable(req.headers.accept)) {
          const raw = await this.registry.getRaw(info, ns, t.name);
          if (raw !== undefined) {
            sendJSON(res, 200, raw);
            return 'GET';
          }
        }
        const obj = await this.registry.get(info, ns, t.name);
        this.sendObject(req, res, 200, info, obj, q);
        return 'GET';
      }
      case 'POST': {
        if (t.name) throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
        if (ns !== undefined) await this.requireNamespace(ns, true);
        const wo = writeOptions(q);
        const body = await readBody(req);
        const input = this.decodeObject(req, body, info);
        const warnings = checkFieldValidation(info, input, body, req.headers['content-type'], wo.fieldValidation);
        const obj = await this.registry.create(info, ns, input, { ...wo, fieldManager: wo.fieldManager ?? managerFromUserAgent(req) });
        this.sendObject(req, res, 201, info, obj, q, warnings);
        return 'POST';
      }
      case 'PUT': {
        if (!t.name) throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const wo = writeOptions(q);
        const body = await readBody(req);
        const input = this.decodeObject(req, body, info);
        const warnings = checkFieldValidation(info, input, body, req.headers['content-type'], wo.fieldValidation);
        const allowCreate = ['endpoints', 'leases', 'events'].includes(info.resource);
        // A PUT that creates is a create for the namespace lifecycle (refused while it terminates); one that updates is not.
        if (allowCreate && ns !== undefined) await this.requireNamespace(ns, !(await this.registry.find(info, ns, t.name)));
        const { object, created } = await this.registry.update(info, ns, t.name, input, { ...wo, fieldManager: wo.fieldManager ?? managerFromUserAgent(req), ...(isStatus ? { subresource: 'status' } : {}), allowCreate });
        this.sendObject(req, res, created ? 201 : 200, info, object, q, warnings);
        return 'PUT';
      }
      case 'PATCH': {
        if (!t.name) throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const wo = writeOptions(q);
        const body = await readBody(req);
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const force = parseBool(q.get('force'));
        const isApply = contentType === 'application/apply-patch+yaml';
        if (isApply && !wo.fieldManager) throw badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager');
        if (!isApply && q.has('force')) throw badRequest('force may not be set for non-apply patch requests');
        if (isApply && ns !== undefined) await this.requireNamespace(ns, true);
        let warnings: string[] = [];
        let applied = false;
        const name = t.name;
        const { object, created } = await this.registry.guaranteedUpdate(
          info,
          ns,
          name,
          (current) => {
            const result = applyPatch(contentType, current as JsonObject | undefined, body, {
              apiVersion: groupVersion(info),
              kind: info.kind,
              manager: wo.fieldManager ?? managerFromUserAgent(req),
              force,
              now: timestamp(new Date()),
              // A status write keeps only the patched status, which nothing changes in place
              // (no defaulting, no preparation): it may share the stored pod's parts.
              ...(isStatus ? { subresource: 'status', shareOriginal: true } : {}),
            });
            const patched = result.object as KObject;
            if (result.managedFields) applied = true;
            // An apply configuration (or a patch) that changes the object's kind or version is not this object.
            if (patched.kind !== undefined && patched.kind !== info.kind) {
              throw badRequest(`the kind in the patched object (${String(patched.kind)}) does not match the kind of the object (${info.kind})`);
            }
            if (patched.apiVersion !== undefined && patched.apiVersion !== groupVersion(info) && info.resource !== 'events') {
              throw badRequest(`the API version in the patched object (${String(patched.apiVersion)}) does not match the expected API version (${groupVersion(info)})`);
            }
            warnings = checkFieldValidation(info, patched, undefined, contentType, wo.fieldValidation);
            if (patched.metadata?.name && patched.metadata.name !== name) {
              throw badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
            }
            return patched;
          },
          { ...wo, fieldManager: wo.fieldManager ?? managerFromUserAgent(req), ...(isStatus ? { subresource: 'status' } : {}), createIfMissing: isApply && !isStatus, managedFieldsSet: () => applied, mutateCopies: true },
        );
        this.sendObject(req, res, created ? 201 : 200, info, object, q, warnings);
        return 'PATCH';
      }
      case 'DELETE': {
        const body = await readBody(req);
        const opts = this.deleteOptions(body, q);
        if (!t.name) {
          await this.serveDeleteCollection(req, res, url, t, opts);
          return 'DELETECOLLECTION';
        }
        const { object, deleted } = await this.registry.delete(info, ns, t.name, opts);
        if (deleted && !(info.group === '' && (info.resource === 'pods' || info.resource === 'services'))) {
          // Most registries answer a completed delete with a Success Status naming the object.
          const details = { name: t.name, ...(info.group ? { group: info.group } : {}), kind: info.resource, uid: object.metadata?.uid };
          sendJSON(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
        } else {
          this.sendObject(req, res, 200, info, object, q);
        }
        return 'DELETE';
      }
      default:
        throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  /** Fails with 404 for a missing namespace, 403 while it terminates (creates only). */
  async requireNamespace(ns: string, forCreate: boolean): Promise<void> {
    const nsInfo = findResource('', 'v1', 'namespaces')!;
    const obj = await this.registry.find(nsInfo, undefined, ns);
    if (!obj) throw notFound('', 'namespaces', ns);
    if (forCreate && obj.metadata?.deletionTimestamp) {
      throw new ApiError('Forbidden', `unable to create new content in namespace ${ns} because it is being terminated`, {
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** Decodes a create/update body into an object of the expected kind. */
  decodeObject(req: IncomingMessage, body: Buffer, info: ResourceInfo): KObject {
    const obj = decodeBody(req.headers['content-type'], body) as KObject;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest('Object \'Kind\' is missing in \'null\'');
    if (obj.kind !== undefined && obj.kind !== info.kind) {
      throw badRequest(`${obj.kind} in version "${(obj.apiVersion as string | undefined)?.split('/').pop() ?? ''}" cannot be handled as a ${info.kind}: the object provided is unrecognized (must be of type ${info.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== groupVersion(info) && !(info.resource === 'events')) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${groupVersion(info)})`);
    }
    return obj;
  }

  private deleteOptions(body: Buffer, q: URLSearchParams): DeleteOptions {
    let raw: Record<string, unknown> = {};
    if (body.length) {
      try {
        raw = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch (err) {
        throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
      }
      if (raw === null || typeof raw !== 'object') raw = {};
    }
    const policy = (q.get('propagationPolicy') ?? raw.propagationPolicy) as DeleteOptions['propagationPolicy'] | undefined;
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw new ApiError('Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
    }
    const orphan = q.get('orphanDependents') ?? raw.orphanDependents;
    const typeError = findTypeError('meta.k8s.io/v1', 'DeleteOptions', raw);
    if (typeError) throw badRequest(typeError);
    const graceRaw = intParam(q, 'gracePeriodSeconds') ?? raw.gracePeriodSeconds;
    const dry = [...q.getAll('dryRun'), ...((raw.dryRun as string[] | undefined) ?? [])];
    const pre = raw.preconditions as DeleteOptions['preconditions'] | undefined;
    const out: DeleteOptions = {};
    if (policy) out.propagationPolicy = policy;
    else if (orphan === true || orphan === 'true') out.propagationPolicy = 'Orphan';
    if (graceRaw !== undefined && graceRaw !== null) out.gracePeriodSeconds = Number(graceRaw);
    if (dry.length) out.dryRun = true;
    if (pre) out.preconditions = pre;
    return out;
  }

  private async serveDeleteCollection(req: IncomingMessage, res: ServerResponse, url: URL, t: ResourceRequest, opts: DeleteOptions): Promise<void> {
    const { info } = t;
    const ns = info.namespaced ? t.namespace : undefined;
    const filters = selectorFilters(info, url.searchParams);
    const listed = await this.registry.list(info, ns, filters);
    const out: KObject[] = [];
    for (const item of listed.items) {
      try {
        const r = await this.registry.delete(info, item.metadata?.namespace, item.metadata!.name!, opts);
        out.push(r.object);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
      }
    }
    sendJSON(res, 200, { kind: info.listKind, apiVersion: groupVersion(info), metadata: { resourceVersion: listed.resourceVersion }, items: out });
  }

  /** Writes an object, as a one-row Table when the client asked for one. */
  sendObject(req: IncomingMessage, res: ServerResponse, code: number, info: ResourceInfo, obj: KObject, q: URLSearchParams, warnings: string[] = []): void {
    const headers: Record<string, string | string[]> = warnings.length ? { Warning: warnings.map(warningHeader) } : {};
    if (wantsTable(req.headers.accept)) {
      const table = printTable(info, [obj], { includeObject: includeObject(q), listMeta: { resourceVersion: obj.metadata?.resourceVersion ?? '' } });
      return sendJSON(res, code, table, 'application/json', headers);
    }
    // A freshly written object goes out as the text just stored, not serialized a second time.
    sendJSON(res, code, storedJSON(obj) ?? obj, 'application/json', headers);
  }

  private async serveList(req: IncomingMessage, res: ServerResponse, url: URL, t: ResourceRequest): Promise<void> {
    const q = url.searchParams;
    const { info } = t;
    const ns = info.namespaced ? t.namespace : undefined;
    const limit = intParam(q, 'limit') ?? 0;
    const rvm = q.get('resourceVersionMatch');
    if (rvm && rvm !== 'Exact' && rvm !== 'NotOlderThan') {
      throw new ApiError('Invalid', `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`, {
        kind: 'ListOptions',
        group: 'meta.k8s.io',
        causes: [{ reason: 'FieldValueNotSupported', message: `Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`, field: 'resourceVersionMatch' }],
      });
    }
    const table = wantsTable(req.headers.accept);
    const out = await this.registry.list(info, ns, {
      raw: !table,
      ...selectorFilters(info, q),
      ...(limit > 0 ? { limit } : {}),
      ...(q.get('continue') ? { continueToken: q.get('continue')! } : {}),
      ...(q.get('resourceVersion') !== null ? { resourceVersion: q.get('resourceVersion')! } : {}),
      ...(q.get('resourceVersionMatch') ? { resourceVersionMatch: q.get('resourceVersionMatch')! } : {}),
    });
    const listMeta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: out.resourceVersion };
    if (out.continueToken) listMeta.continue = out.continueToken;
    if (out.remainingItemCount !== undefined) listMeta.remainingItemCount = out.remainingItemCount;
    if (table) {
      return sendJSON(res, 200, printTable(info, out.items, { includeObject: includeObject(q), listMeta }));
    }
    if (out.rawItems) {
      // Fast path: stored texts joined as they are, no parse or re-serialization.
      const head = JSON.stringify({ kind: info.listKind, apiVersion: groupVersion(info), metadata: listMeta });
      const items = out.rawItems;
      if (items.length <= 1000) return sendJSON(res, 200, `${head.slice(0, -1)},"items":[${items.join(',')}]}`);
      // Large lists stream in chunks: no single giant string, and the first bytes leave at once.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${head.slice(0, -1)},"items":[`);
      for (let i = 0; i < items.length; i += 1000) res.write((i ? ',' : '') + items.slice(i, i + 1000).join(','));
      res.end(']}');
      return;
    }
    // Items of a list carry no apiVersion/kind upstream? They do in JSON output from kube-apiserver for
    // typed lists they are omitted; kubectl tolerates both. Keep them for client libraries.
    sendJSON(res, 200, { kind: info.listKind, apiVersion: groupVersion(info), metadata: listMeta, items: out.items });
  }

  private async serveWatch(req: IncomingMessage, res: ServerResponse, url: URL, t: ResourceRequest): Promise<void> {
    const q = url.searchParams;
    const { info } = t;
    const ns = info.namespaced ? t.namespace : undefined;
    const filters = selectorFilters(info, q);
    const table = wantsTable(req.headers.accept);
    const inc = includeObject(q);
    const bookmarks = parseBool(q.get('allowWatchBookmarks'));
    if (parseBool(q.get('sendInitialEvents')) && q.get('resourceVersionMatch') !== 'NotOlderThan') {
      throw new ApiError('Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan', {
        kind: 'ListOptions',
        group: 'meta.k8s.io',
        causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan', field: 'resourceVersionMatch' }],
      });
    }
    const timeoutSeconds = intParam(q, 'timeoutSeconds') ?? 1800 + Math.floor(Math.random() * 1800);
    const filter =
      filters.labelFilter || filters.fieldFilter
        ? (obj: KObject): boolean => (!filters.labelFilter || filters.labelFilter(obj.metadata?.labels ?? {})) && (!filters.fieldFilter || filters.fieldFilter(obj))
        : undefined;
    let open = true;
    let lastRv = '';
    const encKey = table ? `table:${inc}` : 'json';
    const write = (line: string): void => {
      if (open) res.write(line);
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let handle: { stop: () => void; startRevision: number };
    try {
      handle = await this.registry.watch(
        info,
        ns,
        {
          ...(q.get('resourceVersion') !== null ? { resourceVersion: q.get('resourceVersion')! } : {}),
          ...(filter ? { filter } : {}),
          sendInitialEvents: parseBool(q.get('sendInitialEvents')),
          onClose: () => finish(),
        },
        (type, get, raw) => {
          // Serialize once per (event, encoding): shared by every watcher of this resource.
          let line = raw?.encoded?.get(encKey);
          if (line === undefined) {
            if (raw && !table) {
              line = `{"type":"${type}","object":${raw.raw}}\n`;
            } else {
              const obj = get();
              const object = table ? printTable(info, [obj], { includeObject: inc, listMeta: { resourceVersion: obj.metadata?.resourceVersion ?? '' } }) : obj;
              line = `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
            }
            if (raw) (raw.encoded ??= new Map()).set(encKey, line);
          }
          lastRv = raw ? String(raw.revision) : get().metadata?.resourceVersion ?? lastRv;
          write(line);
        },
      );
    } catch (err) {
      // Errors after the headers go out as an ERROR event, as upstream does for a too-old resourceVersion.
      const status = err instanceof ApiError ? err.toStatus() : new ApiError('InternalError', String(err)).toStatus();
      write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      res.end();
      return;
    }
    if (!lastRv) lastRv = String(handle.startRevision);
    if (bookmarks && parseBool(q.get('sendInitialEvents'))) {
      write(`{"type":"BOOKMARK","object":${JSON.stringify(this.bookmarkObject(info, lastRv, true))}}\n`);
    }
    const bookmarkTimer = bookmarks
      ? setInterval(() => {
          const rv = String(Math.max(Number(lastRv) || 0, this.registry.cache.revision));
          write(`{"type":"BOOKMARK","object":${JSON.stringify(this.bookmarkObject(info, rv, false))}}\n`);
        }, 60_000)
      : undefined;
    bookmarkTimer?.unref();
    const finish = (): void => {
      if (!open) return;
      open = false;
      handle.stop();
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      clearTimeout(timer);
      res.end();
    };
    const timer = setTimeout(finish, Math.max(1, timeoutSeconds) * 1000);
    timer.unref();
    req.on('close', finish);
    res.on('close', finish);
  }

  private bookmarkObject(info: ResourceInfo, rv: string, initialEventsEnd: boolean): Record<string, unknown> {
    return {
      kind: info.kind,
      apiVersion: groupVersion(info),
      metadata: { resourceVersion: rv, ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) },
    };
  }
}

/** The default field manager: the User-Agent's program name, as upstream (`kubectl`, `Go-http-client`). */
function managerFromUserAgent(req: IncomingMessage): string {
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}

function includeObject(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** The plain 404 kube-apiserver sends for unknown paths. */
export function pageNotFound(): ApiError {
  return new ApiError('NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
}

/** All resources, for callers that need the catalogue alongside the server. */
export { RESOURCES };
