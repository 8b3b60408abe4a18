/**
 * The shapes of a `meta.k8s.io/v1` Table and the contract each per-resource
 * printer fulfils: a fixed list of column definitions (priority 1 = `-o wide`)
 * and a pure function from one object to its cells. The server always prints
 * the wide cells, exactly as kube-apiserver does; kubectl hides priority-1
 * columns itself.
 */

/** One column of a Table, as `metav1.TableColumnDefinition` (all five fields always present). */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** A row condition, as `metav1.TableRowCondition` (pods set `Completed`). */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** One row: the cells, optional conditions and the object per `includeObject` (null for `None`). */
export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

/** List metadata carried by a Table. */
export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A `meta.k8s.io/v1` Table as it travels on the wire. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: TableListMeta;
  columnDefinitions?: TableColumnDefinition[];
  rows: TableRow[];
}

/** A per-resource printer: upstream's column definitions and cell function. */
export interface Printer {
  columns: TableColumnDefinition[];
  /** Cells for one object, wide columns included; `now` is the clock for ages. */
  cells(obj: unknown, now: Date): unknown[];
  /** Row conditions, when the resource sets any. */
  conditions?(obj: unknown): TableRowCondition[] | undefined;
}

/**
 * Builds a column definition with upstream's defaults (`format: ""`, `priority: 0`).
 *
 * @example column('Age', 'string', DESCRIPTIONS.CREATION_TIMESTAMP)
 */
export function column(
  name: string,
  type: string,
  description: string,
  opts: { format?: string; priority?: number } = {},
): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}
