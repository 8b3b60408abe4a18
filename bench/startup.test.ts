import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { processTree, readyNodes } from './startup.js';

describe('readyNodes', () => {
  test('counts only nodes whose STATUS is exactly Ready', () => {
    const out = ['node-1   Ready      <none>   3s   v1.30.0', 'node-2   NotReady   <none>   3s   v1.30.0', 'node-3   Ready,SchedulingDisabled   <none>   3s   v1.30.0', ''].join('\n');
    assert.deepEqual(readyNodes(out), ['node-1']);
  });
  test('empty output has no Ready nodes', () => assert.deepEqual(readyNodes(''), []));
});

describe('processTree', () => {
  test('walks children and grandchildren', () => {
    const children = new Map([[1, [2, 3]], [3, [4]], [9, [10]]]);
    assert.deepEqual(processTree(1, children).sort(), [1, 2, 3, 4]);
  });
});
