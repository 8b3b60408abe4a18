/**
 * The OpenAPI v3 discovery root (`/openapi/v3`) and one document per served
 * group-version (`/openapi/v3/api/v1`, `/openapi/v3/apis/apps/v1`, …), shaped like
 * kube-apiserver's: one path entry per resource URL whose operations carry
 * `x-kubernetes-group-version-kind`, `x-kubernetes-action` and the query parameters
 * (kubectl decides from the PATCH operation's `fieldValidation` parameter that the
 * server validates fields itself), plus the component schemas those paths reach.
 */

import { createHash } from 'node:crypto';
import { RESOURCES, groupVersions, type ResourceInfo, type SubresourceInfo } from '../../api/resources.js';
import {
  META_KINDS,
  REF_PREFIX,
  componentSchemas,
  reachableSchemas,
  schemaName,
  type GroupVersionKind,
  type OpenAPISchema,
} from './schemas.js';

/** The Kubernetes version the documents claim in `info.version`. */
export const OPENAPI_INFO_VERSION = 'v1.32.0';

interface Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: { type: string; uniqueItems: true };
}

const q = (name: string, description: string, type = 'string'): Parameter => ({
  description,
  in: 'query',
  name,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: q('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldManagerPatch: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).'),
  fieldValidation: q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', 'boolean'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.', 'boolean'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.', 'integer'),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.', 'boolean'),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.', 'integer'),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.', 'boolean'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.', 'integer'),
  ignoreStoreReadError: q('ignoreStoreReadErrorWithClusterBreakingPotential', 'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it', 'boolean'),
  orphanDependents: q('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.', 'boolean'),
  propagationPolicy: q('propagationPolicy', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerPatch, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadError, P.orphanDependents, P.propagationPolicy];
const DELETE_COLLECTION_PARAMS = [
  P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.ignoreStoreReadError, P.labelSelector, P.limit,
  P.orphanDependents, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds,
];

const pathParam = (name: string, description: string): Parameter => ({
  description,
  in: 'path',
  name,
  required: true,
  schema: { type: 'string', uniqueItems: true },
});
const NAMESPACE_PARAM = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

const OBJECT_MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const LIST_MEDIA = [...OBJECT_MEDIA, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_MEDIA = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const ref = (name: string) => ({ $ref: REF_PREFIX + name });
const content = (media: string[], schema: object) => Object.fromEntries(media.map((m) => [m, { schema }]));
const responses = (codes: Record<string, string>, schema: object | undefined, media = OBJECT_MEDIA) => {
  const out: Record<string, unknown> = {};
  for (const [code, description] of Object.entries(codes)) out[code] = schema ? { content: content(media, schema), description } : { description };
  out['401'] = { description: 'Unauthorized' };
  return out;
};

type Operation = Record<string, unknown>;
type PathItem = Record<string, unknown>;

/** `core` → `Core`, `discovery.k8s.io` → `Discovery`, as in upstream operation ids. */
function groupWord(group: string): string {
  const g = group.split('.')[0] || 'core';
  return g.charAt(0).toUpperCase() + g.slice(1);
}

/** Everything a path generator needs about one group-version. */
interface GVContext {
  prefix: string;
  ids: string;
  tag: string;
}

function gvContext(group: string, version: string): GVContext {
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  return {
    prefix: group ? `/apis/${group}/${version}` : `/api/${version}`,
    ids: `${groupWord(group)}${v}`,
    tag: `${(group.split('.')[0] || 'core').toLowerCase()}_${version}`,
  };
}

function gvkOf(r: ResourceInfo, s?: SubresourceInfo): GroupVersionKind {
  return { group: s?.group ?? r.group, kind: s?.kind ?? r.kind, version: s?.version ?? r.version };
}

function op(ctx: GVContext, fields: {
  description: string;
  operationId: string;
  action: string;
  gvk: GroupVersionKind;
  parameters?: Parameter[];
  requestBody?: object;
  responses: object;
}): Operation {
  const o: Operation = { description: fields.description, operationId: fields.operationId };
  if (fields.parameters?.length) o.parameters = fields.parameters;
  if (fields.requestBody) o.requestBody = fields.requestBody;
  o.responses = fields.responses;
  o.tags = [ctx.tag];
  o['x-kubernetes-action'] = fields.action;
  o['x-kubernetes-group-version-kind'] = fields.gvk;
  return o;
}

const bodyOf = (schema: string) => ({ content: { '*/*': { schema: ref(schema) } }, required: true });
const patchBody = { content: Object.fromEntries(PATCH_MEDIA.map((m) => [m, { schema: ref(`io.k8s.apimachinery.pkg.apis.meta.v1.Patch`) }])), required: true };
const deleteBody = { content: { '*/*': { schema: ref('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions') } } };
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const WATCH_EVENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent';

/** Adds the path items of one resource (collection, item, watch and subresource URLs) to `paths`. */
function resourcePaths(ctx: GVContext, r: ResourceInfo, paths: Record<string, PathItem>, schemas: Set<string>): void {
  const kindSchema = schemaName(r.group, r.version, r.kind);
  const listSchema = schemaName(r.group, r.version, r.listKind);
  const known = componentSchemas();
  if (known.has(kindSchema)) schemas.add(kindSchema);
  if (known.has(listSchema)) schemas.add(listSchema);
  const ns = r.namespaced ? 'Namespaced' : '';
  const scope = r.namespaced ? '/namespaces/{namespace}' : '';
  const scopeParams = r.namespaced ? [NAMESPACE_PARAM] : [];
  const nameParam = pathParam('name', `name of the ${r.kind}`);
  const gvk = gvkOf(r);
  const verbs = new Set(r.verbs);
  const kindRef = ref(kindSchema);
  const id = (verb: string, suffix = '') => `${verb}${ctx.ids}${ns}${r.kind}${suffix}`;

  const collection: PathItem = {};
  if (verbs.has('deletecollection')) {
    collection.delete = op(ctx, {
      description: `delete collection of ${r.kind}`,
      operationId: `delete${ctx.ids}Collection${ns}${r.kind}`,
      action: 'deletecollection',
      gvk,
      parameters: DELETE_COLLECTION_PARAMS,
      requestBody: deleteBody,
      responses: responses({ '200': 'OK' }, ref(STATUS)),
    });
  }
  if (verbs.has('list')) {
    collection.get = op(ctx, {
      description: `list or watch objects of kind ${r.kind}`,
      operationId: id('list'),
      action: 'list',
      gvk,
      parameters: LIST_PARAMS,
      responses: responses({ '200': 'OK' }, ref(listSchema), LIST_MEDIA),
    });
  }
  collection.parameters = [...scopeParams, P.pretty];
  if (verbs.has('create')) {
    collection.post = op(ctx, {
      description: `create ${articled(r.kind)}`,
      operationId: id('create'),
      action: 'post',
      gvk,
      parameters: WRITE_PARAMS,
      requestBody: bodyOf(kindSchema),
      responses: responses({ '200': 'OK', '201': 'Created', '202': 'Accepted' }, kindRef),
    });
  }
  paths[`${ctx.prefix}${scope}/${r.resource}`] = collection;

  const item: PathItem = {};
  if (verbs.has('delete')) {
    item.delete = op(ctx, {
      description: `delete ${articled(r.kind)}`,
      operationId: id('delete'),
      action: 'delete',
      gvk,
      parameters: DELETE_PARAMS,
      requestBody: deleteBody,
      responses: responses({ '200': 'OK', '202': 'Accepted' }, ref(STATUS)),
    });
  }
  if (verbs.has('get')) {
    item.get = op(ctx, { description: `read the specified ${r.kind}`, operationId: id('read'), action: 'get', gvk, responses: responses({ '200': 'OK' }, kindRef) });
  }
  item.parameters = [nameParam, ...scopeParams, P.pretty];
  if (verbs.has('patch')) {
    item.patch = op(ctx, {
      description: `partially update the specified ${r.kind}`,
      operationId: id('patch'),
      action: 'patch',
      gvk,
      parameters: PATCH_PARAMS,
      requestBody: patchBody,
      responses: responses({ '200': 'OK', '201': 'Created' }, kindRef),
    });
  }
  if (verbs.has('update')) {
    item.put = op(ctx, {
      description: `replace the specified ${r.kind}`,
      operationId: id('replace'),
      action: 'put',
      gvk,
      parameters: WRITE_PARAMS,
      requestBody: bodyOf(kindSchema),
      responses: responses({ '200': 'OK', '201': 'Created' }, kindRef),
    });
  }
  paths[`${ctx.prefix}${scope}/${r.resource}/{name}`] = item;

  if (r.namespaced && verbs.has('list')) {
    paths[`${ctx.prefix}/${r.resource}`] = {
      get: op(ctx, {
        description: `list or watch objects of kind ${r.kind}`,
        operationId: `list${ctx.ids}${r.kind}ForAllNamespaces`,
        action: 'list',
        gvk,
        responses: responses({ '200': 'OK' }, ref(listSchema), LIST_MEDIA),
      }),
      parameters: [...LIST_PARAMS.slice(0, 4), P.pretty, ...LIST_PARAMS.slice(4)],
    };
  }
  if (verbs.has('watch')) {
    schemas.add(WATCH_EVENT);
    const watch = (path: string, operationId: string, action: string, params: Parameter[], description: string) => {
      paths[path] = {
        get: op(ctx, { description, operationId, action, gvk, responses: responses({ '200': 'OK' }, ref(WATCH_EVENT), LIST_MEDIA) }),
        parameters: [...params, P.pretty, ...LIST_PARAMS],
      };
    };
    const listDesc = `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`;
    watch(`${ctx.prefix}/watch${scope}/${r.resource}`, id('watch', 'List'), 'watchlist', scopeParams, listDesc);
    watch(
      `${ctx.prefix}/watch${scope}/${r.resource}/{name}`,
      id('watch'),
      'watch',
      [nameParam, ...scopeParams],
      `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
    );
    if (r.namespaced) watch(`${ctx.prefix}/watch/${r.resource}`, `watch${ctx.ids}${r.kind}ListForAllNamespaces`, 'watchlist', [], listDesc);
  }

  for (const s of r.subresources) subresourcePath(ctx, r, s, paths, schemas, { scope, scopeParams, nameParam, ns });
}

function subresourcePath(
  ctx: GVContext,
  r: ResourceInfo,
  s: SubresourceInfo,
  paths: Record<string, PathItem>,
  schemas: Set<string>,
  at: { scope: string; scopeParams: Parameter[]; nameParam: Parameter; ns: string },
): void {
  const gvk = gvkOf(r, s);
  const subSchema = schemaName(gvk.group, gvk.version, gvk.kind);
  const hasSchema = componentSchemas().has(subSchema);
  if (hasSchema) schemas.add(subSchema);
  const word = s.name.charAt(0).toUpperCase() + s.name.slice(1);
  const id = (verb: string) => `${verb}${ctx.ids}${at.ns}${r.kind}${word}`;
  const body = hasSchema ? ref(subSchema) : undefined;
  const verbs = new Set(s.verbs);
  const item: PathItem = {};
  const connect = ['exec', 'attach', 'portforward', 'proxy'].includes(s.name);
  if (connect) {
    for (const verb of ['get', 'post'] as const) {
      if (!verbs.has(verb === 'get' ? 'get' : 'create')) continue;
      item[verb] = op(ctx, {
        description: `connect ${verb.toUpperCase()} requests to ${s.name} of ${r.kind}`,
        operationId: `connect${ctx.ids}${verb === 'get' ? 'Get' : 'Post'}${at.ns}${r.kind}${word}`,
        action: 'connect',
        gvk,
        responses: responses({ '200': 'OK' }, { type: 'string' }, ['*/*']),
      });
    }
  } else if (s.name === 'log') {
    item.get = op(ctx, {
      description: `read log of the specified ${r.kind}`,
      operationId: id('read'),
      action: 'get',
      gvk,
      responses: responses({ '200': 'OK' }, { type: 'string' }, ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']),
    });
  } else {
    if (verbs.has('get')) {
      item.get = op(ctx, { description: `read ${s.name} of the specified ${r.kind}`, operationId: id('read'), action: 'get', gvk, responses: responses({ '200': 'OK' }, body) });
    }
    if (verbs.has('patch')) {
      item.patch = op(ctx, {
        description: `partially update ${s.name} of the specified ${r.kind}`,
        operationId: id('patch'),
        action: 'patch',
        gvk,
        parameters: PATCH_PARAMS,
        requestBody: patchBody,
        responses: responses({ '200': 'OK', '201': 'Created' }, body),
      });
    }
    if (verbs.has('create')) {
      item.post = op(ctx, {
        description: `create ${s.name} of ${articled(r.kind)}`,
        operationId: id('create'),
        action: 'post',
        gvk,
        parameters: WRITE_PARAMS,
        requestBody: body ? { content: { '*/*': { schema: body } }, required: true } : undefined,
        responses: responses({ '200': 'OK', '201': 'Created', '202': 'Accepted' }, body),
      });
    }
    if (verbs.has('update')) {
      item.put = op(ctx, {
        description: `replace ${s.name} of the specified ${r.kind}`,
        operationId: id('replace'),
        action: 'put',
        gvk,
        parameters: WRITE_PARAMS,
        requestBody: body ? { content: { '*/*': { schema: body } }, required: true } : undefined,
        responses: responses({ '200': 'OK', '201': 'Created' }, body),
      });
    }
  }
  item.parameters = [pathParam('name', `name of the ${s.kind}`), ...at.scopeParams, P.pretty];
  paths[`${ctx.prefix}${at.scope}/${r.resource}/{name}/${s.name}`] = item;
}

function articled(kind: string): string {
  return /^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** `api/v1` for core, `apis/apps/v1` otherwise: the key in the `/openapi/v3` root. */
export function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function buildDocument(group: string, version: string): object {
  const ctx = gvContext(group, version);
  const paths: Record<string, PathItem> = {};
  const roots = new Set<string>(META_KINDS);
  paths[`${ctx.prefix}/`] = {
    get: {
      description: 'get available resources',
      operationId: `get${ctx.ids}APIResources`,
      responses: responses({ '200': 'OK' }, ref('io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList')),
      tags: [ctx.tag],
    },
  };
  for (const r of RESOURCES) if (r.group === group && r.version === version) resourcePaths(ctx, r, paths, roots);
  const sortedPaths: Record<string, PathItem> = {};
  for (const p of Object.keys(paths).sort()) sortedPaths[p] = paths[p]!;
  const all = componentSchemas();
  const schemas: Record<string, OpenAPISchema> = {};
  for (const name of reachableSchemas(roots)) schemas[name] = all.get(name)!;
  return {
    components: { schemas },
    info: { title: 'Kubernetes', version: OPENAPI_INFO_VERSION },
    openapi: '3.0.0',
    paths: sortedPaths,
  };
}

/** A serialized document and the hash its URL carries. */
export interface OpenAPIDocument {
  body: string;
  /** Upper-case hex SHA-512 of `body`; changes whenever the document does. */
  hash: string;
}

const documents = new Map<string, OpenAPIDocument>();

/**
 * The OpenAPI v3 document of one served group-version, by its root key
 * (`api/v1`, `apis/apps/v1`, …), or undefined if that group-version is not served.
 * Built on first request and cached.
 * @example openapiV3Document('apis/apps/v1')?.body
 */
export function openapiV3Document(path: string): OpenAPIDocument | undefined {
  const cached = documents.get(path);
  if (cached) return cached;
  const gv = groupVersions().find((g) => gvPath(g.group, g.version) === path);
  if (!gv) return undefined;
  const body = JSON.stringify(buildDocument(gv.group, gv.version));
  const doc = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
  documents.set(path, doc);
  return doc;
}

/**
 * The `/openapi/v3` discovery document: every served group-version with the
 * hash-pinned URL of its document.
 * @example openapiV3Root().paths['api/v1'].serverRelativeURL // '/openapi/v3/api/v1?hash=…'
 */
export function openapiV3Root(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const key = gvPath(gv.group, gv.version);
    const doc = openapiV3Document(key)!;
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
  }
  return { paths };
}

/**
 * The component schema of a kind, by apiVersion and kind, e.g.
 * `openapiSchemaFor('apps/v1', 'DaemonSet')`; its `$ref`s resolve through `resolveRef`
 * of `./schemas.js`. Undefined for kinds that have no schema.
 */
export function openapiSchemaFor(apiVersion: string, kind: string): OpenAPISchema | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  return componentSchemas().get(schemaName(group ?? '', version ?? '', kind));
}

/** An HTTP answer as plain data, for the server's router to write. */
export interface OpenAPIResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Answers `GET /openapi/v3` and `GET /openapi/v3/<gv>[?hash=…]`; undefined for any
 * other path (including `/openapi/v2`, which should stay a 404: kubectl asks for it in
 * protobuf and copes with its absence). A request that names the current hash may be
 * cached forever, as upstream allows; any other is served with `no-cache`.
 */
export function openapiV3Response(pathname: string, search = ''): OpenAPIResponse | undefined {
  const json = { 'Content-Type': 'application/json' };
  if (pathname === '/openapi/v3' || pathname === '/openapi/v3/') {
    return { status: 200, headers: { ...json, 'Cache-Control': 'no-cache, private' }, body: JSON.stringify(openapiV3Root()) };
  }
  if (!pathname.startsWith('/openapi/v3/')) return undefined;
  const doc = openapiV3Document(pathname.slice('/openapi/v3/'.length));
  if (!doc) return undefined;
  const hash = new URLSearchParams(search).get('hash');
  const cache = hash === doc.hash ? 'public, immutable' : 'no-cache, private';
  return { status: 200, headers: { ...json, 'Cache-Control': cache, Etag: `"${doc.hash}"` }, body: doc.body };
}

/** Every served group-version's root key, for tests and logs. */
export function servedOpenAPIPaths(): string[] {
  return groupVersions().map((gv) => gvPath(gv.group, gv.version));
}
