/**
 * Printers of the apps group: deployments (READY `ready/desired`),
 * replicasets, daemonsets (NODE SELECTOR) and controllerrevisions
 * (CONTROLLER `kind.group/name`).
 */
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import {
  AGE_COLUMN,
  CONTAINERS_DESCRIPTION,
  IMAGES_DESCRIPTION,
  NAME_COLUMN,
  formatLabelSelector,
  formatLabels,
  int,
  labelSelectorString,
  layoutContainerCells,
  translateTimestampSince,
} from './format.js';
import { column, type Printer } from './printer.js';

const containersColumn = column('Containers', 'string', CONTAINERS_DESCRIPTION, { priority: 1 });
const imagesColumn = column('Images', 'string', IMAGES_DESCRIPTION, { priority: 1 });

/** Printer for `deployments.apps`. */
export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', DESCRIPTIONS.DEPLOY_UPDATED),
    column('Available', 'string', DESCRIPTIONS.DEPLOY_AVAILABLE),
    AGE_COLUMN,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', DESCRIPTIONS.DEPLOY_SELECTOR, { priority: 1 }),
  ],
  cells(obj, now) {
    const d = obj as Deployment;
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    // spec.replicas defaults to 1.
    const desired = d.spec?.replicas ?? 1;
    return [
      d.metadata?.name ?? '',
      `${int(d.status?.readyReplicas)}/${desired}`,
      int(d.status?.updatedReplicas),
      int(d.status?.availableReplicas),
      translateTimestampSince(d.metadata?.creationTimestamp, now),
      names,
      images,
      labelSelectorString(d.spec?.selector),
    ];
  },
};

/** Printer for `replicasets.apps`. */
export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DESCRIPTIONS.RS_SPEC_REPLICAS),
    column('Current', 'integer', DESCRIPTIONS.RS_STATUS_REPLICAS),
    column('Ready', 'integer', DESCRIPTIONS.RS_READY_REPLICAS),
    AGE_COLUMN,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', DESCRIPTIONS.RS_SELECTOR, { priority: 1 }),
  ],
  cells(obj, now) {
    const rs = obj as ReplicaSet;
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata?.name ?? '',
      rs.spec?.replicas ?? 1,
      int(rs.status?.replicas),
      int(rs.status?.readyReplicas),
      translateTimestampSince(rs.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

/** Printer for `daemonsets.apps`. */
export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DESCRIPTIONS.DS_DESIRED),
    column('Current', 'integer', DESCRIPTIONS.DS_CURRENT),
    column('Ready', 'integer', DESCRIPTIONS.DS_READY),
    column('Up-to-date', 'integer', DESCRIPTIONS.DS_UPDATED),
    column('Available', 'integer', DESCRIPTIONS.DS_AVAILABLE),
    column('Node Selector', 'string', DESCRIPTIONS.POD_NODE_SELECTOR),
    AGE_COLUMN,
    containersColumn,
    imagesColumn,
    column('Selector', 'string', DESCRIPTIONS.DS_SELECTOR, { priority: 1 }),
  ],
  cells(obj, now) {
    const ds = obj as DaemonSet;
    const [names, images] = layoutContainerCells(ds.spec?.template?.spec?.containers);
    return [
      ds.metadata?.name ?? '',
      int(ds.status?.desiredNumberScheduled),
      int(ds.status?.currentNumberScheduled),
      int(ds.status?.numberReady),
      int(ds.status?.updatedNumberScheduled),
      int(ds.status?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      translateTimestampSince(ds.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

/** CONTROLLER of a ControllerRevision: lower-cased `Kind[.group]/name` of its controller, or `<none>`. */
export function controllerName(cr: ControllerRevision): string {
  const ref = cr.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  const gk = group ? `${ref.kind}.${group}` : ref.kind;
  return gk ? `${gk.toLowerCase()}/${ref.name}` : ref.name;
}

/** Printer for `controllerrevisions.apps`. */
export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', DESCRIPTIONS.CR_REVISION),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const cr = obj as ControllerRevision;
    return [cr.metadata?.name ?? '', controllerName(cr), cr.revision ?? 0, translateTimestampSince(cr.metadata?.creationTimestamp, now)];
  },
};
