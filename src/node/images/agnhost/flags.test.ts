import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagUsages, parseFlags, type FlagSpecs } from './flags.js';

const specs: FlagSpecs = {
  'http-port': { kind: 'int', default: 8080, usage: 'HTTP Listen Port' },
  'udp-port': { kind: 'int', default: 8081, usage: 'UDP Listen Port' },
  name: { kind: 'string', default: '', usage: 'A name' },
  tcp: { kind: 'bool', default: false, usage: 'Serve TCP' },
  http: { kind: 'bool', default: true, usage: 'Serve HTTP' },
};
const defaults = { 'http-port': 8080, 'udp-port': 8081, name: '', tcp: false, http: true };

const ok: [string, string[], Record<string, unknown>, string[]?][] = [
  ['defaults when nothing is given', [], {}],
  ['--name=value', ['--http-port=9000'], { 'http-port': 9000 }],
  ['--name value', ['--http-port', '9000'], { 'http-port': 9000 }],
  ["Go's single dash, with =", ['-http-port=9000'], { 'http-port': 9000 }],
  ["Go's single dash, separate value", ['-http-port', '9000'], { 'http-port': 9000 }],
  ['a negative separate value is a value, not a flag', ['--udp-port', '-1'], { 'udp-port': -1 }],
  ['base prefixes like strconv.ParseInt(s, 0)', ['--http-port=0x10', '--udp-port=010'], { 'http-port': 16, 'udp-port': 8 }],
  ['a bare bool is true', ['--tcp'], { tcp: true }],
  ['bool=false', ['--http=false', '--tcp=1'], { http: false, tcp: true }],
  ['a bool does not take the next argument', ['--tcp', 'x'], { tcp: true }, ['x']],
  ['an empty string value', ['--name='], { name: '' }],
  ['a value with =', ['--name=a=b'], { name: 'a=b' }],
  ['-- ends the flags', ['--', '--tcp'], {}, ['--tcp']],
];
for (const [name, argv, want, args] of ok) {
  test(`parseFlags: ${name}`, () => {
    assert.deepEqual(parseFlags(argv, specs), { ok: true, flags: { ...defaults, ...want }, args: args ?? [], help: false });
  });
}

const bad: [string, string[], string][] = [
  ['an unknown flag', ['--nope'], 'unknown flag: --nope'],
  ['an unknown single-dash flag', ['-nope=1'], 'unknown flag: -nope'],
  ['a missing value', ['--http-port'], 'flag needs an argument: --http-port'],
  ['a bad int', ['--http-port=abc'], 'invalid argument "abc" for "--http-port" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
  ['a bad bool', ['--tcp=yes'], 'invalid argument "yes" for "--tcp" flag: strconv.ParseBool: parsing "yes": invalid syntax'],
  ['a bad octal', ['--http-port=08'], 'invalid argument "08" for "--http-port" flag: strconv.ParseInt: parsing "08": invalid syntax'],
];
for (const [name, argv, error] of bad) {
  test(`parseFlags rejects ${name}`, () => {
    assert.deepEqual(parseFlags(argv, specs), { ok: false, error });
  });
}

test('parseFlags: -h and --help ask for help', () => {
  for (const h of ['-h', '--help', '-help']) {
    const r = parseFlags([h], specs);
    assert.ok(r.ok && r.help, h);
  }
});

test('flagUsages lists flags sorted, with types and non-zero defaults, like pflag', () => {
  const text = flagUsages(specs, 'netexec');
  const lines = text.split('\n');
  assert.deepEqual(lines.map((l) => /--([\w-]+)/.exec(l)?.[1]), ['help', 'http', 'http-port', 'name', 'tcp', 'udp-port']);
  assert.match(lines[0]!, /^ {2}-h, --help +help for netexec$/);
  assert.match(lines[1]!, /^ {6}--http +Serve HTTP \(default true\)$/);
  assert.ok(lines.some((l) => /--http-port int +HTTP Listen Port \(default 8080\)$/.test(l)));
  assert.ok(lines.some((l) => /--name string +A name$/.test(l)), 'an empty string default is left out');
  assert.ok(lines.some((l) => /--tcp +Serve TCP$/.test(l)), 'a false default is left out');
});
