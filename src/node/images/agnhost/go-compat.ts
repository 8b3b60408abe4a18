/**
 * Go formatting and parsing that agnhost's responses and logs expose to
 * clients: `time.Duration` strings, `time.Time.String()`, `json.Marshal`'s
 * HTML-safe escaping, `%q` quoting, `strconv.Atoi` and `path.Clean`. Tests and
 * scripts written against the real image compare these texts.
 */

/** A Go-style error message, e.g. `strconv.Atoi: parsing "x": invalid syntax`. */
export class GoError extends Error {}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses a Go duration (`300ms`, `1.5h`, `2h45m`, `0`) into nanoseconds, like
 * `time.ParseDuration`. Throws {@link GoError} with Go's message otherwise.
 *
 * @example
 * parseGoDuration('1m30s') // → 90e9
 */
export function parseGoDuration(s: string): number {
  const orig = s;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new GoError(`time: invalid duration ${goQuote(orig)}`);
  let total = 0;
  while (s !== '') {
    const num = /^(\d*)(\.(\d*))?/.exec(s)!;
    if (num[0] === '' || num[0] === '.' || (num[1] === '' && (num[3] ?? '') === '')) throw new GoError(`time: invalid duration ${goQuote(orig)}`);
    s = s.slice(num[0].length);
    const unit = /^[^\d.]+/.exec(s)?.[0];
    if (!unit) throw new GoError(`time: missing unit in duration ${goQuote(orig)}`);
    const scale = UNITS[unit];
    if (scale === undefined) throw new GoError(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`);
    s = s.slice(unit.length);
    total += Number(num[0]) * scale;
  }
  return Math.round(neg ? -total : total);
}

function fraction(v: number, digits: number): string {
  const p = 10 ** digits;
  const whole = Math.floor(v / p);
  const frac = String(v % p).padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/**
 * Formats nanoseconds like Go's `time.Duration.String()`.
 *
 * @example
 * formatGoDuration(1.5e9) // → '1.5s'
 * formatGoDuration(3600e9) // → '1h0m0s'
 * formatGoDuration(0) // → '0s'
 */
export function formatGoDuration(ns: number): string {
  let u = Math.round(Math.abs(ns));
  const sign = ns < 0 ? '-' : '';
  if (u === 0) return '0s';
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${fraction(u, 3)}µs`;
  if (u < 1e9) return `${sign}${fraction(u, 6)}ms`;
  const h = Math.floor(u / 3600e9);
  u -= h * 3600e9;
  const m = Math.floor(u / 60e9);
  u -= m * 60e9;
  const sec = `${fraction(u, 9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${sec}`;
  if (m > 0) return `${sign}${m}m${sec}`;
  return `${sign}${sec}`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Go's `time.Now().String()` in UTC (a container without tzdata runs in UTC):
 * `2006-01-02 15:04:05.999999999 +0000 UTC m=+0.000000001`, where `m=` is the
 * monotonic reading in seconds.
 *
 * @example
 * goTimeString(1700000000123456789n, 1500000000n) // → '2023-11-14 22:13:20.123456789 +0000 UTC m=+1.500000000'
 */
export function goTimeString(epochNs: bigint, monotonicNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const d = new Date(ms);
  const nanos = Number(epochNs % 1_000_000_000n);
  const frac = String(nanos).padStart(9, '0').replace(/0+$/, '');
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const mono = `${monotonicNs < 0n ? '-' : '+'}${monotonicNs < 0n ? -monotonicNs / 1_000_000_000n : monotonicNs / 1_000_000_000n}.${String((monotonicNs < 0n ? -monotonicNs : monotonicNs) % 1_000_000_000n).padStart(9, '0')}`;
  return `${date}${frac ? `.${frac}` : ''} +0000 UTC m=${mono}`;
}

/** The `log` package's default prefix, `2006/01/02 15:04:05` (UTC, see {@link goTimeString}). */
export function goLogTime(d: Date): string {
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * `json.Marshal` output: like JSON.stringify, plus Go's escaping of `<`, `>`,
 * `&`, U+2028 and U+2029 so the text is safe inside HTML.
 *
 * @example
 * goJSON({ output: '<b>' }) // → '{"output":"\\u003cb\\u003e"}'
 */
export function goJSON(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's `%q` for a string: double-quoted with Go escapes for control characters. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, (_m, hex: string) => `\\x${hex}`);
}

/**
 * `strconv.Atoi`: an optionally signed decimal integer, nothing else. Throws
 * {@link GoError} with Go's message otherwise.
 */
export function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new GoError(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new GoError(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/**
 * Go's `path.Clean`: the shortest equivalent slash path (no `.`, `..` above
 * the root, or repeated slashes); `''` becomes `.`.
 *
 * @example
 * cleanPath('/a//b/../c/.') // → '/a/c'
 */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's `html.EscapeString`-like escaping used in redirect bodies (`&`, `<`, `>`, `"`, `'`). */
export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}
