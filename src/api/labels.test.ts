import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { labelSelectorFromObject, labelSelectorToString, matchesLabelSelector, matchesSelector, parseSelector, selectorToString } from './labels.js';

const parseCases: [string, string][] = [
  ['', ''],
  ['app=web', 'app=web'],
  ['app==web', 'app==web'],
  ['app!=web', 'app!=web'],
  ['tier in (b,a)', 'tier in (a,b)'],
  ['tier notin (a)', 'tier notin (a)'],
  ['app', 'app'],
  ['!app', '!app'],
  ['n>1', 'n>1'],
  ['n<1', 'n<1'],
  ['z=1, a=2', 'a=2,z=1'],
  ['app=', 'app='],
  ['x in ()', 'x in ()'],
];
for (const [input, printed] of parseCases) {
  test(`selector ${JSON.stringify(input)} parses and prints as ${JSON.stringify(printed)}`, () => {
    assert.equal(selectorToString(parseSelector(input)), printed);
  });
}

const errorCases: [string, string][] = [
  ['app=web,', "found '', expected: identifier after ','"],
  ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
  ['x in a', "unable to parse requirement: found 'a' expected: '('"],
  ['=x', "found '=', expected: !, identifier, or 'end of string'"],
  ['n>a', "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
  [
    '-a=b',
    'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
  ],
];
for (const [input, message] of errorCases) {
  test(`selector ${JSON.stringify(input)} is rejected with upstream's 400 message`, () => {
    assert.throws(() => parseSelector(input), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === message);
  });
}

const matchCases: [string, Record<string, string>, boolean][] = [
  ['app=web', { app: 'web' }, true],
  ['app=web', { app: 'db' }, false],
  ['app!=web', {}, true],
  ['tier in (a,b)', { tier: 'b' }, true],
  ['tier notin (a,b)', { tier: 'c' }, true],
  ['app', {}, false],
  ['!app', {}, true],
  ['n>1', { n: '2' }, true],
  ['n<1', { n: 'x' }, false],
  ['', { any: 'thing' }, true],
];
for (const [sel, labels, want] of matchCases) {
  test(`selector ${sel || '(empty)'} ${want ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
    assert.equal(matchesSelector(parseSelector(sel), labels), want);
  });
}

test('a nil LabelSelector matches nothing and an empty one matches everything', () => {
  assert.equal(matchesLabelSelector(undefined, { a: 'b' }), false);
  assert.equal(matchesLabelSelector({}, { a: 'b' }), true);
  assert.equal(labelSelectorFromObject(undefined), null);
});

test('matchLabels and matchExpressions convert to one sorted selector string', () => {
  const sel = { matchLabels: { type: 'backend', service: 'go-demo-2' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'dev'] }, { key: 'gpu', operator: 'DoesNotExist' }] };
  assert.equal(labelSelectorToString(sel), 'env notin (dev,prod),!gpu,service=go-demo-2,type=backend');
  assert.equal(matchesLabelSelector(sel, { type: 'backend', service: 'go-demo-2', env: 'test' }), true);
  assert.equal(matchesLabelSelector(sel, { type: 'backend', service: 'go-demo-2', gpu: '1' }), false);
});

test('an unknown matchExpressions operator is a 400 with upstream wording', () => {
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), /"Foo" is not a valid label selector operator/);
});
