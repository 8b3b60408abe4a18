import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyParts, StoreError } from './errors.js';

describe('keyParts', () => {
  const cases: Array<[string, ReturnType<typeof keyParts>]> = [
    ['/registry/core/services/default/web', { group: '', resource: 'services', namespace: 'default', name: 'web' }],
    ['/registry/apps/daemonsets/kube-system/proxy', { group: 'apps', resource: 'daemonsets', namespace: 'kube-system', name: 'proxy' }],
    ['/registry/core/nodes/n1', { group: '', resource: 'nodes', namespace: undefined, name: 'n1' }],
    ['/elsewhere/x', { group: '', resource: 'keys', namespace: undefined, name: '/elsewhere/x' }],
    ['/registry/core/pods/', { group: '', resource: 'keys', namespace: undefined, name: '/registry/core/pods/' }],
  ];
  for (const [key, want] of cases) it(`reads ${key}`, () => assert.deepEqual(keyParts(key), want));
});

describe('StoreError', () => {
  it('words messages as kube-apiserver does', () => {
    assert.equal(StoreError.keyExists('/registry/core/services/default/x').message, 'services "x" already exists');
    assert.equal(StoreError.keyNotFound('/registry/apps/deployments/default/web').message, 'deployments.apps "web" not found');
    assert.match(StoreError.staleRevision('/registry/core/pods/default/a').message, /^Operation cannot be fulfilled on pods "a": the object has been modified/);
    const gone = StoreError.compacted(3, 10);
    assert.equal(gone.reason, 'Expired');
    assert.equal(gone.code, 410);
    const timeout = StoreError.futureRevision(12, 10);
    assert.equal(timeout.reason, 'Timeout');
    assert.equal(timeout.code, 504);
    assert.equal(timeout.message, 'Too large resource version: 12, current: 10');
  });
});
