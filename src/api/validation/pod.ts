/**
 * Pod and PodTemplateSpec validation: the everyday subset of upstream
 * `ValidatePodSpec` (containers, names, images, ports, env names, probes,
 * volumes by name, restart and DNS policy, tolerations, node selector).
 * Security contexts, resources and volume sources beyond their names are
 * not checked.
 */

import type { Container, ContainerPort, Pod, PodSpec, PodTemplateSpec, Probe, Toleration } from 'kubernetes-types/core/v1.js';
import { field, type FieldError } from '../errors.js';
import { goQuote, goSyntax } from './go-syntax.js';
import { jsonEqual } from '../patch/json.js';
import { validateAnnotations, validateLabelName, validateLabels, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { inclusiveRangeError, isDNS1123Label, isRelaxedEnvVarName, isValidLabelValue, isValidPortName, isValidPortNum, nameIsDNSSubdomain } from './names.js';
import { SUPPORTED_PROTOCOLS, validatePortNumOrName } from './service.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

function validateContainerPorts(ports: ContainerPort[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((p, i) => {
    const ip = `${path}[${i}]`;
    if (p.name) {
      const msgs = isValidPortName(p.name);
      if (msgs.length) errs.push(...msgs.map((m) => field.invalid(`${ip}.name`, p.name, m)));
      else if (names.has(p.name)) errs.push(field.duplicate(`${ip}.name`, p.name));
      else names.add(p.name);
    }
    if (!p.containerPort) errs.push(field.required(`${ip}.containerPort`));
    else errs.push(...isValidPortNum(p.containerPort).map((m) => field.invalid(`${ip}.containerPort`, p.containerPort, m)));
    if (p.hostPort) errs.push(...isValidPortNum(p.hostPort).map((m) => field.invalid(`${ip}.hostPort`, p.hostPort, m)));
    if (!p.protocol) errs.push(field.required(`${ip}.protocol`));
    else if (!SUPPORTED_PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${ip}.protocol`, p.protocol, SUPPORTED_PROTOCOLS));
  });
  return errs;
}

function validateProbe(probe: Probe | undefined, path: string, mustSucceedOnce: boolean): FieldError[] {
  if (!probe) return [];
  const errs: FieldError[] = [];
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) errs.push(field.required(path, 'must specify a handler type'));
  handlers.slice(1).forEach((h) => errs.push(field.forbidden(`${path}.${h}`, 'may not specify more than 1 handler type')));
  if (probe.exec && !(probe.exec.command?.length)) errs.push(field.required(`${path}.exec.command`));
  if (probe.httpGet) {
    if (!probe.httpGet.path) errs.push(field.required(`${path}.httpGet.path`));
    errs.push(...validatePortNumOrName(probe.httpGet.port, `${path}.httpGet.port`));
    const scheme = probe.httpGet.scheme;
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(field.notSupported(`${path}.httpGet.scheme`, scheme ?? '', ['HTTP', 'HTTPS']));
  }
  if (probe.tcpSocket) errs.push(...validatePortNumOrName(probe.tcpSocket.port, `${path}.tcpSocket.port`));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    errs.push(...validateNonnegative(probe[k], `${path}.${k}`));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(field.invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (mustSucceedOnce && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(field.invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateContainer(c: Container, path: string, names: Set<string>, volumes: Set<string>, init: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(field.required(`${path}.name`));
  else {
    errs.push(...isDNS1123Label(c.name).map((m) => field.invalid(`${path}.name`, c.name, m)));
    if (names.has(c.name)) errs.push(field.duplicate(`${path}.name`, c.name));
    else names.add(c.name);
  }
  if (!c.image) errs.push(field.required(`${path}.image`));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(field.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  }
  if (c.terminationMessagePolicy !== undefined && !TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push(field.notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
  (c.env ?? []).forEach((e, i) => {
    const ep = `${path}.env[${i}]`;
    if (!e.name) errs.push(field.required(`${ep}.name`));
    else errs.push(...isRelaxedEnvVarName(e.name).map((m) => field.invalid(`${ep}.name`, e.name, m)));
    if (e.valueFrom) {
      const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((k) => e.valueFrom![k] !== undefined);
      if (sources.length === 0) errs.push(field.invalid(`${ep}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(field.invalid(`${ep}.valueFrom`, '', 'may not have more than one field specified at a time'));
      if (e.value) errs.push(field.invalid(`${ep}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    }
  });
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = `${path}.volumeMounts[${i}]`;
    if (!m.name) errs.push(field.required(`${mp}.name`));
    else if (!volumes.has(m.name)) errs.push(field.notFound(`${mp}.name`, m.name));
    if (!m.mountPath) errs.push(field.required(`${mp}.mountPath`));
  });
  if (!init) {
    errs.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`, true));
    errs.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`, false));
    errs.push(...validateProbe(c.startupProbe, `${path}.startupProbe`, true));
  }
  return errs;
}

/** Toleration rules (`ValidateTolerations`). */
export function validateTolerations(tolerations: Toleration[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const ip = `${path}[${i}]`;
    if (t.key) errs.push(...validateLabelName(t.key, `${ip}.key`));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(field.invalid(`${ip}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(field.invalid(`${ip}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (!t.operator || t.operator === 'Equal') {
      const msgs = isValidLabelValue(t.value ?? '');
      if (msgs.length) errs.push(field.invalid(`${ip}.operator`, t.value ?? '', msgs.join(';')));
    } else if (t.operator === 'Exists') {
      if (t.value) {
        const go = `core.Toleration{Key:${goQuote(t.key ?? '')}, Operator:"Exists", Value:${goQuote(t.value)}, Effect:${goQuote(t.effect ?? '')}, TolerationSeconds:${t.tolerationSeconds === undefined ? '(*int64)(nil)' : `(*int64)(${t.tolerationSeconds})`}}`;
        errs.push(field.invalid(`${ip}.operator`, goSyntax(t, go), "value must be empty when `operator` is 'Exists'"));
      }
    } else {
      errs.push(field.notSupported(`${ip}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(field.notSupported(`${ip}.effect`, t.effect, TAINT_EFFECTS));
  });
  return errs;
}

/** The PodSpec rules skiff enforces (see module comment). */
export function validatePodSpec(spec: PodSpec | undefined, path = 'spec'): FieldError[] {
  const s = spec ?? ({ containers: [] } as PodSpec);
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  (s.volumes ?? []).forEach((v, i) => {
    const vp = `${path}.volumes[${i}]`;
    if (!v.name) errs.push(field.required(`${vp}.name`));
    else {
      errs.push(...isDNS1123Label(v.name).map((m) => field.invalid(`${vp}.name`, v.name, m)));
      if (volumes.has(v.name)) errs.push(field.duplicate(`${vp}.name`, v.name));
      volumes.add(v.name);
    }
  });
  const names = new Set<string>();
  (s.initContainers ?? []).forEach((c, i) => errs.push(...validateContainer(c, `${path}.initContainers[${i}]`, names, volumes, true)));
  if (!s.containers?.length) errs.push(field.required(`${path}.containers`));
  (s.containers ?? []).forEach((c, i) => errs.push(...validateContainer(c, `${path}.containers[${i}]`, names, volumes, false)));

  if (!s.restartPolicy) errs.push(field.required(`${path}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(s.restartPolicy)) errs.push(field.notSupported(`${path}.restartPolicy`, s.restartPolicy, RESTART_POLICIES));
  if (!s.dnsPolicy) errs.push(field.required(`${path}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(s.dnsPolicy)) errs.push(field.notSupported(`${path}.dnsPolicy`, s.dnsPolicy, DNS_POLICIES));
  if (s.nodeSelector) errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  if (s.serviceAccountName) {
    errs.push(...nameIsDNSSubdomain(s.serviceAccountName, false).map((m) => field.invalid(`${path}.serviceAccountName`, s.serviceAccountName, m)));
  }
  if (s.nodeName) errs.push(...nameIsDNSSubdomain(s.nodeName, false).map((m) => field.invalid(`${path}.nodeName`, s.nodeName, m)));
  if (s.activeDeadlineSeconds !== undefined && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > 2147483647)) {
    errs.push(field.invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, inclusiveRangeError(1, 2147483647)));
  }
  if (s.hostname) errs.push(...isDNS1123Label(s.hostname).map((m) => field.invalid(`${path}.hostname`, s.hostname, m)));
  if (s.subdomain) errs.push(...isDNS1123Label(s.subdomain).map((m) => field.invalid(`${path}.subdomain`, s.subdomain, m)));
  errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  errs.push(...validateNonnegative(s.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  return errs;
}

/** `ValidatePodTemplateSpec`: template labels and annotations, then the spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabels(t?.metadata?.labels, `${path}.labels`));
  errs.push(...validateAnnotations(t?.metadata?.annotations, `${path}.annotations`));
  errs.push(...validatePodSpec(t?.spec, `${path}.spec`));
  return errs;
}

/** `ValidatePodCreate` (the subset above). */
export function validatePod(pod: Pod): FieldError[] {
  return [...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain), ...validatePodSpec(pod.spec)];
}

/**
 * Pod updates: metadata rules, and the spec is immutable except container
 * images, activeDeadlineSeconds, tolerations (additions) and terminationGracePeriodSeconds;
 * `nodeName` may be set once (skiff binds through updates).
 */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  // Status writes and label or annotation changes keep the spec: it was valid when stored.
  if (jsonEqual(pod.spec, old.spec)) return errs;
  errs.push(...validatePodSpec(pod.spec));
  const strip = (s: PodSpec | undefined): unknown => ({
    ...s,
    containers: (s?.containers ?? []).map((c) => ({ ...c, image: undefined })),
    initContainers: (s?.initContainers ?? []).map((c) => ({ ...c, image: undefined })),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
    terminationGracePeriodSeconds: undefined,
    // Binding is a separate upstream path; skiff may bind through an update, so nodeName may go from unset to set.
    nodeName: old.spec?.nodeName ? s?.nodeName : undefined,
  });
  if (!jsonEqual(strip(pod.spec), strip(old.spec))) {
    errs.push(
      field.forbidden(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      ),
    );
  }
  return errs;
}
