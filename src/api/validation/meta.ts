/**
 * ObjectMeta rules shared by every kind (apimachinery `api/validation`):
 * name/generateName, namespace, labels, annotations, owner references,
 * finalizers on create, and the immutable identity fields on update.
 */

import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { field, type FieldError } from '../errors.js';
import { goSlice, goStringSlice } from './go-syntax.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameValidator } from './names.js';

/** `must be greater than or equal to 0` */
export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
/** `field is immutable` */
export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** `path: Invalid value: -1: must be greater than or equal to 0` when negative. */
export function validateNonnegative(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [field.invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

/** Label key checks (`ValidateLabelName`). */
export function validateLabelName(key: string, path: string): FieldError[] {
  return isQualifiedName(key).map((m) => field.invalid(path, key, m));
}

/** Labels: every key a qualified name, every value a label value; errors sit on the map's path, as upstream. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, path));
    errs.push(...isValidLabelValue(v).map((m) => field.invalid(path, v, m)));
  }
  return errs;
}

/** Annotation keys (checked lower-cased, as upstream) and the 256 KiB total. */
export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...isQualifiedName(k.toLowerCase()).map((m) => field.invalid(path, k, m)));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(field.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const version = ref.apiVersion?.includes('/') ? ref.apiVersion.split('/')[1] : ref.apiVersion;
    if (!version) errs.push(field.invalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(field.invalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(field.invalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(field.invalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          field.invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

/** Finalizer names: qualified names, and not both `orphan` and `foregroundDeletion`. */
export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) errs.push(...isQualifiedName(f).map((m) => field.invalid(path, f, m)));
  if (finalizers?.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(field.invalid(path, goSlice(finalizers), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/**
 * `ValidateObjectMeta`: run on create. `requiresNamespace` is the kind's scope;
 * `nameFn` the kind's name rule.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, requiresNamespace: boolean, nameFn: NameValidator, path = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) errs.push(...nameFn(m.generateName, true).map((msg) => field.invalid(`${path}.generateName`, m.generateName, msg)));
  if (!m.name) errs.push(field.required(`${path}.name`, 'name or generateName is required'));
  else errs.push(...nameFn(m.name, false).map((msg) => field.invalid(`${path}.name`, m.name, msg)));
  if (requiresNamespace) {
    if (!m.namespace) errs.push(field.required(`${path}.namespace`));
    else errs.push(...nameIsDNSLabel(m.namespace, false).map((msg) => field.invalid(`${path}.namespace`, m.namespace, msg)));
  } else if (m.namespace) {
    errs.push(field.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, `${path}.generation`));
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  return errs;
}

/** `path: Invalid value: <new>: field is immutable` when the JSON forms differ. */
export function validateImmutable(newVal: unknown, oldVal: unknown, path: string, shown: unknown = newVal): FieldError[] {
  return JSON.stringify(newVal ?? null) === JSON.stringify(oldVal ?? null) ? [] : [field.invalid(path, shown ?? null, FIELD_IMMUTABLE_ERROR_MSG)];
}

/**
 * `ValidateObjectMetaUpdate`: identity fields are immutable, labels and
 * annotations stay valid, an object being deleted gains no finalizers.
 * (`resourceVersion` presence is the registry's concern.)
 */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path = 'metadata'): FieldError[] {
  const n = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const extra = [...new Set(n.finalizers ?? [])].filter((f) => !(o.finalizers ?? []).includes(f)).sort();
    if (extra.length) {
      errs.push(field.forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`));
    }
  }
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(field.invalid(`${path}.generation`, n.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutable(n.name ?? '', o.name ?? '', `${path}.name`));
  errs.push(...validateImmutable(n.namespace ?? '', o.namespace ?? '', `${path}.namespace`));
  errs.push(...validateImmutable(n.uid ?? '', o.uid ?? '', `${path}.uid`));
  errs.push(...validateImmutable(n.creationTimestamp, o.creationTimestamp, `${path}.creationTimestamp`));
  errs.push(...validateImmutable(n.deletionTimestamp, o.deletionTimestamp, `${path}.deletionTimestamp`));
  errs.push(...validateImmutable(n.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds, `${path}.deletionGracePeriodSeconds`));
  errs.push(...validateLabels(n.labels, `${path}.labels`));
  errs.push(...validateAnnotations(n.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(n.ownerReferences, `${path}.ownerReferences`));
  return errs;
}
