/**
 * Server-side Table printers: kube-apiserver's `meta.k8s.io/v1` Table output
 * for `kubectl get`, column for column and cell for cell, plus the HumanDuration
 * port for ages. Pure functions over API objects; imports only `kubernetes-types`
 * and code in this folder, so the HTTP layer and watch cache can both use it.
 */
export { printTable, columnDefinitionsFor } from './table.js';
export type { GroupResource, IncludeObject, PrintTableOptions } from './table.js';
export type { Table, TableRow, TableColumnDefinition, TableRowCondition, TableListMeta, Printer } from './printer.js';
export { humanDuration } from './duration.js';
export { podStatusCells } from './pods.js';
export { coreEventFromEventsV1 } from './events.js';
