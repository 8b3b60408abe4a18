import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { escapeFieldValue, fieldsOf, matchesFields, parseFieldSelector, validateFieldSelector } from './fields.js';

const pods = { group: '', resource: 'pods' };

const parses: Array<[string, string, unknown]> = [
  ['an empty selector has no requirements', '', []],
  ['a single equality', 'spec.nodeName=node-1', [{ field: 'spec.nodeName', operator: '=', value: 'node-1' }]],
  ['double equals is plain equality', 'metadata.name==web', [{ field: 'metadata.name', operator: '=', value: 'web' }]],
  ['not-equals', 'status.phase!=Failed', [{ field: 'status.phase', operator: '!=', value: 'Failed' }]],
  [
    'terms are sorted like upstream',
    'status.phase!=Succeeded,spec.nodeName=n1',
    [
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
      { field: 'status.phase', operator: '!=', value: 'Succeeded' },
    ],
  ],
  ['empty terms are skipped', 'a=b,,', [{ field: 'a', operator: '=', value: 'b' }]],
  ['an empty value is allowed', 'spec.nodeName=', [{ field: 'spec.nodeName', operator: '=', value: '' }]],
  ['escaped comma and equals stay in the value', 'metadata.name=a\\,b\\=c\\\\', [{ field: 'metadata.name', operator: '=', value: 'a,b=c\\' }]],
];
for (const [name, input, want] of parses) {
  test(`parseFieldSelector: ${name}`, () => assert.deepEqual(parseFieldSelector(input), want));
}

const parseErrors: Array<[string, string, string]> = [
  ['a term without an operator', 'foo', "invalid selector: 'foo'; can't understand 'foo'"],
  ['a bad term among good ones names the whole selector', 'a=b,junk', "invalid selector: 'a=b,junk'; can't understand 'junk'"],
  ['an unescaped equals in the value prints its code point', 'a=b=c', 'invalid field selector: unescaped character in value: 61'],
  ['an unknown escape', 'a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
  ['a trailing backslash', 'a=b\\', 'invalid field selector: invalid escape sequence: \\'],
];
for (const [name, input, message] of parseErrors) {
  test(`parseFieldSelector rejects ${name} with 400`, () => {
    assert.throws(() => parseFieldSelector(input), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === message);
  });
}

test('escapeFieldValue round-trips through the parser', () => {
  const v = 'a,b=c\\d';
  assert.deepEqual(parseFieldSelector(`metadata.name=${escapeFieldValue(v)}`)[0]?.value, v);
});

const rejections: Array<[string, { group: string; resource: string }, string, string]> = [
  ['pods reject unknown labels with the core wording', pods, 'spec.foo', 'field label not supported: spec.foo'],
  ['nodes reject metadata.namespace', { group: '', resource: 'nodes' }, 'metadata.namespace', 'field label not supported: metadata.namespace'],
  [
    'configmaps use the default conversion wording',
    { group: '', resource: 'configmaps' },
    'data.x',
    '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
  ],
  [
    'apps/v1 replicasets do not accept status.replicas',
    { group: 'apps', resource: 'replicasets' },
    'status.replicas',
    '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
  ],
  [
    'events.k8s.io events accept only metadata fields',
    { group: 'events.k8s.io', resource: 'events' },
    'regarding.name',
    '"regarding.name" is not a known field selector: only "metadata.name", "metadata.namespace"',
  ],
];
for (const [name, gr, field, message] of rejections) {
  test(`validateFieldSelector: ${name}`, () => {
    assert.throws(
      () => validateFieldSelector(gr, [{ field, operator: '=', value: 'x' }]),
      (e: unknown) => e instanceof ApiError && e.reason === 'BadRequest' && e.message === message,
    );
  });
}

test('validateFieldSelector accepts the fields kubectl drain sends', () => {
  const reqs = parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed');
  assert.deepEqual(validateFieldSelector(pods, reqs), reqs);
});

test('validateFieldSelector maps the legacy spec.host to spec.nodeName', () => {
  assert.deepEqual(validateFieldSelector(pods, [{ field: 'spec.host', operator: '=', value: 'n1' }]), [
    { field: 'spec.nodeName', operator: '=', value: 'n1' },
  ]);
});

test('validateFieldSelector accepts the fields kubectl describe sends for events', () => {
  const reqs = parseFieldSelector('involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=Pod,involvedObject.uid=u1');
  assert.equal(validateFieldSelector({ group: '', resource: 'events' }, reqs).length, 4);
});

test('fieldsOf a pod exposes upstream selectable fields with defaults', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', containers: [] },
    status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }] },
  };
  assert.deepEqual(fieldsOf(pods, pod), {
    'metadata.name': 'web',
    'metadata.namespace': 'default',
    'spec.nodeName': 'n1',
    'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': 'default',
    'spec.hostNetwork': 'false',
    'status.phase': 'Running',
    'status.podIP': '10.0.0.5',
    'status.nominatedNodeName': '',
  });
});

test('fieldsOf a node has no namespace and prints unschedulable as a bool', () => {
  assert.deepEqual(fieldsOf({ group: '', resource: 'nodes' }, { metadata: { name: 'n1' }, spec: { unschedulable: true } }), {
    'metadata.name': 'n1',
    'spec.unschedulable': 'true',
  });
});

test('fieldsOf an event falls back to reportingComponent for source', () => {
  const ev = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web' }, reportingComponent: 'kubelet', type: 'Normal' };
  const f = fieldsOf({ group: '', resource: 'events' }, ev);
  assert.equal(f.source, 'kubelet');
  assert.equal(f['involvedObject.kind'], 'Pod');
  assert.equal(f['involvedObject.uid'], '');
});

test('fieldsOf an events.k8s.io event uses the core field names', () => {
  const ev = { metadata: { name: 'e', namespace: 'default' }, regarding: { kind: 'Pod', name: 'web' }, reportingController: 'kubelet', eventTime: '2024-01-01T00:00:00.000000Z' };
  const f = fieldsOf({ group: 'events.k8s.io', resource: 'events' }, ev);
  assert.equal(f['involvedObject.name'], 'web');
  assert.equal(f.reportingComponent, 'kubelet');
});

test('fieldsOf a namespace keeps the legacy name field', () => {
  const f = fieldsOf({ group: '', resource: 'namespaces' }, { metadata: { name: 'kube-system' }, status: { phase: 'Active' } });
  assert.deepEqual(f, { 'metadata.name': 'kube-system', 'status.phase': 'Active', name: 'kube-system' });
});

const matches: Array<[string, string, Record<string, string>, boolean]> = [
  ['an equality holds on an equal value', 'spec.nodeName=n1', { 'spec.nodeName': 'n1' }, true],
  ['an equality fails on another value', 'spec.nodeName=n1', { 'spec.nodeName': 'n2' }, false],
  ['a not-equals holds on another value', 'status.phase!=Failed', { 'status.phase': 'Running' }, true],
  ['all terms must hold', 'spec.nodeName=n1,status.phase!=Running', { 'spec.nodeName': 'n1', 'status.phase': 'Running' }, false],
  ['a missing field reads as empty', 'spec.nodeName=', {}, true],
  ['an empty selector matches everything', '', {}, true],
];
for (const [name, sel, fields, want] of matches) {
  test(`matchesFields: ${name}`, () => assert.equal(matchesFields(parseFieldSelector(sel), fields), want));
}
