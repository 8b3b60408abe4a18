/**
 * The services printer: TYPE, CLUSTER-IP (`None` for headless), EXTERNAL-IP
 * (`<none>`, `<pending>`, load-balancer ingress, externalName) and PORT(S)
 * (`80/TCP`, `8080:30887/TCP`).
 */
import type { LoadBalancerStatus, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, NAME_COLUMN, formatLabels, translateTimestampSince } from './format.js';
import { column, type Printer } from './printer.js';

/** `loadBalancerStatusStringer` in wide mode: sorted, de-duplicated ingress IPs or hostnames. */
function loadBalancerIngress(s: LoadBalancerStatus | undefined): string {
  const set = new Set<string>();
  for (const ing of s?.ingress ?? []) {
    if (ing.ip) set.add(ing.ip);
    else if (ing.hostname) set.add(ing.hostname);
  }
  return [...set].sort().join(',');
}

/** EXTERNAL-IP of a service, as upstream `getServiceExternalIP` (wide). */
export function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status?.loadBalancer);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** PORT(S) of a service, as upstream `makePortString`; `<none>` when there are none. */
export function servicePorts(ports: ServicePort[] | undefined): string {
  const pieces = (ports ?? []).map((p) =>
    p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port}/${p.protocol ?? ''}`,
  );
  return pieces.length === 0 ? '<none>' : pieces.join(',');
}

/** Printer for `services`. */
export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DESCRIPTIONS.SVC_TYPE),
    column('Cluster-IP', 'string', DESCRIPTIONS.SVC_CLUSTER_IP),
    column('External-IP', 'string', DESCRIPTIONS.SVC_EXTERNAL_IPS),
    column('Port(s)', 'string', DESCRIPTIONS.SVC_PORTS),
    AGE_COLUMN,
    column('Selector', 'string', DESCRIPTIONS.SVC_SELECTOR, { priority: 1 }),
  ],
  cells(obj, now) {
    const svc = obj as Service;
    const clusterIPs = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
    return [
      svc.metadata?.name ?? '',
      svc.spec?.type ?? '',
      clusterIPs[0] ?? '<none>',
      serviceExternalIP(svc),
      servicePorts(svc.spec?.ports),
      translateTimestampSince(svc.metadata?.creationTimestamp, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};
