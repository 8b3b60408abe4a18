/**
 * Service validation as kube-apiserver 1.32 (`ValidateService`,
 * `ValidateServiceUpdate`, `ValidateServiceClusterIPsRelatedFields`), with
 * the same error order and wording. One deliberate difference: addresses in
 * 127.0.0.0/8 are accepted as external IPs, because skiff lives on loopback.
 */

import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../errors.js';
import { goQuote, goSlice, goSyntax } from './go-syntax.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
  parseIP,
} from './names.js';

const SESSION_AFFINITIES = ['ClientIP', 'None'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
/** `core.MaxClientIPServiceAffinitySeconds` */
const MAX_AFFINITY_SECONDS = 86400;

/** Protocols accepted for service, container and endpoint ports, in upstream's sorted order. */
export const SUPPORTED_PROTOCOLS: readonly string[] = PROTOCOLS;

/** True for `clusterIP: None` services (as `isHeadlessService`: looks at clusterIPs[0]). */
export function isHeadless(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === 'None';
}

/** NodePort, LoadBalancer, or ClusterIP with external IPs (`apiservice.ExternallyAccessible`). */
export function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec?.externalIPs?.length ?? 0) > 0);
}

/** LoadBalancer with externalTrafficPolicy Local (`apiservice.NeedsHealthCheck`). */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

/** An int-or-string port (`ValidatePortNumOrName`). */
export function validatePortNumOrName(port: number | string | undefined, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => field.invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => field.invalid(path, port, m));
  return [];
}

/** Rejects unspecified, link-local and link-local multicast addresses (`ValidateNonSpecialIP`, minus the loopback rule). */
export function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  const p = parseIP(ip);
  if (!p) return [field.invalid(path, ip, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const b = p.bytes;
  if (b.every((x) => x === 0)) errs.push(field.invalid(path, ip, `may not be unspecified (${ip})`));
  if (p.family === 4 ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) {
    errs.push(field.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  }
  if (p.family === 4 ? b[0] === 224 && b[1] === 0 && b[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 2) {
    errs.push(field.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}

function portKeyGo(p: ServicePort): string {
  return `core.ServicePort{Name:"", Protocol:${goQuote(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(field.required(`${path}.name`));
  else if (sp.name) {
    errs.push(...isDNS1123Label(sp.name).map((m) => field.invalid(`${path}.name`, sp.name, m)));
    if (names.has(sp.name)) errs.push(field.duplicate(`${path}.name`, sp.name));
    else names.add(sp.name);
  }
  errs.push(...isValidPortNum(sp.port ?? 0).map((m) => field.invalid(`${path}.port`, sp.port ?? 0, m)));
  if (!sp.protocol) errs.push(field.required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(sp.protocol)) errs.push(field.notSupported(`${path}.protocol`, sp.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, `${path}.targetPort`));
  if (sp.appProtocol !== undefined) errs.push(...isQualifiedName(sp.appProtocol).map((m) => field.invalid(`${path}.appProtocol`, sp.appProtocol, m)));
  return errs;
}

/**
 * `ValidateServiceClusterIPsRelatedFields`: clusterIP/clusterIPs in sync, valid
 * families and policy, at most one IP per family. Used by validation and by
 * the allocator before it picks addresses.
 */
export function validateClusterIPsRelatedFields(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(field.required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) errs.push(field.invalid('spec.clusterIPs', goSlice(ips), 'first value must match `clusterIP`'));
  } else if (ips.length !== 0) {
    errs.push(field.invalid('spec.clusterIPs', goSlice(ips), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((fam, i) => {
    if (!IP_FAMILIES.includes(fam)) errs.push(field.notSupported(`spec.ipFamilies[${i}]`, fam, IP_FAMILIES));
    if (seen.has(fam)) errs.push(field.duplicate(`spec.ipFamilies[${i}]`, fam));
    seen.add(fam);
  });
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(field.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  let invalidIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        invalidIPs = true;
        errs.push(field.invalid('spec.clusterIPs', goSlice(ips), "'None' must be the first and only value"));
      }
      return;
    }
    const msgs = isValidIP(ip);
    if (msgs.length) invalidIPs = true;
    errs.push(...msgs.map((m) => field.invalid(`spec.clusterIPs[${i}]`, ip, m)));
  });
  if (ips.length > 2) errs.push(field.invalid('spec.clusterIPs', goSlice(ips), 'may only hold up to 2 values'));
  if (invalidIPs) return errs;
  if (ips.length > 1) {
    const fams = ips.map((ip) => parseIP(ip)?.family);
    if (new Set(fams).size !== fams.length || ips.length !== 2) {
      errs.push(field.invalid('spec.clusterIPs', goSlice(ips), 'may specify no more than one IP for each IP family'));
    }
  }
  const fams = spec.ipFamilies ?? [];
  if (!isHeadless(svc) && ips.length > 0 && fams.length > 0) {
    ips.forEach((ip, i) => {
      if (i >= fams.length) return;
      const v6 = parseIP(ip)?.family === 6;
      if (fams[i] === 'IPv4' && v6) errs.push(field.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === 'IPv6' && !v6) errs.push(field.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateLoadBalancerClass(old: Service | undefined, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const cls = svc.spec?.loadBalancerClass;
  const isLB = (s: Service): boolean => s.spec?.type === 'LoadBalancer';
  if (old && isLB(old) && isLB(svc) && (old.spec?.loadBalancerClass ?? null) !== (cls ?? null)) {
    errs.push(field.invalid('spec.loadBalancerClass', cls ?? null, 'may not change once set'));
  }
  if (isLB(svc)) {
    if (cls !== undefined) errs.push(...isQualifiedName(cls).map((m) => field.invalid('spec.loadBalancerClass', cls, m)));
  } else if (cls !== undefined) {
    errs.push(field.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

/** `ValidateService` (create). */
export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const spec = svc.spec ?? {};
  const ann = svc.metadata?.annotations ?? {};
  const hints = ann['service.kubernetes.io/topology-aware-hints'];
  const mode = ann['service.kubernetes.io/topology-mode'];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(
      field.invalid(
        'metadata.annotations[service.kubernetes.io/topology-mode]',
        mode,
        'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified',
      ),
    );
  }
  const ports = spec.ports ?? [];
  const headless = isHeadless(svc);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(field.required('spec.ports'));
  switch (spec.type) {
    case 'LoadBalancer':
      if (headless) errs.push(field.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(field.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs?.length ?? 0) > 0) errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if ((spec.ipFamilies?.length ?? 0) > 0) errs.push(field.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined) errs.push(field.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => field.invalid('spec.externalName', cname, m)));
      else errs.push(field.required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));

  if (!spec.sessionAffinity) errs.push(field.required('spec.sessionAffinity'));
  else if (!SESSION_AFFINITIES.includes(spec.sessionAffinity)) errs.push(field.notSupported('spec.sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES));
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const when = 'when session affinity type is ClientIP';
    if (!cfg) errs.push(field.required('spec.sessionAffinityConfig', when));
    else if (!cfg.clientIP) errs.push(field.required('spec.sessionAffinityConfig.clientIP', when));
    else if (cfg.clientIP.timeoutSeconds === undefined) errs.push(field.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', when));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (t <= 0 || t > MAX_AFFINITY_SECONDS) {
        errs.push(field.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
      }
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(field.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  errs.push(...validateClusterIPsRelatedFields(svc));

  (spec.externalIPs ?? []).forEach((ip, i) => {
    const path = `spec.externalIPs[${i}]`;
    const bad = isValidIP(ip);
    if (bad.length) errs.push(...bad.map((m) => field.invalid(path, ip, m)));
    else errs.push(...validateNonSpecialIP(ip, path));
  });

  if (!spec.type) errs.push(field.required('spec.type'));
  else if (!SERVICE_TYPES.includes(spec.type)) errs.push(field.notSupported('spec.type', spec.type, SERVICE_TYPES));

  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(field.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(field.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (portKeys.has(key)) errs.push(field.duplicate(`spec.ports[${i}]`, goSyntax({ protocol: p.protocol, port: p.port }, portKeyGo(p))));
    portKeys.add(key);
  });

  const ranges = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    // Upstream spells this path with a capital L.
    const path = 'spec.LoadBalancerSourceRanges';
    if (spec.type !== 'LoadBalancer') errs.push(field.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      const v = r.trim();
      errs.push(...isValidCIDR(v).map((m) => field.invalid(`${path}[${i}]`, v, m)));
    });
  } else if (ann['service.beta.kubernetes.io/load-balancer-source-ranges'] !== undefined) {
    const path = 'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]';
    if (spec.type !== 'LoadBalancer') errs.push(field.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    const val = ann['service.beta.kubernetes.io/load-balancer-source-ranges']!.trim();
    if (val) for (const c of val.split(',')) errs.push(...isValidCIDR(c.trim()).map((m) => field.invalid(path, c.trim(), m)));
  }

  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(field.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  // Upstream reports this one without the `spec.` prefix.
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) errs.push(field.required('allocateLoadBalancerNodePorts'));

  errs.push(...validateLoadBalancerClass(undefined, svc));

  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) {
      errs.push(field.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    }
  } else if (!spec.externalTrafficPolicy) errs.push(field.required('spec.externalTrafficPolicy'));
  else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
    errs.push(field.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (!needsHealthCheck(svc)) {
    if (spec.healthCheckNodePort) {
      errs.push(field.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (!spec.healthCheckNodePort) errs.push(field.required('spec.healthCheckNodePort'));
  else errs.push(...isValidPortNum(spec.healthCheckNodePort).map((m) => field.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, m)));

  if (spec.internalTrafficPolicy === undefined) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') errs.push(field.required('spec.internalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errs.push(field.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  const td = (spec as { trafficDistribution?: string }).trafficDistribution;
  if (td !== undefined && td !== 'PreferClose') errs.push(field.notSupported('spec.trafficDistribution', td, ['PreferClose']));
  return errs;
}

function validateUpgradeDowngradeClusterIPs(old: Service, svc: Service): FieldError[] {
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return [];
  if (isHeadless(old) && isHeadless(svc)) return [];
  const errs: FieldError[] = [];
  const o = old.spec?.clusterIPs ?? [];
  const n = svc.spec?.clusterIPs ?? [];
  const msg = 'may not change once set';
  if (o.length === n.length) {
    o.forEach((ip, i) => {
      if (ip !== n[i]) errs.push(field.invalid(`spec.clusterIPs[${i}]`, goSlice(n), msg));
    });
  } else if (o.length > n.length) {
    if (n.length === 0) errs.push(field.invalid('spec.clusterIPs[0]', goSlice(n), 'primary clusterIP can not be unset'));
    if (o.length > 0 && n.length > 0 && n[0] !== o[0]) errs.push(field.invalid('spec.clusterIPs[0]', goSlice(n), msg));
    if (n.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(field.invalid('spec.ipFamilyPolicy', svc.spec?.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (o.length > 0 && n[0] !== o[0]) {
    errs.push(field.invalid('spec.clusterIPs[0]', goSlice(n), msg));
  }
  return errs;
}

function validateUpgradeDowngradeIPFamilies(old: Service, svc: Service): FieldError[] {
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return [];
  if (isHeadless(old) !== isHeadless(svc) || isHeadless(svc)) return [];
  const o = old.spec?.ipFamilies ?? [];
  const n = svc.spec?.ipFamilies ?? [];
  const errs: FieldError[] = [];
  const msg = 'may not change once set';
  if (o.length === n.length) {
    o.forEach((f, i) => {
      if (f !== n[i]) errs.push(field.invalid('spec.ipFamilies[0]', goSyntax(n, `[]core.IPFamily{${n.map(goQuote).join(', ')}}`), msg));
    });
  } else if (o.length > n.length) {
    if ((svc.spec?.clusterIPs?.length ?? 0) === 0) errs.push(field.invalid('spec.ipFamilies[0]', goSyntax(n, `[]core.IPFamily{${n.map(goQuote).join(', ')}}`), 'primary ipFamily can not be unset'));
    if (n.length > 0 && n[0] !== o[0]) errs.push(field.invalid('spec.ipFamilies[0]', goSyntax(n, `[]core.IPFamily{${n.map(goQuote).join(', ')}}`), msg));
  } else if (o.length > 0 && n[0] !== o[0]) {
    errs.push(field.invalid('spec.ipFamilies[0]', goSyntax(n, `[]core.IPFamily{${n.map(goQuote).join(', ')}}`), msg));
  }
  return errs;
}

/** `ValidateServiceUpdate`: metadata, clusterIP/family immutability, LB class, health-check port, then the create rules. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateUpgradeDowngradeClusterIPs(old, svc));
  errs.push(...validateUpgradeDowngradeIPFamilies(old, svc));
  errs.push(...validateLoadBalancerClass(old, svc).filter((e) => e.detail === 'may not change once set'));
  if (needsHealthCheck(old) && needsHealthCheck(svc) && svc.spec?.healthCheckNodePort !== old.spec?.healthCheckNodePort) {
    errs.push(field.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  errs.push(...validateService(svc));
  return errs;
}
