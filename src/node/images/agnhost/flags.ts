/**
 * Command-line flags the way agnhost (Go, cobra + pflag) reads them:
 * `--name=value`, `--name value`, Go's single-dash `-name=value` / `-name value`,
 * booleans as `--tcp` or `--tcp=false`, `--` ending the flags, and the same
 * error texts, so manifests written for the real image parse identically.
 */

/** Kinds of flag values. */
export type FlagKind = 'int' | 'string' | 'bool';

/** One flag: its kind, default and help text. */
export interface FlagSpec {
  kind: FlagKind;
  default: number | string | boolean;
  usage: string;
}

/** Flag specs by name (without dashes). */
export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed flag values by name; every spec'd flag is present (its default when not given). */
export type FlagValues = Record<string, number | string | boolean>;

/** The outcome of {@link parseFlags}. */
export type ParsedFlags = { ok: true; flags: FlagValues; args: string[]; help: boolean } | { ok: false; error: string };

function parseGoInt(s: string): number | undefined {
  // strconv.ParseInt(s, 0, 64): sign, base prefix (0x, 0o, 0b, leading 0 = octal), underscores between digits.
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(s);
  if (!m) return undefined;
  let body = m[2]!;
  // Underscores only between digits (or right after a base prefix), as Go's underscoreOK requires.
  if (body.includes('_') && !/^(0[xXbBoO]?_?)?[0-9a-fA-F]+(_[0-9a-fA-F]+)*$/.test(body)) return undefined;
  body = body.replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
  else n = Number(body);
  if (!Number.isSafeInteger(n)) return undefined;
  return m[1] === '-' ? -n : n;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Parses `argv` against `specs`. Unknown flags, missing values and bad
 * numbers/booleans are errors with pflag's wording; `-h`/`--help` sets `help`.
 *
 * @example
 * parseFlags(['--http-port', '9000', '-udp-port=-1'], netexecFlags)
 * // → { ok: true, flags: { 'http-port': 9000, 'udp-port': -1, … }, args: [], help: false }
 */
export function parseFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const flags: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) flags[name] = spec.default;
  const args: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      args.push(arg);
      continue;
    }
    const dashes = arg.startsWith('--') ? '--' : '-';
    const body = arg.slice(dashes.length);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) return { ok: false, error: `unknown flag: ${dashes}${name}` };
    const display = `--${name}`;
    if (spec.kind === 'bool') {
      if (value === undefined) flags[name] = true;
      else if (TRUE.has(value)) flags[name] = true;
      else if (FALSE.has(value)) flags[name] = false;
      else return { ok: false, error: `invalid argument ${quote(value)} for ${quote(display)} flag: strconv.ParseBool: parsing ${quote(value)}: invalid syntax` };
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) return { ok: false, error: `flag needs an argument: ${dashes}${name}` };
      value = argv[++i]!;
    }
    if (spec.kind === 'int') {
      const n = parseGoInt(value);
      if (n === undefined) return { ok: false, error: `invalid argument ${quote(value)} for ${quote(display)} flag: strconv.ParseInt: parsing ${quote(value)}: invalid syntax` };
      flags[name] = n;
    } else {
      flags[name] = value;
    }
  }
  return { ok: true, flags, args, help };
}

/**
 * The "Flags:" block of cobra's help for `specs` (plus `-h, --help`), aligned
 * like pflag's FlagUsages.
 */
export function flagUsages(specs: FlagSpecs, command: string): string {
  const rows: [string, string][] = [];
  for (const [name, spec] of Object.entries(specs).sort(([a], [b]) => a.localeCompare(b))) {
    const type = spec.kind === 'bool' ? '' : ` ${spec.kind}`;
    let usage = spec.usage;
    // pflag leaves zero-value defaults out of the help text.
    if (spec.kind === 'string' ? spec.default !== '' : spec.kind === 'bool' ? spec.default !== false : spec.default !== 0) {
      usage += ` (default ${spec.kind === 'string' ? quote(String(spec.default)) : String(spec.default)})`;
    }
    rows.push([`      --${name}${type}`, usage]);
  }
  rows.push(['  -h, --help', `help for ${command}`]);
  rows.sort(([a], [b]) => a.replace(/^ *(-\w, )?--/, '').localeCompare(b.replace(/^ *(-\w, )?--/, '')));
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, u]) => `${l.padEnd(width)}   ${u}`).join('\n');
}
