import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  duplicateFieldWarning,
  findDuplicateFields,
  findDuplicateYamlFields,
  scanJson,
  strictDuplicateMessage,
  yamlDuplicateMessage,
} from './duplicates.js';

describe('findDuplicateFields', () => {
  const cases: [string, string[]][] = [
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', ['a']],
    ['{"spec":{"replicas":1,"replicas":2}}', ['spec.replicas']],
    ['{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}', ['spec.containers[1].name']],
    ['{"a":1,"b":{"c":[{"x":1,"x":2}],"c":3},"a":2}', ['b.c[0].x', 'b.c', 'a']],
    ['{"a":1,"\\u0061":2}', ['a']],
    ['{"a":1,"a":2,"a":3}', ['a']],
    ['[{"k":1,"k":2}]', ['[0].k']],
    ['{"m":{"x":{},"x":[]},"n":[[{"y":1,"y":1}]]}', ['m.x', 'n[0][0].y']],
    ['{"a":"{\\"b\\":1,\\"b\\":2}"}', []],
  ];
  for (const [json, want] of cases) {
    it(`reports ${JSON.stringify(want)} for ${json}`, () => {
      assert.deepEqual(findDuplicateFields(json), want);
      assert.deepEqual(scanJson(json), { duplicates: want }, 'the validating scan agrees');
    });
  }

  it('uses a Set for wide objects and still finds duplicates', () => {
    const wide = `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',')},"k7":0,"k39":0}`;
    assert.deepEqual(findDuplicateFields(wide), ['k7', 'k39']);
  });

  it('never throws on broken JSON', () => {
    for (const s of ['{"a":1,"a"', '{"a":"\\"', ']]]}}}', '{"a\\q":1,"a\\q":2}', '"', '{{{{']) findDuplicateFields(s);
  });

  it('stops at 100 duplicates, as upstream does', () => {
    const keys = Array.from({ length: 150 }, (_, i) => `"k${i}":1,"k${i}":2`).join(',');
    assert.equal(findDuplicateFields(`{${keys}}`).length, 100);
  });

  it('scans a 1 MB manifest of many objects and finds no duplicates', () => {
    const container = (i: number) => ({ name: `c${i}`, image: 'registry.example.com/app:1.2.3', env: [{ name: 'A', value: 'x'.repeat(40) }], ports: [{ containerPort: 8080 + i }] });
    const items = Array.from({ length: 1500 }, (_, i) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `web-${i}`, labels: { app: `web-${i}`, tier: 'frontend' }, annotations: { note: 'y'.repeat(200) } },
      spec: { replicas: 3, template: { spec: { containers: [container(0), container(1)] } } },
    }));
    const text = JSON.stringify({ kind: 'List', items });
    assert.ok(text.length >= 1_000_000, `${text.length} bytes`);
    // Speed is measured by the benchmarks, not asserted here (tests share the CPU).
    assert.deepEqual(findDuplicateFields(text), []);
  });

  it('handles 50,000 levels of nesting without overflowing the stack', () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    assert.equal(scanJson(deep).syntaxError, "invalid character '[' exceeded max depth");
    const ok = '['.repeat(9_999) + ']'.repeat(9_999);
    assert.deepEqual(scanJson(ok), { duplicates: [] });
  });
});

describe('scanJson syntax errors use Go encoding/json wording', () => {
  const cases: [string, string][] = [
    ['', 'unexpected end of JSON input'],
    ['{"a":', 'unexpected end of JSON input'],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['nul', 'unexpected end of JSON input'],
    ['{"a":"\\x"}', "invalid character 'x' in string escape code"],
    ['{"a":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"],
    ['{"a":"b\n"}', "invalid character '\\n' in string literal"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['{} {}', "invalid character '{' after top-level value"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['x', "invalid character 'x' looking for beginning of value"],
  ];
  for (const [json, want] of cases) {
    it(`${JSON.stringify(json)} → ${want}`, () => {
      assert.equal(scanJson(json).syntaxError, want);
    });
  }

  it('accepts everything JSON.parse accepts', () => {
    for (const s of ['0', '-0.5e+10', '"\\ud83d\\ude00"', ' {"a" : [ true , false , null ] } ', '[]', '{}', '1E5']) {
      JSON.parse(s);
      assert.equal(scanJson(s).syntaxError, undefined, s);
    }
  });
});

describe('strict-validation messages', () => {
  it('words duplicates as kube-apiserver does', () => {
    assert.equal(duplicateFieldWarning('spec.replicas'), 'duplicate field "spec.replicas"');
    assert.equal(strictDuplicateMessage(['a', 'spec.replicas']), 'strict decoding error: duplicate field "a", duplicate field "spec.replicas"');
  });
});

describe('findDuplicateYamlFields', () => {
  const doc = ['apiVersion: apps/v1', 'kind: Deployment', 'spec:', '  replicas: 1', '  replicas: 2', '  template:', '    spec:', '      containers:', '      - name: a', '        name: b', ''].join('\n');

  it('finds duplicates with their paths and lines', () => {
    assert.deepEqual(findDuplicateYamlFields(doc), [
      { path: 'spec.replicas', key: 'replicas', line: 5 },
      { path: 'spec.template.spec.containers[0].name', key: 'name', line: 10 },
    ]);
  });

  it('formats them as goyaml strict mode does', () => {
    assert.equal(
      yamlDuplicateMessage(findDuplicateYamlFields(doc)),
      'error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key "replicas" already set in map\n  line 10: key "name" already set in map',
    );
  });

  it('returns nothing for clean or unparseable YAML', () => {
    assert.deepEqual(findDuplicateYamlFields('a: 1\nb: {c: 2}\n'), []);
    assert.deepEqual(findDuplicateYamlFields('a: [1\n'), []);
  });
});
