import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { placeholderServiceAccountToken, projectedPayload, projectedReferences } from './projected.js';

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { a: 'b' } }, spec: { serviceAccountName: 'robot', nodeName: 'node-1', containers: [] } };

test('projected merges configMap, secret, downwardAPI and token files with the volume defaultMode', () => {
  const src = {
    defaultMode: 0o440,
    sources: [
      { configMap: { name: 'cm', items: [{ key: 'k', path: 'cm/k' }] } },
      { secret: { name: 's', items: [{ key: 'pw', path: 'pw', mode: 0o400 }] } },
      { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
    ],
  };
  assert.deepEqual(projectedReferences(src), { configMaps: ['cm'], secrets: ['s'] });
  const r = projectedPayload(src, pod, {
    configMaps: new Map([['cm', { data: { k: 'v' } }]]),
    secrets: new Map([['s', { data: { pw: Buffer.from('hunter2').toString('base64') } }]]),
    now: 1_700_000_000_000,
  });
  assert.ok('payload' in r, JSON.stringify(r));
  const got = Object.fromEntries([...r.payload].map(([k, v]) => [k, [k === 'token' ? 'jwt' : v.data.toString(), v.mode]]));
  assert.deepEqual(got, { 'cm/k': ['v', 0o440], pw: ['hunter2', 0o400], labels: ['a="b"', 0o440], token: ['jwt', 0o440] });
});

test('a missing non-optional source fails the volume; an optional one is skipped', () => {
  const inputs = { configMaps: new Map([['gone', undefined]]), secrets: new Map() };
  assert.deepEqual(projectedPayload({ sources: [{ configMap: { name: 'gone' } }] }, pod, inputs), { error: 'configmap "gone" not found' });
  const ok = projectedPayload({ sources: [{ configMap: { name: 'gone', optional: true } }] }, pod, inputs);
  assert.ok('payload' in ok && ok.payload.size === 0);
});

test('the placeholder token is an unsigned JWT with the bound claims', () => {
  const tok = placeholderServiceAccountToken(pod, { path: 't', audience: 'vault', expirationSeconds: 600 }, 1_700_000_000_000);
  const [h, c, sig] = tok.split('.');
  assert.equal(sig, '');
  assert.deepEqual(JSON.parse(Buffer.from(h!, 'base64url').toString()), { alg: 'none', typ: 'JWT' });
  const claims = JSON.parse(Buffer.from(c!, 'base64url').toString());
  assert.equal(claims.sub, 'system:serviceaccount:ns:robot');
  assert.deepEqual(claims.aud, ['vault']);
  assert.equal(claims.exp - claims.iat, 600);
  assert.equal(claims['kubernetes.io'].pod.name, 'p');
});
