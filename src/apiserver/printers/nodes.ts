/**
 * The nodes printer: STATUS from the Ready condition (`,SchedulingDisabled`
 * when cordoned), ROLES from `node-role.kubernetes.io/<role>` and
 * `kubernetes.io/role` labels, and the wide address and system-info columns.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, NAME_COLUMN, translateTimestampSince } from './format.js';
import { column, type Printer } from './printer.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** Sorted, de-duplicated roles of a node, as upstream `findNodeRoles`. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

/** STATUS of a node: `Ready`, `NotReady` or `Unknown`, plus `SchedulingDisabled`. */
export function nodeStatus(node: Node): string {
  const status: string[] = [];
  // Upstream keeps the last condition of each type.
  const ready = [...(node.status?.conditions ?? [])].reverse().find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

/** Printer for `nodes`. */
export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', DESCRIPTIONS.NODE_KUBELET_VERSION),
    column('Internal-IP', 'string', DESCRIPTIONS.NODE_ADDRESSES, { priority: 1 }),
    column('External-IP', 'string', DESCRIPTIONS.NODE_ADDRESSES, { priority: 1 }),
    column('OS-Image', 'string', DESCRIPTIONS.NODE_OS_IMAGE, { priority: 1 }),
    column('Kernel-Version', 'string', DESCRIPTIONS.NODE_KERNEL_VERSION, { priority: 1 }),
    column('Container-Runtime', 'string', DESCRIPTIONS.NODE_CONTAINER_RUNTIME, { priority: 1 }),
  ],
  cells(obj, now) {
    const node = obj as Node;
    const info = node.status?.nodeInfo;
    const roles = nodeRoles(node).join(',');
    return [
      node.metadata?.name ?? '',
      nodeStatus(node),
      roles || '<none>',
      translateTimestampSince(node.metadata?.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};
