/**
 * apps/v1 workload validation (DaemonSet, Deployment, ReplicaSet,
 * ControllerRevision) as upstream `pkg/apis/apps/validation` plus the apps/v1
 * registry rule that `spec.selector` is immutable.
 */

import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { field, type FieldError } from '../errors.js';
import { labelSelectorFromObject, matchesSelector, type Selector } from '../labels.js';
import { goIntStr, goLabelSelector, goMap, goSyntax } from './go-syntax.js';
import { FIELD_IMMUTABLE_ERROR_MSG, validateImmutable, validateLabelName, validateLabels, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isValidLabelValue, isValidPercent, nameIsDNSSubdomain } from './names.js';
import { validatePodTemplateSpec } from './pod.js';

type IntOrString = number | string;

/** `ValidateLabelSelector` (strict: values must be label values). */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const ep = `${path}.matchExpressions[${i}]`;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!e.values?.length) errs.push(field.required(`${ep}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (e.values?.length) errs.push(field.forbidden(`${ep}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(field.invalid(`${ep}.operator`, e.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(e.key, `${ep}.key`));
    (e.values ?? []).forEach((v, j) => errs.push(...isValidLabelValue(v).map((m) => field.invalid(`${ep}.values[${j}]`, v, m))));
  });
  return errs;
}

const selectorBox = (sel: LabelSelector | undefined): unknown => goSyntax(sel ?? null, goLabelSelector(sel));

function parseOrUndefined(sel: LabelSelector | undefined): Selector | null | undefined {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return undefined;
  }
}

function percentValue(v: IntOrString | undefined): number | undefined {
  if (typeof v !== 'string' || isValidPercent(v).length) return undefined;
  return Number(v.slice(0, -1));
}

function intOrPercentValue(v: IntOrString | undefined): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  // Go's IntValue() of a non-numeric string is 0.
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? Number(v) : 0;
  return v ?? 0;
}

/** `ValidatePositiveIntOrPercent` */
export function validatePositiveIntOrPercent(v: IntOrString | undefined, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => field.invalid(path, goIntStr(v), m));
  return validateNonnegative(v ?? 0, path);
}

/** `IsNotMoreThan100Percent` */
export function isNotMoreThan100Percent(v: IntOrString | undefined, path: string): FieldError[] {
  const p = percentValue(v);
  return p === undefined || p <= 100 ? [] : [field.invalid(path, goIntStr(v), 'must not be greater than 100%')];
}

/** Selector must match the template labels; template must be valid with restartPolicy Always. */
function validateTemplateForSelector(
  template: PodTemplateSpec | undefined,
  selector: Selector | null | undefined,
  path: string,
  kindWord: 'ReplicaSet' | 'DaemonSet',
): FieldError[] {
  const errs: FieldError[] = [];
  const labels = template?.metadata?.labels;
  if (selector !== undefined && (selector === null || selector.length > 0) && !matchesSelector(selector, labels ?? {})) {
    errs.push(field.invalid(`${path}.metadata.labels`, goMap(labels), '`selector` does not match template `labels`'));
  }
  if (kindWord === 'DaemonSet') return errs;
  errs.push(...validatePodTemplateSpec(template, path));
  const rp = template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(field.notSupported(`${path}.spec.restartPolicy`, rp ?? '', ['Always']));
  if (template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(field.forbidden(`${path}.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

function validateReplicaSetLikeSelector(sel: LabelSelector | undefined, path: string, word: 'deployment'): FieldError[] {
  if (!sel) return [field.required(`${path}.selector`)];
  const errs = validateLabelSelector(sel, `${path}.selector`);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0) {
    errs.push(field.invalid(`${path}.selector`, selectorBox(sel), `empty selector is invalid for ${word}`));
  }
  return errs;
}

function selectorConversion(sel: LabelSelector | undefined, path: string): { errs: FieldError[]; selector: Selector | null | undefined } {
  const selector = parseOrUndefined(sel);
  if (selector === undefined) return { errs: [field.invalid(`${path}.selector`, selectorBox(sel), 'invalid label selector')], selector };
  return { errs: [], selector };
}

/** `ValidateDaemonSetSpec` */
export function validateDaemonSetSpec(ds: DaemonSet, path = 'spec'): FieldError[] {
  const spec = ds.spec;
  const errs = validateLabelSelector(spec?.selector, `${path}.selector`);
  const selector = parseOrUndefined(spec?.selector);
  if (selector !== undefined && !matchesSelector(selector, spec?.template?.metadata?.labels ?? {})) {
    errs.push(field.invalid(`${path}.template.metadata.labels`, goMap(spec?.template?.metadata?.labels), '`selector` does not match template `labels`'));
  }
  if (spec?.selector && Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions?.length ?? 0) === 0) {
    errs.push(field.invalid(`${path}.selector`, selectorBox(spec.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec?.template, `${path}.template`));
  const rp = spec?.template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(field.notSupported(`${path}.template.spec.restartPolicy`, rp ?? '', ['Always']));
  if (spec?.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(field.forbidden(`${path}.template.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegative(spec?.minReadySeconds, `${path}.minReadySeconds`));
  const strategy = spec?.updateStrategy;
  const sp = `${path}.updateStrategy`;
  switch (strategy?.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (!ru) {
        errs.push(field.required(`${sp}.rollingUpdate`));
        break;
      }
      const rp2 = `${sp}.rollingUpdate`;
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${rp2}.maxUnavailable`));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${rp2}.maxSurge`));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${rp2}.maxUnavailable`));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, `${rp2}.maxSurge`));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(field.invalid(`${rp2}.maxSurge`, goIntStr(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(field.required(`${rp2}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      break;
    }
    default:
      errs.push(field.notSupported(sp, strategy ?? null, ['RollingUpdate', 'OnDelete']));
  }
  if (spec?.revisionHistoryLimit !== undefined) errs.push(...validateNonnegative(spec.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  return errs;
}

/** `ValidateDeploymentSpec` */
export function validateDeploymentSpec(d: Deployment, path = 'spec'): FieldError[] {
  const spec = d.spec;
  const errs = validateNonnegative(spec?.replicas, `${path}.replicas`);
  errs.push(...validateReplicaSetLikeSelector(spec?.selector, path, 'deployment'));
  const conv = selectorConversion(spec?.selector, path);
  errs.push(...conv.errs);
  if (conv.selector !== undefined) errs.push(...validateTemplateForSelector(spec?.template, conv.selector, `${path}.template`, 'ReplicaSet'));
  const st = spec?.strategy;
  const sp = `${path}.strategy`;
  switch (st?.type) {
    case 'Recreate':
      if (st.rollingUpdate) errs.push(field.forbidden(`${sp}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = st.rollingUpdate;
      if (!ru) {
        errs.push(field.required(`${sp}.rollingUpdate`, 'this should be defaulted and never be nil'));
        break;
      }
      const rp = `${sp}.rollingUpdate`;
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${rp}.maxUnavailable`));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${rp}.maxSurge`));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(field.invalid(`${rp}.maxUnavailable`, goIntStr(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${rp}.maxUnavailable`));
      break;
    }
    default:
      errs.push(field.notSupported(sp, st ?? null, ['Recreate', 'RollingUpdate']));
  }
  errs.push(...validateNonnegative(spec?.minReadySeconds, `${path}.minReadySeconds`));
  if (spec?.revisionHistoryLimit !== undefined) errs.push(...validateNonnegative(spec.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  if (spec?.progressDeadlineSeconds !== undefined) {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, `${path}.progressDeadlineSeconds`));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(field.invalid(`${path}.progressDeadlineSeconds`, spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

/** `ValidateReplicaSetSpec` */
export function validateReplicaSetSpec(rs: ReplicaSet, path = 'spec'): FieldError[] {
  const spec = rs.spec;
  const errs = validateNonnegative(spec?.replicas, `${path}.replicas`);
  errs.push(...validateNonnegative(spec?.minReadySeconds, `${path}.minReadySeconds`));
  // Upstream reuses the Deployment wording here.
  errs.push(...validateReplicaSetLikeSelector(spec?.selector, path, 'deployment'));
  const conv = selectorConversion(spec?.selector, path);
  errs.push(...conv.errs);
  if (conv.selector !== undefined) errs.push(...validateTemplateForSelector(spec?.template, conv.selector, `${path}.template`, 'ReplicaSet'));
  return errs;
}

/** apps/v1: `spec.selector` may not change after creation. */
function selectorImmutable(sel: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  const errs = validateImmutable(sel, old, 'spec.selector', selectorBox(sel));
  return errs.map((e) => ({ ...e, detail: FIELD_IMMUTABLE_ERROR_MSG }));
}

/** DaemonSet create. */
export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  return [...validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain), ...validateDaemonSetSpec(ds)];
}

/** DaemonSet update. */
export function validateDaemonSetUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  return [...validateObjectMetaUpdate(ds.metadata, old.metadata), ...validateDaemonSetSpec(ds), ...selectorImmutable(ds.spec?.selector, old.spec?.selector)];
}

/** Deployment create. */
export function validateDeployment(d: Deployment): FieldError[] {
  return [...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain), ...validateDeploymentSpec(d)];
}

/** Deployment update. */
export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  return [...validateObjectMetaUpdate(d.metadata, old.metadata), ...validateDeploymentSpec(d), ...selectorImmutable(d.spec?.selector, old.spec?.selector)];
}

/** ReplicaSet create. */
export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  return [...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain), ...validateReplicaSetSpec(rs)];
}

/** ReplicaSet update. */
export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  return [...validateObjectMetaUpdate(rs.metadata, old.metadata), ...validateReplicaSetSpec(rs), ...selectorImmutable(rs.spec?.selector, old.spec?.selector)];
}

/** ControllerRevision create: data is mandatory, revision non-negative. */
export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (cr.data === undefined || cr.data === null) errs.push(field.required('data', 'data is mandatory'));
  errs.push(...validateNonnegative(cr.revision, 'revision'));
  return errs;
}

/** ControllerRevision update: `data` is immutable. */
export function validateControllerRevisionUpdate(cr: ControllerRevision, old: ControllerRevision): FieldError[] {
  return [...validateObjectMetaUpdate(cr.metadata, old.metadata), ...validateControllerRevision(cr), ...validateImmutable(cr.data, old.data, 'data')];
}
