/**
 * The string rules of apimachinery's `util/validation` (as in Kubernetes 1.32):
 * DNS-1123 labels and subdomains, DNS-1035 labels, qualified names, label
 * values, port names, config keys, percentages and IP addresses. Each returns
 * the list of upstream messages (empty when valid), so callers wrap them in
 * `field.invalid(path, value, msg)` exactly as kube-apiserver does.
 */

import { isIP } from 'node:net';

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** `must be no more than 63 characters` */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** `must be between 1 and 65535, inclusive` */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** `must be non-empty` */
export function emptyError(): string {
  return 'must be non-empty';
}

/**
 * A regex failure message worded as upstream `RegexError`, including its
 * historical double space between examples: `(e.g. 'my-name',  or '123-abc', regex used …)`.
 */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) out += ' or ';
    out += `'${ex}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QNAME_FMT})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const PERCENT_FMT = '[0-9]+%';
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'";

const anchored = (fmt: string): RegExp => new RegExp(`^${fmt}$`);
const dns1123LabelRe = anchored(DNS1123_LABEL_FMT);
const dns1123SubdomainRe = anchored(DNS1123_SUBDOMAIN_FMT);
const dns1035LabelRe = anchored(DNS1035_LABEL_FMT);
const qnameRe = anchored(QNAME_FMT);
const labelValueRe = anchored(LABEL_VALUE_FMT);
const configKeyRe = anchored(CONFIG_KEY_FMT);
const percentRe = anchored(PERCENT_FMT);

/** RFC 1123 label (Namespace names, port names, container names). Example: `isDNS1123Label('my-name')` → `[]`. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!dns1123LabelRe.test(value)) {
    // A valid subdomain that is not a valid label can only be failing on dots.
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** RFC 1123 subdomain (most object names). */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLenError(253));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** RFC 1035 label (Service names). */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

/** Qualified names already found valid: a cluster uses few label and annotation keys, over and over. */
const validQualifiedNames = new Set<string>();

/** A "qualified name": label keys, annotation keys, finalizers, `prefix/name` with a DNS prefix. */
export function isQualifiedName(value: string): string[] {
  if (validQualifiedNames.has(value)) return [];
  const errs = qualifiedNameErrors(value);
  if (errs.length === 0) {
    if (validQualifiedNames.size >= 10_000) validQualifiedNames.clear();
    validQualifiedNames.add(value);
  }
  return errs;
}

function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!qnameRe.test(name)) errs.push(`name part ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** A label value (may be empty). */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenError(63));
  if (!labelValueRe.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** 1..65535 */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** An IANA_SVC_NAME (container port names, named targetPorts). */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** ConfigMap and Secret data keys. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLenError(253));
  if (!configKeyRe.test(value)) errs.push(regexError(CONFIG_KEY_MSG, CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** `25%` */
export function isValidPercent(value: string): string[] {
  return percentRe.test(value) ? [] : [regexError(PERCENT_MSG, PERCENT_FMT, '1%', '93%')];
}

/**
 * Environment variable names under the 1.32 default (RelaxedEnvironmentVariableValidation):
 * any printable ASCII except `=`.
 */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push(`environment variable name ${emptyError()}`);
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c > 0x7e || c < 0x20 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

/** Parses an IP as Go's `ParseIPSloppy` does (IPv4 parts may carry leading zeros); `undefined` when invalid. */
export function parseIP(value: string): { family: 4 | 6; bytes: number[] } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) {
    const parts = value.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, bytes: parts };
  }
  if (isIP(value) === 6) {
    const [head = '', tail] = value.split('::') as [string, string | undefined];
    const groups = (s: string): string[] => (s ? s.split(':') : []);
    const hs = groups(head);
    const ts = tail === undefined ? [] : groups(tail);
    const expand = (gs: string[]): number[] =>
      gs.flatMap((g) => {
        if (g.includes('.')) {
          const b = g.split('.').map(Number);
          return [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
        }
        return [parseInt(g, 16)];
      });
    const h = expand(hs);
    const t = expand(ts);
    const fill = tail === undefined ? [] : new Array<number>(8 - h.length - t.length).fill(0);
    const words = [...h, ...fill, ...t];
    const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
    // An IPv4-mapped IPv6 address is an IPv4 address to Go.
    if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
      return { family: 4, bytes: bytes.slice(12) };
    }
    return { family: 6, bytes };
  }
  return undefined;
}

/** `must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)` when `value` is not an IP. */
export function isValidIP(value: string): string[] {
  return parseIP(value) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

/** `must be a valid IPv4 address` */
export function isValidIPv4Address(value: string): string[] {
  return parseIP(value)?.family === 4 ? [] : ['must be a valid IPv4 address'];
}

/** `must be a valid IPv6 address` */
export function isValidIPv6Address(value: string): string[] {
  const ip = parseIP(value);
  return ip && ip.family === 6 ? [] : ['must be a valid IPv6 address'];
}

/** `must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)` */
export function isValidCIDR(value: string): string[] {
  const bad = ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
  const slash = value.indexOf('/');
  if (slash < 0) return bad;
  const ip = parseIP(value.slice(0, slash));
  const bitsText = value.slice(slash + 1);
  if (!ip || !/^\d+$/.test(bitsText)) return bad;
  const bits = Number(bitsText);
  return bits <= (ip.family === 4 ? 32 : 128) ? [] : bad;
}

/** Name rules by object kind, as `ValidateNameFunc`: `prefix` masks a trailing dash of a generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** Most kinds. */
export const nameIsDNSSubdomain: NameValidator = (n, p) => isDNS1123Subdomain(p ? maskTrailingDash(n) : n);
/** Namespaces. */
export const nameIsDNSLabel: NameValidator = (n, p) => isDNS1123Label(p ? maskTrailingDash(n) : n);
/** Services. */
export const nameIsDNS1035Label: NameValidator = (n, p) => isDNS1035Label(p ? maskTrailingDash(n) : n);
