import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { builtinImageName, resolveBuiltinImage } from './index.js';

describe('builtinImageName', () => {
  const cases: [string, string | undefined][] = [
    ['registry.k8s.io/e2e-test-images/agnhost:2.53', 'agnhost'],
    ['registry.k8s.io/e2e-test-images/agnhost:2.39', 'agnhost'],
    ['k8s.gcr.io/e2e-test-images/agnhost:2.32', 'agnhost'],
    ['gcr.io/kubernetes-e2e-test-images/agnhost:2.8', 'agnhost'],
    ['registry.k8s.io/e2e-test-images/agnhost@sha256:3a6c1b5a9c4f0e2b7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e', 'agnhost'],
    ['registry.k8s.io/e2e-test-images/agnhost:2.53@sha256:3a6c1b5a9c4f0e2b7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e', 'agnhost'],
    ['localhost:5000/e2e-test-images/agnhost:2.53', 'agnhost'],
    ['agnhost', 'agnhost'],
    ['agnhost:2.53', 'agnhost'],
    ['docker.io/library/agnhost:latest', 'agnhost'],
    ['registry.k8s.io/pause:3.10', 'pause'],
    ['registry.k8s.io/pause', 'pause'],
    ['k8s.gcr.io/pause:3.9', 'pause'],
    ['k8s.gcr.io/pause', 'pause'],
    ['gcr.io/google_containers/pause-amd64:3.1', 'pause'],
    ['pause', 'pause'],
    ['nginx', undefined],
    ['nginx:1.25', undefined],
    ['myagnhost', undefined],
    ['registry.k8s.io/e2e-test-images/agnhost-2:2.53', undefined],
    ['agnhost/nginx:1', undefined],
    ['registry.k8s.io/pause-foo:1', undefined],
    ['busybox', undefined],
    ['', undefined],
    ['registry.k8s.io//agnhost', undefined],
  ];
  for (const [image, want] of cases) {
    test(`${JSON.stringify(image)} is ${want ?? 'not built in'}`, () => {
      assert.equal(builtinImageName(image), want);
    });
  }
});

describe('resolveBuiltinImage', () => {
  test('agnhost starts its main file with this process node and the loader it needs, and defaults to CMD pause', () => {
    const img = resolveBuiltinImage('registry.k8s.io/e2e-test-images/agnhost:2.53')!;
    assert.equal(img.name, 'agnhost');
    assert.equal(img.entrypoint[0], process.execPath);
    const main = img.entrypoint[img.entrypoint.length - 1]!;
    assert.ok(isAbsolute(main) && existsSync(main), `entrypoint file ${main} should exist`);
    assert.match(main, /[\\/]agnhost[\\/]main\.(ts|js)$/);
    if (main.endsWith('.ts')) {
      const i = img.entrypoint.indexOf('--import');
      assert.ok(i > 0, `a .ts entrypoint needs a loader: ${img.entrypoint.join(' ')}`);
      assert.match(img.entrypoint.slice(1, -1).join(' '), /tsx/);
      for (const a of img.entrypoint.slice(1, -1)) assert.ok(!/^(tsx|\.)/.test(a), `loader flag ${a} must not depend on the working directory`);
    }
    assert.deepEqual(img.cmd, ['pause']);
    assert.deepEqual(img.binaries, ['/agnhost', 'agnhost']);
  });

  test('pause has its own program, no CMD, and the /pause binary', () => {
    const img = resolveBuiltinImage('registry.k8s.io/pause:3.10')!;
    assert.equal(img.name, 'pause');
    assert.match(img.entrypoint[img.entrypoint.length - 1]!, /[\\/]pause[\\/]main\.(ts|js)$/);
    assert.deepEqual(img.cmd, []);
    assert.deepEqual(img.binaries, ['/pause', 'pause']);
  });

  test('other images are not built in', () => {
    assert.equal(resolveBuiltinImage('nginx'), undefined);
    assert.equal(resolveBuiltinImage('myagnhost'), undefined);
  });

  test('each call returns fresh arrays, so a caller cannot change what the next one gets', () => {
    const a = resolveBuiltinImage('agnhost')!;
    a.entrypoint.push('x');
    a.cmd.push('y');
    const b = resolveBuiltinImage('agnhost')!;
    assert.notEqual(b.entrypoint[b.entrypoint.length - 1], 'x');
    assert.deepEqual(b.cmd, ['pause']);
  });
});
