import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageRef, type ImageRef } from './image-ref.js';

const cases: [string, ImageRef | undefined][] = [
  ['nginx', { registry: 'docker.io', path: 'library/nginx', name: 'nginx' }],
  ['nginx:1.25', { registry: 'docker.io', path: 'library/nginx', name: 'nginx', tag: '1.25' }],
  ['user/app:v1', { registry: 'docker.io', path: 'user/app', name: 'app', tag: 'v1' }],
  ['registry.k8s.io/e2e-test-images/agnhost:2.53', { registry: 'registry.k8s.io', path: 'e2e-test-images/agnhost', name: 'agnhost', tag: '2.53' }],
  ['localhost:5000/agnhost', { registry: 'localhost:5000', path: 'agnhost', name: 'agnhost' }],
  ['localhost/agnhost:1', { registry: 'localhost', path: 'agnhost', name: 'agnhost', tag: '1' }],
  ['registry.k8s.io/pause@sha256:abc', { registry: 'registry.k8s.io', path: 'pause', name: 'pause', digest: 'sha256:abc' }],
  ['registry.k8s.io/pause:3.10@sha256:abc', { registry: 'registry.k8s.io', path: 'pause', name: 'pause', tag: '3.10', digest: 'sha256:abc' }],
  ['', undefined],
  ['a//b', undefined],
  ['/agnhost', undefined],
];

for (const [image, want] of cases) {
  test(`parseImageRef(${JSON.stringify(image)})`, () => {
    assert.deepEqual(parseImageRef(image), want);
  });
}
