import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../api/errors.js';
import { chooseContainer } from './container-choice.js';

function pod(containers: string[], init: string[] = [], annotation?: string): Pod {
  return {
    metadata: { name: 'web', ...(annotation ? { annotations: { 'kubectl.kubernetes.io/default-container': annotation } } : {}) },
    spec: { containers: containers.map((name) => ({ name })), ...(init.length ? { initContainers: init.map((name) => ({ name })) } : {}) },
  };
}

const table: Array<[string, Pod, string | undefined, string]> = [
  ['the only container', pod(['app']), undefined, 'app'],
  ['a named container', pod(['a', 'b']), 'b', 'b'],
  ['a named init container', pod(['a'], ['setup']), 'setup', 'setup'],
  ['the annotated default', pod(['a', 'b'], [], 'b'), undefined, 'b'],
  ['an annotation naming no container is ignored', pod(['a', 'b'], [], 'zzz'), undefined, 'error: a container name must be specified for pod web, choose one of: [a b]'],
  ['several containers, none named', pod(['a', 'b'], ['init']), '', 'error: a container name must be specified for pod web, choose one of: [init a b]'],
  ['an unknown container', pod(['a']), 'b', 'error: container b is not valid for pod web'],
  ['no containers', pod([]), undefined, 'error: a container name must be specified for pod web'],
];
for (const [name, p, requested, want] of table) {
  test(name, () => {
    try {
      assert.equal(chooseContainer(p, requested), want);
    } catch (err) {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 400);
      assert.equal(`error: ${err.message}`, want);
    }
  });
}
