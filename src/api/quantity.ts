/**
 * Kubernetes resource quantities (`apimachinery/pkg/api/resource`): a decimal
 * or exponent number with an optional binary (`Ki`…`Ei`) or decimal (`n`, `u`,
 * `m`, `k`, `M`…`E`) suffix. Arithmetic is exact (BigInt), so `0.1` cpu is
 * 100 millicores, not 100.00000000000001.
 */

/** Thrown for a string that is not a quantity; `code` is stable. */
export class QuantityError extends Error {
  readonly code = 'InvalidQuantity';
  constructor(readonly input: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(input)}`);
    this.name = 'QuantityError';
  }
}

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SHAPE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** ceil(num / den) for den > 0. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/**
 * Parses a quantity and returns its value in units of 10^-`scale`, rounded up
 * like upstream `Quantity.ScaledValue`: scale 3 gives millicores for cpu, scale 0
 * gives bytes for memory. Numbers are taken as they are.
 *
 * @example
 * parseQuantity('100m', 3) // 100  (millicores)
 * parseQuantity('0.5', 3)  // 500
 * parseQuantity('128Mi')   // 134217728 (bytes)
 * parseQuantity('1e3')     // 1000
 * @throws {QuantityError} when `q` is not a quantity.
 */
export function parseQuantity(q: string | number, scale = 0): number {
  if (typeof q === 'number') return Math.ceil(q * 10 ** scale);
  const m = SHAPE.exec(q.trim());
  if (!m) throw new QuantityError(q);
  const [, sign, num, suffix, exp] = m;
  const [whole = '', frac = ''] = num!.split('.');
  let mant = BigInt((whole || '0') + frac);
  // value = mant * 10^e10 * 2^e2
  let e10 = -frac.length + scale;
  let e2 = 0;
  if (suffix && suffix in BINARY) e2 = BINARY[suffix]!;
  else if (suffix) e10 += DECIMAL[suffix]!;
  else if (exp) e10 += Number(exp);
  if (!frac && e10 >= 0 && whole!.length <= 15) {
    // Fast path, exact while the result stays a safe integer.
    const n = Number(whole) * 2 ** e2 * 10 ** e10;
    if (Number.isSafeInteger(n)) return sign === '-' ? -n : n;
  }
  if (sign === '-') mant = -mant;
  let v = mant * (1n << BigInt(e2));
  v = e10 >= 0 ? v * pow10(e10) : ceilDiv(v, pow10(-e10));
  return Number(v);
}

/** `parseQuantity` that returns `fallback` instead of throwing (for values the API server should have rejected). */
export function parseQuantityOr(q: string | number | undefined, scale: number, fallback = 0): number {
  if (q === undefined) return fallback;
  try {
    return parseQuantity(q, scale);
  } catch {
    return fallback;
  }
}

/**
 * The value the scheduler counts for resource `name`: millicores for `cpu`,
 * plain units (bytes, pods, devices) for everything else.
 * Example: `resourceValue('cpu', '250m')` → 250; `resourceValue('memory', '1G')` → 1e9.
 */
export function resourceValue(name: string, q: string | number | undefined): number {
  return parseQuantityOr(q, name === 'cpu' ? 3 : 0);
}
