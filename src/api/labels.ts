/**
 * Label selectors, as apimachinery's `labels` package: the string syntax of
 * `?labelSelector=` and `kubectl -l` (`k=v`, `k==v`, `k!=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`), the structured
 * `metav1.LabelSelector` of workloads, matching, and printing. Parse errors
 * carry upstream's wording and are thrown as 400 BadRequest.
 */

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest } from './errors.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

/** Operators with upstream's `selection.Operator` spellings. */
export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement; a selector is the AND of its requirements. */
export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/**
 * A parsed selector: requirements sorted by key. An empty array matches
 * everything; `null` (from a nil `metav1.LabelSelector`) matches nothing.
 */
export type Selector = readonly Requirement[];

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** Upstream `field.Error` text for a requirement problem; paths are relative (`values[0][app]`), as in apimachinery. */
function invalidText(path: string, value: unknown, detail: string): string {
  const shown = Array.isArray(value) ? `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}` : JSON.stringify(value);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

function aggregate(msgs: string[]): string | undefined {
  const unique = [...new Set(msgs)];
  if (unique.length === 0) return undefined;
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

function keyError(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? invalidText(path, key, errs.join('; ')) : undefined;
}

/**
 * Builds a requirement, checking it as `labels.NewRequirement` does.
 * Returns the upstream error text on failure.
 */
export function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement | string {
  const errs: string[] = [];
  const ke = keyError(key, 'key');
  if (ke) errs.push(ke);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalidText('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalidText('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalidText('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalidText('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(invalidText(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(invalidText(`values[${i}][${key}]`, v, ve.join('; ')));
  });
  const agg = aggregate(errs);
  return agg ?? { key, operator, values };
}

// --- lexer ---------------------------------------------------------------

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
const KEYWORDS: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', in: 'in', '<': '<', '!=': '!=', notin: 'notin', '(': '(' };
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isSpace(s[pos]!)) pos++;
    if (pos >= s.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    if (isSpecial(s[pos]!)) {
      let buf = '';
      let last: { tok: Tok; lit: string } | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buf += s[pos];
        pos++;
        const k = KEYWORDS[buf];
        if (k) last = { tok: k, lit: buf };
        else if (last) {
          pos--;
          break;
        }
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      while (pos < s.length && !isSpecial(s[pos]!) && !isSpace(s[pos]!)) buf += s[pos++];
      out.push({ tok: KEYWORDS[buf] ?? 'id', lit: buf });
    }
  }
}

// --- parser --------------------------------------------------------------

class Parser {
  private pos = 0;
  constructor(private readonly items: { tok: Tok; lit: string }[]) {}

  /** In value context `in`/`notin` are identifiers. */
  private peek(values: boolean): { tok: Tok; lit: string } {
    const it = this.items[this.pos] ?? { tok: 'eos' as Tok, lit: '' };
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private next(values: boolean): { tok: Tok; lit: string } {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === 'id' || tok === '!') {
        let r: Requirement;
        try {
          r = this.requirement();
        } catch (e) {
          throw new Error(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const t = this.next(true);
        if (t.tok === 'eos') return reqs;
        if (t.tok === ',') {
          const t2 = this.peek(true);
          if (t2.tok !== 'id' && t2.tok !== '!') throw new Error(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new Error(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return reqs;
      } else {
        throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private requirement(): Requirement {
    let op: SelectorOperator | undefined;
    let t = this.next(true);
    if (t.tok === '!') {
      op = '!';
      t = this.next(true);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const ke = keyError(key, '<nil>');
    if (ke) throw new Error(ke);
    const la = this.peek(true).tok;
    if (la === 'eos' || la === ',') op = op ?? 'exists';
    if (op === 'exists' || op === '!') return this.build(key, op, []);
    const o = this.next(false);
    const opOf: Partial<Record<Tok, SelectorOperator>> = { in: 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', notin: 'notin', '!=': '!=' };
    const operator = opOf[o.tok];
    if (!operator) throw new Error(`found '${o.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
    return this.build(key, operator, [...values].sort());
  }

  private build(key: string, op: SelectorOperator, values: string[]): Requirement {
    const r = newRequirement(key, op, values);
    if (typeof r === 'string') throw new Error(r);
    return r;
  }

  private valueSet(): Set<string> {
    const open = this.next(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek(true);
    if (tok === 'id' || tok === ',') {
      const s = this.identifierList();
      if (this.next(true).tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ')') {
      this.next(true);
      return new Set(['']);
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private identifierList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next(true);
      if (tok === 'id') {
        s.add(lit);
        const t2 = this.peek(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return s;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.peek(true);
        if (t2.tok === ')') {
          s.add('');
          return s;
        }
        if (t2.tok === ',') {
          this.next(true);
          s.add('');
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): Set<string> {
    const la = this.peek(true);
    if (la.tok === 'eos' || la.tok === ',') return new Set(['']);
    const t = this.next(true);
    if (t.tok === 'id') return new Set([t.lit]);
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

const byKey = (a: Requirement, b: Requirement): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Parses a selector string. Throws ApiError 400 (BadRequest) with upstream's
 * message, e.g. `unable to parse requirement: found '', expected: identifier`.
 * Example: `parseSelector('app=web,tier in (a,b)')`.
 */
export function parseSelector(selector: string): Selector {
  try {
    return new Parser(lex(selector)).parse().sort(byKey);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

function matchesRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : '';
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(value) || r.values.length !== 1 || !/^[+-]?\d+$/.test(r.values[0]!)) return false;
      const lv = BigInt(value);
      const rv = BigInt(r.values[0]!);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

/** Whether two label maps hold the same keys and values (a missing map is empty). */
export function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a?.[k] === b?.[k]);
}

/**
 * True when `labels` satisfy every requirement. `null` (nil selector) matches
 * nothing; an empty selector matches everything.
 */
export function matchesSelector(selector: Selector | null, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === null) return false;
  const l = labels ?? {};
  return selector.every((r) => matchesRequirement(r, l));
}

/**
 * Converts a `metav1.LabelSelector` as `metav1.LabelSelectorAsSelector` does:
 * `undefined` → `null` (matches nothing), `{}` → `[]` (matches everything).
 * Throws ApiError 400 with upstream's text when a requirement is invalid,
 * e.g. `"Foo" is not a valid label selector operator`.
 */
export function labelSelectorFromObject(sel: LabelSelector | undefined | null): Selector | null {
  if (sel == null) return null;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const r = newRequirement(k, '=', [v]);
    if (typeof r === 'string') throw badRequest(r);
    reqs.push(r);
  }
  const ops: Record<string, SelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
  for (const e of sel.matchExpressions ?? []) {
    const op = ops[e.operator];
    if (!op) throw badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    const r = newRequirement(e.key, op, [...(e.values ?? [])]);
    if (typeof r === 'string') throw badRequest(r);
    reqs.push(r);
  }
  return reqs.sort(byKey);
}

/**
 * Upstream semantics for a workload selector: an empty selector matches
 * everything, a missing (nil) one matches nothing; an invalid one matches nothing.
 */
export function matchesLabelSelector(sel: LabelSelector | undefined | null, labels: Readonly<Record<string, string>> | undefined): boolean {
  let parsed: Selector | null;
  try {
    parsed = labelSelectorFromObject(sel);
  } catch {
    return false;
  }
  return matchesSelector(parsed, labels);
}

function requirementToString(r: Requirement): string {
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${vals})`;
    case 'notin':
      return `${r.key} notin (${vals})`;
    case 'gt':
      return `${r.key}>${vals}`;
    case 'lt':
      return `${r.key}<${vals}`;
    default:
      return `${r.key}${r.operator}${vals}`;
  }
}

/** Prints a parsed selector as upstream `Selector.String()`: `app=web,tier in (a,b)`; `''` for nothing/everything. */
export function selectorToString(selector: Selector | null): string {
  return selector ? selector.map(requirementToString).join(',') : '';
}

/**
 * The string form of a `metav1.LabelSelector` (Scale `status.selector`,
 * `kubectl describe`). Example: `{matchLabels:{app:'x'}}` → `app=x`.
 */
export function labelSelectorToString(sel: LabelSelector | undefined | null): string {
  return selectorToString(labelSelectorFromObject(sel));
}

/** Alias of `parseSelector`, for the `?labelSelector=` query parameter. */
export const parseLabelSelector = parseSelector;
