/**
 * `$(VAR)` references in container `command`, `args` and `env` values, with
 * the kubelet's rules (upstream `third_party/forked/golang/expansion`):
 * `$(NAME)` is replaced by the variable's value when it is known and kept
 * verbatim when it is not; `$$` is an escaped `$`; a `$` followed by anything
 * else, or an unclosed `$(`, is copied as it is.
 */

/** Resolves one variable name to its value, or undefined when unknown. */
export type VarLookup = (name: string) => string | undefined;

/**
 * A lookup over several maps, first match wins (like upstream `MappingFuncFor`).
 *
 * @example
 * const lookup = lookupIn(new Map([['A', '1']]), { B: '2' });
 * lookup('B'); // '2'
 */
export function lookupIn(...sources: ReadonlyArray<ReadonlyMap<string, string> | Readonly<Record<string, string>>>): VarLookup {
  return (name) => {
    for (const s of sources) {
      if (s instanceof Map) {
        const v = s.get(name);
        if (v !== undefined) return v;
      } else if (Object.prototype.hasOwnProperty.call(s, name)) {
        return (s as Readonly<Record<string, string>>)[name];
      }
    }
    return undefined;
  };
}

/**
 * Expands `$(VAR)` references in `input`. Unknown references stay as written,
 * so a typo is visible in the running process instead of turning into "".
 *
 * @example
 * expandVars('echo $(GREETING) $$(HOME) $(NOPE)', lookupIn({ GREETING: 'hi' }));
 * // → 'echo hi $(HOME) $(NOPE)'
 */
export function expandVars(input: string, lookup: VarLookup): string {
  let out = '';
  let checkpoint = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) continue;
    out += input.slice(checkpoint, i);
    const next = input[i + 1];
    let consumed = 1;
    if (next === '$') {
      out += '$';
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close >= 0) {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        consumed = close - i;
      } else {
        // Unclosed reference: keep "$(" and continue scanning after it.
        out += '$(';
      }
    } else {
      out += `$${next}`;
    }
    i += consumed;
    checkpoint = i + 1;
  }
  return out + input.slice(checkpoint);
}
