/**
 * Validation of the smaller kinds: Namespace, Node, ConfigMap, Secret,
 * ServiceAccount, Endpoints, EndpointSlice, Lease and Event, following the
 * upstream rules that clients meet in practice. Endpoint addresses in
 * 127.0.0.0/8 are accepted (skiff's pods live on loopback).
 */

import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, EndpointPort, Endpoints, Namespace, Node, Secret, ServiceAccount, Taint } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { field, type FieldError } from '../errors.js';
import { goQuote, goSyntax } from './go-syntax.js';
import { validateImmutable, validateLabelName, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidIPv4Address,
  isValidIPv6Address,
  isValidLabelValue,
  isValidPortNum,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.js';
import { SUPPORTED_PROTOCOLS, validateNonSpecialIP } from './service.js';

const MAX_DATA_SIZE = 1024 * 1024;

/** `field.TooMany` (errors.ts has no constructor for it). */
function tooMany(path: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field: path, badValue: actual, detail: `must have at most ${max} items` };
}
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Namespace create: DNS-1123 label name, finalizers qualified or standard. */
export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of ns.spec?.finalizers ?? []) {
    const msgs = isQualifiedName(f);
    if (msgs.length) errs.push(...msgs.map((m) => field.invalid('spec.finalizers', f, m)));
    else if (!f.includes('/') && f !== 'kubernetes') {
      errs.push(field.invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}

/** Namespace update: metadata rules. */
export function validateNamespaceUpdate(ns: Namespace, old: Namespace): FieldError[] {
  return [...validateObjectMetaUpdate(ns.metadata, old.metadata), ...validateNamespace(ns).filter((e) => !e.field.startsWith('metadata.'))];
}

function taintGo(t: Taint): string {
  return `core.Taint{Key:${goQuote(t.key)}, Value:${goQuote(t.value ?? '')}, Effect:${goQuote(t.effect)}, TimeAdded:<nil>}`;
}

/** Node taints: key, value, effect, unique by key and effect. */
export function validateNodeTaints(taints: Taint[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const ip = `${path}[${i}]`;
    errs.push(...validateLabelName(t.key ?? '', `${ip}.key`));
    if (t.value) errs.push(...isValidLabelValue(t.value).map((m) => field.invalid(`${ip}.value`, t.value, m)));
    if (!t.effect) errs.push(field.required(`${ip}.effect`));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(field.notSupported(`${ip}.effect`, t.effect, TAINT_EFFECTS));
    const key = `${t.effect}\u0000${t.key}`;
    if (seen.has(key)) {
      errs.push({ ...field.duplicate(ip, goSyntax(t, taintGo(t))), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    seen.add(key);
  });
  return errs;
}

/** Node create. */
export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  errs.push(...validateNodeTaints(node.spec?.taints, 'spec.taints'));
  const cidrs = node.spec?.podCIDRs ?? [];
  cidrs.forEach((c, i) => errs.push(...isValidCIDR(c).map((m) => field.invalid(`spec.podCIDRs[${i}]`, c, m))));
  if (cidrs.length > 2) errs.push(field.invalid('spec.podCIDRs', goSyntax(cidrs, `[]string{${cidrs.map(goQuote).join(', ')}}`), 'may specify no more than one CIDR for each IP family'));
  (node.status?.addresses ?? []).forEach((a, i) => {
    if (!a.address) errs.push(field.required(`status.addresses[${i}].address`));
  });
  return errs;
}

/** Node update: podCIDR and providerID may only go from unset to set. */
export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = [...validateObjectMetaUpdate(node.metadata, old.metadata), ...validateNode(node).filter((e) => !e.field.startsWith('metadata.'))];
  const oc = old.spec?.podCIDRs ?? [];
  if (oc.length > 0 && JSON.stringify(oc) !== JSON.stringify(node.spec?.podCIDRs ?? [])) {
    errs.push(field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) {
    errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

function validateDataKeys(keys: string[], path: string): FieldError[] {
  return keys.flatMap((k) => isConfigMapKey(k).map((m) => field.invalid(`${path}[${k}]`, k, m)));
}

/** ConfigMap create: key names, no key in both data and binaryData, 1 MiB total. */
export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const data = cm.data ?? {};
  const bin = cm.binaryData ?? {};
  errs.push(...validateDataKeys(Object.keys(data), 'data'));
  errs.push(...validateDataKeys(Object.keys(bin), 'binaryData'));
  for (const k of Object.keys(bin)) if (k in data) errs.push(field.invalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
  let size = 0;
  for (const v of Object.values(data)) size += Buffer.byteLength(v);
  for (const v of Object.values(bin)) size += Buffer.from(v, 'base64').length;
  if (size > MAX_DATA_SIZE) errs.push(field.tooLong('', '', MAX_DATA_SIZE));
  return errs;
}

function immutableDataUpdate(obj: { immutable?: boolean; data?: unknown; binaryData?: unknown }, old: { immutable?: boolean; data?: unknown; binaryData?: unknown }, binary: boolean): FieldError[] {
  if (!old.immutable) return [];
  const errs: FieldError[] = [];
  const msg = 'field is immutable when `immutable` is set';
  if (!obj.immutable) errs.push(field.forbidden('immutable', msg));
  if (JSON.stringify(obj.data ?? {}) !== JSON.stringify(old.data ?? {})) errs.push(field.forbidden('data', msg));
  if (binary && JSON.stringify(obj.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})) errs.push(field.forbidden('binaryData', msg));
  return errs;
}

/** ConfigMap update. */
export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  return [
    ...validateObjectMetaUpdate(cm.metadata, old.metadata),
    ...immutableDataUpdate(cm, old, true),
    ...validateConfigMap(cm).filter((e) => !e.field.startsWith('metadata.')),
  ];
}

/** Secret create: key names, size, and the required keys of the typed secrets. */
export function validateSecret(s: Secret): FieldError[] {
  const errs = validateObjectMeta(s.metadata, true, nameIsDNSSubdomain);
  const data = { ...(s.data ?? {}) };
  for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = Buffer.from(v).toString('base64');
  errs.push(...validateDataKeys(Object.keys(data), 'data'));
  let size = 0;
  for (const v of Object.values(data)) size += Buffer.from(v, 'base64').length;
  if (size > MAX_DATA_SIZE) errs.push(field.tooLong('data', '', MAX_DATA_SIZE));
  const has = (k: string): boolean => k in data;
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(field.required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(field.required('data[.dockercfg]'));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(field.required('data[.dockerconfigjson]'));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(field.required('data[username]'), field.required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(field.required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(field.required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(field.required('data[tls.key]'));
      break;
    default:
  }
  return errs;
}

/** Secret update: type immutable; data immutable once `immutable` is set. */
export function validateSecretUpdate(s: Secret, old: Secret): FieldError[] {
  return [
    ...validateObjectMetaUpdate(s.metadata, old.metadata),
    ...validateImmutable(s.type ?? '', old.type ?? '', 'type'),
    ...immutableDataUpdate(s, old, false),
    ...validateSecret(s).filter((e) => !e.field.startsWith('metadata.')),
  ];
}

/** ServiceAccount create. */
export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}

function validateEndpointPort(p: EndpointPort, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(field.required(`${path}.name`));
  else if (p.name) errs.push(...isDNS1123Label(p.name).map((m) => field.invalid(`${path}.name`, p.name, m)));
  errs.push(...isValidPortNum(p.port ?? 0).map((m) => field.invalid(`${path}.port`, p.port ?? 0, m)));
  if (!p.protocol) errs.push(field.required(`${path}.protocol`));
  else if (!SUPPORTED_PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${path}.protocol`, p.protocol, SUPPORTED_PROTOCOLS));
  if (p.appProtocol !== undefined) errs.push(...isQualifiedName(p.appProtocol).map((m) => field.invalid(`${path}.appProtocol`, p.appProtocol, m)));
  return errs;
}

/** Endpoints create. */
export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  (ep.subsets ?? []).forEach((ss, i) => {
    const sp = `subsets[${i}]`;
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) errs.push(field.required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    for (const [list, name] of [
      [ss.addresses, 'addresses'],
      [ss.notReadyAddresses, 'notReadyAddresses'],
    ] as const) {
      (list ?? []).forEach((a, j) => {
        const ap = `${sp}.${name}[${j}]`;
        const bad = isValidIP(a.ip);
        errs.push(...bad.map((m) => field.invalid(`${ap}.ip`, a.ip, m)));
        if (a.hostname) errs.push(...isDNS1123Label(a.hostname).map((m) => field.invalid(`${ap}.hostname`, a.hostname, m)));
        if (a.nodeName) errs.push(...nameIsDNSSubdomain(a.nodeName, false).map((m) => field.invalid(`${ap}.nodeName`, a.nodeName, m)));
        if (!bad.length) errs.push(...validateNonSpecialIP(a.ip, `${ap}.ip`));
      });
    }
    (ss.ports ?? []).forEach((p, j) => errs.push(...validateEndpointPort(p, (ss.ports?.length ?? 0) > 1, `${sp}.ports[${j}]`)));
  });
  return errs;
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

/** EndpointSlice create. */
export function validateEndpointSlice(es: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(es.metadata, true, nameIsDNSSubdomain);
  const at = es.addressType;
  if (!at) errs.push(field.required('addressType'));
  else if (!ADDRESS_TYPES.includes(at)) errs.push(field.notSupported('addressType', at, ADDRESS_TYPES));
  const endpoints = es.endpoints ?? [];
  if (endpoints.length > 1000) errs.push(tooMany('endpoints', endpoints.length, 1000));
  endpoints.forEach((e, i) => {
    const ep = `endpoints[${i}]`;
    const addrs = e.addresses ?? [];
    if (addrs.length === 0) errs.push(field.required(`${ep}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(`${ep}.addresses`, addrs.length, 100));
    addrs.forEach((a, j) => {
      const ap = `${ep}.addresses[${j}]`;
      const msgs = at === 'IPv4' ? isValidIPv4Address(a) : at === 'IPv6' ? isValidIPv6Address(a) : at === 'FQDN' ? isDNS1123Subdomain(a.replace(/\.$/, '')) : [];
      errs.push(...msgs.map((m) => field.invalid(ap, a, m)));
    });
    if (e.hostname) errs.push(...isDNS1123Label(e.hostname).map((m) => field.invalid(`${ep}.hostname`, e.hostname, m)));
    if (e.nodeName) errs.push(...nameIsDNSSubdomain(e.nodeName, false).map((m) => field.invalid(`${ep}.nodeName`, e.nodeName, m)));
  });
  const ports = es.ports ?? [];
  if (ports.length > 20000) errs.push(tooMany('ports', ports.length, 20000));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `ports[${i}]`;
    const name = p.name ?? '';
    if (name) errs.push(...isDNS1123Label(name).map((m) => field.invalid(`${pp}.name`, name, m)));
    if (names.has(name)) errs.push(field.duplicate(`${pp}.name`, name));
    names.add(name);
    if (!p.protocol) errs.push(field.required(`${pp}.protocol`));
    else if (!SUPPORTED_PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${pp}.protocol`, p.protocol, SUPPORTED_PROTOCOLS));
    if (p.port !== undefined) errs.push(...isValidPortNum(p.port).map((m) => field.invalid(`${pp}.port`, p.port, m)));
    if (p.appProtocol !== undefined) errs.push(...isQualifiedName(p.appProtocol).map((m) => field.invalid(`${pp}.appProtocol`, p.appProtocol, m)));
  });
  return errs;
}

/** EndpointSlice update: addressType is immutable. */
export function validateEndpointSliceUpdate(es: EndpointSlice, old: EndpointSlice): FieldError[] {
  return [
    ...validateObjectMetaUpdate(es.metadata, old.metadata),
    ...validateEndpointSlice(es).filter((e) => !e.field.startsWith('metadata.')),
    ...validateImmutable(es.addressType, old.addressType, 'addressType'),
  ];
}

/** Lease create: positive duration, non-negative transitions. */
export function validateLease(l: Lease): FieldError[] {
  const errs = validateObjectMeta(l.metadata, true, nameIsDNSSubdomain);
  const d = l.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.push(field.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  errs.push(...validateNonnegative(l.spec?.leaseTransitions, 'spec.leaseTransitions'));
  return errs;
}

/** Events (core/v1 and events.k8s.io/v1): name rules only, plus an involved object for core events. */
export function validateEvent(ev: { metadata?: Namespace['metadata'] }): FieldError[] {
  return validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain);
}
