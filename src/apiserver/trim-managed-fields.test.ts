import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trimManagedFields } from './trim-managed-fields.js';

const mf = [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {} } } } } }];

/** What the cut must equal: parse, drop metadata.managedFields, serialize. */
function expected(text: string): string {
  const v = JSON.parse(text) as { object?: { metadata?: Record<string, unknown> }; metadata?: Record<string, unknown> };
  const md = v.object ? v.object.metadata : v.metadata;
  if (md) delete md['managedFields'];
  return JSON.stringify(v);
}

const cases: Array<[string, unknown]> = [
  ['managedFields last in metadata', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u', managedFields: mf }, spec: { a: 1 } }],
  ['managedFields first in metadata', { apiVersion: 'v1', kind: 'Pod', metadata: { managedFields: mf, name: 'p' }, spec: {} }],
  ['managedFields the only member', { apiVersion: 'v1', kind: 'Pod', metadata: { managedFields: mf } }],
  ['managedFields between members', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: mf, labels: { a: 'b' } } }],
  ['a watch event', { type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: mf }, status: { phase: 'Running' } } }],
  ['an annotation quoting the key', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { note: '"managedFields":[1]' }, managedFields: mf } }],
  ['strings with brackets and escapes inside', { apiVersion: 'v1', kind: 'X', metadata: { managedFields: [{ manager: 'a]}\\"[{', fieldsV1: { 'f:x': { '\\': {} } } }], name: 'n' } }],
  ['no managedFields', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { managedFields: [1] } }],
  ['an empty list', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [] } }],
  ['a Status (ERROR event)', { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410 } }],
];

for (const [name, value] of cases) {
  test(`trimManagedFields: ${name}`, () => {
    const text = JSON.stringify(value);
    assert.equal(trimManagedFields(text), expected(text));
  });
}

test('trimManagedFields leaves text it cannot read whole unchanged', () => {
  const cut = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: mf } }).slice(0, 60);
  assert.equal(trimManagedFields(cut), cut);
  assert.equal(trimManagedFields('not json'), 'not json');
});

test('trimManagedFields leaves a managedFields that is not a member of metadata', () => {
  // Only the object's own metadata is cut; a spec field of that name stays.
  const text = JSON.stringify({ apiVersion: 'v1', kind: 'X', metadata: { name: 'n' }, spec: { managedFields: [1, 2] } });
  assert.equal(trimManagedFields(text), text);
});

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('trimManagedFields equals parse, delete and serialize on random objects', () => {
  const r = rng(7);
  const alphabet = ['a', '"', '\\', '[', ']', '{', '}', ',', ':', 'é', '\n', 'f:x', 'k:{"type":"Ready"}', '"managedFields":['];
  const str = (): string => Array.from({ length: Math.floor(r() * 6) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
  const value = (depth: number): unknown => {
    const k = r();
    if (depth > 3 || k < 0.3) return str();
    if (k < 0.4) return Math.floor(r() * 1000);
    if (k < 0.45) return null;
    if (k < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [str(), value(depth + 1)]));
  };
  for (let i = 0; i < 2000; i++) {
    const members: Array<[string, unknown]> = [
      ['name', str()],
      ['annotations', { [str()]: str() }],
      ['labels', { a: str() }],
    ].filter(() => r() < 0.7) as Array<[string, unknown]>;
    if (r() < 0.9) members.splice(Math.floor(r() * (members.length + 1)), 0, ['managedFields', Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({ manager: str(), fieldsV1: value(0) }))]);
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata: Object.fromEntries(members), spec: value(0) };
    const text = JSON.stringify(r() < 0.5 ? obj : { type: 'ADDED', object: obj });
    assert.equal(trimManagedFields(text), expected(text), `case ${i}: ${text}`);
  }
});
