import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { bodyMediaType, decodeBody, DEFAULT_MAX_BODY_BYTES } from './body.js';

const UNKNOWN_FORMAT =
  'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf';

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('bodyMediaType', () => {
  it('treats a missing or empty Content-Type as JSON, as kubectl scale PUT relies on', () => {
    assert.equal(bodyMediaType(undefined), 'application/json');
    assert.equal(bodyMediaType(''), 'application/json');
  });

  it('ignores parameters and case', () => {
    assert.equal(bodyMediaType('Application/JSON; charset=utf-8'), 'application/json');
    assert.equal(bodyMediaType('application/yaml'), 'application/yaml');
    assert.equal(bodyMediaType('application/vnd.kubernetes.protobuf'), 'application/vnd.kubernetes.protobuf');
  });

  it('answers 415 with upstream wording for anything else', () => {
    for (const ct of ['text/plain', 'application/merge-patch+json', 'application/x-www-form-urlencoded']) {
      const err = failure(() => bodyMediaType(ct));
      assert.equal(err.code, 415);
      assert.equal(err.reason, 'UnsupportedMediaType');
      assert.equal(err.message, UNKNOWN_FORMAT);
    }
  });
});

describe('decodeBody', () => {
  it('decodes JSON', () => {
    assert.deepEqual(decodeBody('application/json', Buffer.from('{"kind":"Scale","spec":{"replicas":3}}')), { kind: 'Scale', spec: { replicas: 3 } });
    assert.deepEqual(decodeBody(undefined, Buffer.from('{"a":1}')), { a: 1 });
  });

  it('decodes the first YAML document with YAML 1.1 scalars, as goyaml does', () => {
    const got = decodeBody('application/yaml', Buffer.from('kind: ConfigMap\ndata:\n  enabled: yes\n  when: 2024-01-02\n---\nkind: Other\n'));
    assert.deepEqual(got, { kind: 'ConfigMap', data: { enabled: true, when: '2024-01-02' } });
  });

  it('decodes kubectl protobuf bodies', () => {
    const body = readFileSync(new URL('../../../test/fixtures/protobuf/create-configmap-cm1.bin', import.meta.url));
    assert.deepEqual(decodeBody('application/vnd.kubernetes.protobuf', body), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1' },
      data: { a: '1', b: 'hello', empty: '' },
    });
  });

  it('rejects bodies over 3 MiB with 413', () => {
    const big = Buffer.alloc(DEFAULT_MAX_BODY_BYTES + 1, 0x20);
    const err = failure(() => decodeBody('application/json', big));
    assert.equal(err.code, 413);
    assert.equal(err.message, 'Request entity too large: limit is 3145728');
    assert.equal(failure(() => decodeBody('application/json', Buffer.from('{"a":1}'), { maxBytes: 4 })).message, 'Request entity too large: limit is 4');
    assert.deepEqual(decodeBody(undefined, Buffer.from('{}'), { maxBytes: 2 }), {});
  });

  it('checks the media type before the size', () => {
    assert.equal(failure(() => decodeBody('text/plain', Buffer.alloc(10), { maxBytes: 1 })).code, 415);
  });

  it('words malformed JSON as kube-apiserver does', () => {
    const err = failure(() => decodeBody('application/json', Buffer.from('{"kind":"Deployment",'), { kind: 'Deployment' }));
    assert.equal(err.code, 400);
    assert.equal(
      err.message,
      'the object provided is unrecognized (must be of type Deployment): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"kind":"Deployment",)',
    );
    const e2 = failure(() => decodeBody(undefined, Buffer.from('{"a" 1, "padding": "0123456789abcdef"}')));
    assert.equal(
      e2.message,
      'the object provided is unrecognized: couldn\'t get version/kind; json parse error: invalid character \'1\' after object key ({"a" 1, "padding": "0123456789 ...)',
    );
  });

  it('requires an object', () => {
    assert.match(failure(() => decodeBody(undefined, Buffer.from('[1]'))).message, /cannot unmarshal array into Go value of type struct/);
    assert.match(failure(() => decodeBody(undefined, Buffer.from('7'))).message, /cannot unmarshal number into Go value/);
    assert.match(failure(() => decodeBody('application/yaml', Buffer.from('- a\n'))).message, /cannot unmarshal array/);
    assert.equal(failure(() => decodeBody(undefined, Buffer.from('null'))).message, "Object 'Kind' is missing in 'null'");
    assert.match(failure(() => decodeBody(undefined, Buffer.from('{"kind":5}'))).message, /cannot unmarshal number into Go struct field \.kind of type string/);
  });

  it('reports broken YAML as a 400', () => {
    const err = failure(() => decodeBody('application/yaml', Buffer.from('a: [1\n'), { kind: 'Pod' }));
    assert.equal(err.code, 400);
    assert.match(err.message, /^the object provided is unrecognized \(must be of type Pod\): error converting YAML to JSON: yaml: /);
  });

  it('limits YAML alias expansion', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    assert.equal(failure(() => decodeBody('application/yaml', Buffer.from(bomb))).code, 400);
  });

  it('passes protobuf errors through as 400', () => {
    const err = failure(() => decodeBody('application/vnd.kubernetes.protobuf', Buffer.from('{}'), { kind: 'Service' }));
    assert.equal(err.code, 400);
    assert.match(err.message, /expected prefix \[107 56 115 0\]/);
  });
});
