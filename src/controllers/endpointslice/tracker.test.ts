import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { EndpointSliceTracker } from './tracker.js';

function slice(uid: string, rv: string): EndpointSlice {
  return { addressType: 'IPv4', endpoints: [], metadata: { name: uid, namespace: 'ns', uid, resourceVersion: rv, labels: { 'kubernetes.io/service-name': 'web' } } };
}

describe('EndpointSliceTracker', () => {
  test('a written slice missing from the cache, or older there, is stale', () => {
    const t = new EndpointSliceTracker();
    assert.equal(t.staleSlices('ns/web', 'u1', []), false);
    t.update(slice('a', '10'));
    assert.equal(t.staleSlices('ns/web', 'u1', []), true, 'created but not cached yet');
    assert.equal(t.staleSlices('ns/web', 'u1', [slice('a', '9')]), true, 'cache has an older version');
    assert.equal(t.staleSlices('ns/web', 'u1', [slice('a', '10')]), false);
    assert.equal(t.staleSlices('ns/web', 'u1', [slice('a', '11')]), false, 'someone wrote after us');
  });

  test('a deletion we made is stale until the informer reports it', () => {
    const t = new EndpointSliceTracker();
    t.update(slice('a', '10'));
    t.expectDeletion(slice('a', '10'));
    assert.equal(t.staleSlices('ns/web', 'u1', [slice('a', '10')]), true);
    assert.equal(t.staleSlices('ns/web', 'u1', []), false);
    assert.equal(t.handleDeletion(slice('a', '10')), true, 'expected deletion');
  });

  test('shouldSync ignores events of our own writes only', () => {
    const t = new EndpointSliceTracker();
    assert.equal(t.shouldSync(slice('a', '10')), true, 'unknown slice');
    t.update(slice('a', '10'));
    assert.equal(t.shouldSync(slice('a', '10')), false);
    assert.equal(t.shouldSync(slice('a', '12')), true, 'changed by someone else');
    assert.equal(t.handleDeletion(slice('a', '12')), false, 'deleted by someone else');
  });

  test('a recreated Service (new UID) forgets old writes', () => {
    const t = new EndpointSliceTracker();
    t.staleSlices('ns/web', 'u1', []);
    t.update(slice('a', '10'));
    assert.equal(t.staleSlices('ns/web', 'u2', []), false);
  });
});
