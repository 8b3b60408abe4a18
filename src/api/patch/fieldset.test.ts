import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../../test/helpers/prng.js';
import { difference, emptySet, fromFieldsV1, insertPath, intersection, isEmptyFieldsV1, isEmptySet, isSubset, overlaps, overlapsFieldsV1, toFieldsV1, type FieldNode } from './fieldset.js';

test('overlaps and isSubset on a status set against a spec owner', () => {
  const spec = fromFieldsV1({ 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });
  const status = fromFieldsV1({ 'f:status': { 'f:phase': {}, 'f:podIP': {} } });
  assert.equal(overlaps(spec, status), false);
  assert.equal(overlaps(spec, fromFieldsV1({ 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } })), true);
  // A parent owned as a whole does not overlap a field below it: membership is per path.
  assert.equal(overlaps(fromFieldsV1({ 'f:metadata': { 'f:labels': {} } }), fromFieldsV1({ 'f:metadata': { 'f:labels': { 'f:app': {} } } })), false);
  assert.equal(isSubset(fromFieldsV1({ 'f:status': { 'f:phase': {} } }), status), true);
  assert.equal(isSubset(status, fromFieldsV1({ 'f:status': { 'f:phase': {} } })), false);
  assert.equal(isSubset(emptySet(), status), true);
});

/** A random set over a small alphabet of path elements, so random pairs share paths often. */
function randomSet(rand: () => number): FieldNode {
  const set = emptySet();
  const elements = ['f:a', 'f:b', 'f:c', 'k:{"name":"x"}', 'i:0'];
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) {
    const path: string[] = [];
    const depth = 1 + Math.floor(rand() * 3);
    for (let d = 0; d < depth; d++) path.push(elements[Math.floor(rand() * elements.length)]!);
    insertPath(set, path);
  }
  return set;
}

test('overlaps and isSubset agree with intersection and difference on random sets', () => {
  const rand = prng(40213);
  for (let i = 0; i < 5000; i++) {
    const a = randomSet(rand);
    const b = randomSet(rand);
    assert.equal(overlaps(a, b), !isEmptySet(intersection(a, b)), `overlaps, case ${i}`);
    assert.equal(overlaps(a, b), overlaps(b, a), `overlaps is symmetric, case ${i}`);
    assert.equal(isSubset(a, b), isEmptySet(difference(a, b)), `isSubset, case ${i}`);
  }
});

test('overlapsFieldsV1 and isEmptyFieldsV1 read a fieldsV1 value as fromFieldsV1 would', () => {
  const rand = prng(7311);
  // Besides well-formed values, ones fromFieldsV1 reads leniently: a "." at the root, non-object leaves.
  const odd: unknown[] = [{}, { '.': {} }, { 'f:a': 1 }, { 'f:a': { 'f:b': null } }, { 'f:a': { '.': {}, 'f:b': 'x' } }, 'text', null, []];
  for (let i = 0; i < 5000; i++) {
    const raw: unknown = i < odd.length * 50 ? odd[i % odd.length] : toFieldsV1(randomSet(rand));
    const b = randomSet(rand);
    const set = fromFieldsV1(raw);
    assert.equal(overlapsFieldsV1(raw, b), overlaps(set, b), `overlaps, case ${i}: ${JSON.stringify(raw)}`);
    assert.equal(isEmptyFieldsV1(raw), isEmptySet(set), `isEmpty, case ${i}: ${JSON.stringify(raw)}`);
  }
  const rootMember = fromFieldsV1({ '.': {} });
  assert.equal(overlapsFieldsV1({ '.': {} }, rootMember), overlaps(rootMember, rootMember));
});
