/**
 * Server-side Table output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`):
 * picks the printer for a resource, prints every object into a row and attaches
 * the row object per `includeObject`, as kube-apiserver's TableConvertor and
 * `transformTable` do. Resources without a printer get upstream's default
 * `Name` / `Created At` columns.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { NAME_COLUMN } from './format.js';
import { column, type Printer, type Table, type TableColumnDefinition, type TableListMeta, type TableRow } from './printer.js';
import { podPrinter } from './pods.js';
import { servicePrinter } from './services.js';
import { endpointSlicePrinter, endpointsPrinter } from './endpoints.js';
import { nodePrinter } from './nodes.js';
import { eventPrinter, eventsV1Printer } from './events.js';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter } from './apps.js';
import { configMapPrinter, leasePrinter, namespacePrinter, secretPrinter, serviceAccountPrinter } from './simple.js';

/** A resource as `{group, resource}`, group `''` for core. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** What `row.object` holds: upstream's `includeObject` query parameter. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Options of {@link printTable}. */
export interface PrintTableOptions {
  /** Default `Metadata`: a PartialObjectMetadata with the full metadata. */
  includeObject?: IncludeObject;
  /** Clock for ages; default the current time. */
  now?: Date;
  /** List metadata for the Table; default the resourceVersion of a single object. */
  listMeta?: TableListMeta;
  /** `TableOptions.noHeaders`: omit the column definitions. */
  noHeaders?: boolean;
}

/** `rest.NewDefaultTableConvertor`: Name and an RFC 3339 creation time. */
const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', DESCRIPTIONS.CREATION_TIMESTAMP)],
  cells(obj) {
    const m = metadataOf(obj);
    return [m.name ?? '', formatCreatedAt(m.creationTimestamp)];
  },
};

const PRINTERS: Record<string, Printer> = {
  '/pods': podPrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/nodes': nodePrinter,
  '/namespaces': namespacePrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  '/events': eventPrinter,
  'events.k8s.io/events': eventsV1Printer,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'apps/daemonsets': daemonSetPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/controllerrevisions': controllerRevisionPrinter,
  'coordination.k8s.io/leases': leasePrinter,
};

function printerFor(gr: GroupResource): Printer {
  return PRINTERS[`${gr.group}/${gr.resource}`] ?? defaultPrinter;
}

function metadataOf(obj: unknown): ObjectMeta {
  if (obj && typeof obj === 'object' && 'metadata' in obj) {
    const m = (obj as { metadata?: unknown }).metadata;
    if (m && typeof m === 'object') return m as ObjectMeta;
  }
  return {};
}

/** Go formats a zero creation time as `0001-01-01T00:00:00Z`; RFC 3339 drops fractional seconds. */
function formatCreatedAt(ts: string | undefined): string {
  if (!ts) return '0001-01-01T00:00:00Z';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return ts;
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Column definitions upstream sends for a resource (the default Name /
 * Created At pair for resources without a printer). A watch uses these with
 * {@link printTable} of one object to send one-row Tables.
 */
export function columnDefinitionsFor(gr: GroupResource): TableColumnDefinition[] {
  return printerFor(gr).columns.map((c) => ({ ...c }));
}

function rowObject(obj: unknown, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      // Upstream's empty RawExtension marshals as null.
      return null;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadataOf(obj) };
  }
}

/**
 * Prints objects of one resource as a `meta.k8s.io/v1` Table, cells computed
 * exactly as kube-apiserver's printers (wide columns included).
 *
 * @example printTable({ group: '', resource: 'services' }, [svc], { listMeta: { resourceVersion: '1026' } })
 */
export function printTable(gr: GroupResource, objects: unknown[], opts: PrintTableOptions = {}): Table {
  const printer = printerFor(gr);
  const now = opts.now ?? new Date();
  const include = opts.includeObject ?? 'Metadata';
  const rows: TableRow[] = objects.map((obj) => {
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions && conditions.length > 0) row.conditions = conditions.map((c) => ({ ...c }));
    row.object = rowObject(obj, include);
    return row;
  });
  const metadata: TableListMeta = {};
  const listMeta = opts.listMeta ?? (objects.length === 1 ? { resourceVersion: metadataOf(objects[0]).resourceVersion } : {});
  if (listMeta.resourceVersion) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue) metadata.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;
  const table: Table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, rows };
  if (!opts.noHeaders) table.columnDefinitions = columnDefinitionsFor(gr);
  return table;
}
