/**
 * Printers whose cells are a count or a single field: namespaces, configmaps,
 * secrets, serviceaccounts and leases.
 */
import type { ConfigMap, Namespace, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, NAME_COLUMN, translateTimestampSince } from './format.js';
import { column, type Printer } from './printer.js';

/** Printer for `namespaces`. */
export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells(obj, now) {
    const ns = obj as Namespace;
    return [ns.metadata?.name ?? '', ns.status?.phase ?? '', translateTimestampSince(ns.metadata?.creationTimestamp, now)];
  },
};

/** Printer for `configmaps`: DATA counts `data` and `binaryData` keys. */
export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'string', DESCRIPTIONS.CM_DATA), AGE_COLUMN],
  cells(obj, now) {
    const cm = obj as ConfigMap;
    const n = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
    return [cm.metadata?.name ?? '', n, translateTimestampSince(cm.metadata?.creationTimestamp, now)];
  },
};

/** Printer for `secrets`: DATA counts keys, `stringData` merged in as the internal type does. */
export const secretPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DESCRIPTIONS.SECRET_TYPE),
    column('Data', 'string', DESCRIPTIONS.SECRET_DATA),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const s = obj as Secret;
    const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
    return [s.metadata?.name ?? '', s.type ?? '', keys.size, translateTimestampSince(s.metadata?.creationTimestamp, now)];
  },
};

/** Printer for `serviceaccounts`. */
export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column('Secrets', 'string', DESCRIPTIONS.SA_SECRETS), AGE_COLUMN],
  cells(obj, now) {
    const sa = obj as ServiceAccount;
    return [sa.metadata?.name ?? '', (sa.secrets ?? []).length, translateTimestampSince(sa.metadata?.creationTimestamp, now)];
  },
};

/** Printer for `leases.coordination.k8s.io`. */
export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column('Holder', 'string', DESCRIPTIONS.LEASE_HOLDER), AGE_COLUMN],
  cells(obj, now) {
    const l = obj as Lease;
    return [l.metadata?.name ?? '', l.spec?.holderIdentity ?? '', translateTimestampSince(l.metadata?.creationTimestamp, now)];
  },
};
