/**
 * Bad values the way Go prints them. kube-apiserver renders a non-scalar bad
 * value with `%#v` (`[]string{"None"}`, `map[string]string{"app":"x"}`,
 * `intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}`), and kubectl users see
 * that text. A FieldError can carry such a value as a `GoSyntax` box: JSON
 * encoding still yields the plain value, and `renderFieldError` (or any
 * formatter that honours `GO_SYNTAX`) prints the Go text.
 */

import { fieldErrorMessage, type FieldError } from '../errors.js';

/** Registered symbol, so a formatter can recognise boxed values without importing this module. */
export const GO_SYNTAX: unique symbol = Symbol.for('skiff.goSyntax') as never;

/** A value with its Go `%#v` text. `JSON.stringify` of the box gives the plain value. */
export interface GoSyntax {
  readonly [GO_SYNTAX]: string;
  toJSON(): unknown;
}

/** Boxes `value` with its Go text. Example: `goSyntax(['None'], '[]string{"None"}')`. */
export function goSyntax(value: unknown, text: string): GoSyntax {
  return { [GO_SYNTAX]: text, toJSON: () => value };
}

/** True when `v` is a GoSyntax box. */
export function isGoSyntax(v: unknown): v is GoSyntax {
  return typeof v === 'object' && v !== null && GO_SYNTAX in v;
}

/** Go `%q` of a string (JSON quoting matches it for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** `[]string{"a", "b"}`; `[]string(nil)` for undefined. */
export function goStringSlice(v: readonly string[] | undefined | null): string {
  if (v == null) return '[]string(nil)';
  return `[]string{${v.map(goQuote).join(', ')}}`;
}

/** `map[string]string{"a":"1", "b":"2"}` with keys sorted as Go's fmt does; `map[string]string(nil)` for undefined. */
export function goStringMap(v: Readonly<Record<string, string>> | undefined | null): string {
  if (v == null) return 'map[string]string(nil)';
  const keys = Object.keys(v).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(v[k] ?? '')}`).join(', ')}}`;
}

/** `intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}` */
export function goIntOrString(v: number | string | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

/** A `metav1.LabelSelector` value as `%#v` prints it. */
export function goLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '(*v1.LabelSelector)(nil)';
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${goStringSlice(e.values)}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** Boxes a string slice. */
export const goSlice = (v: readonly string[] | undefined): GoSyntax => goSyntax(v ?? null, goStringSlice(v));
/** Boxes a string map. */
export const goMap = (v: Readonly<Record<string, string>> | undefined): GoSyntax => goSyntax(v ?? null, goStringMap(v));
/** Boxes an IntOrString. */
export const goIntStr = (v: number | string | undefined): GoSyntax => goSyntax(v ?? 0, goIntOrString(v));

const PLACEHOLDER = '\u0000go-syntax\u0000';

/**
 * The full `field: Type: value: detail` text of a field error, printing boxed
 * values in Go syntax and everything else as `errors.ts` does.
 */
export function renderFieldError(e: FieldError): string {
  if (!isGoSyntax(e.badValue)) return fieldErrorMessage(e);
  const text = e.badValue[GO_SYNTAX];
  return fieldErrorMessage({ ...e, badValue: PLACEHOLDER }).replace(JSON.stringify(PLACEHOLDER), () => text);
}
