import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { DownwardAPIVolumeFile, Pod } from 'kubernetes-types/core/v1.js';
import { downwardAPIPayload, needsAllocatable } from './downward-api.js';

const pod: Pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { tier: 'front', app: 'web' }, annotations: { 'build/id': '42' } },
  spec: {
    nodeName: 'node-1',
    containers: [{ name: 'app', image: 'x', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } } }, { name: 'side', image: 'y' }],
  },
};

const cases: Array<{ name: string; item: DownwardAPIVolumeFile; want: string }> = [
  { name: 'metadata.name', item: { path: 'n', fieldRef: { fieldPath: 'metadata.name' } }, want: 'web-0' },
  { name: 'metadata.namespace', item: { path: 'n', fieldRef: { fieldPath: 'metadata.namespace' } }, want: 'shop' },
  { name: 'metadata.uid', item: { path: 'n', fieldRef: { fieldPath: 'metadata.uid' } }, want: 'u-1' },
  { name: 'labels sorted as key="value" lines', item: { path: 'n', fieldRef: { fieldPath: 'metadata.labels' } }, want: 'app="web"\ntier="front"' },
  { name: 'annotations', item: { path: 'n', fieldRef: { fieldPath: 'metadata.annotations' } }, want: 'build/id="42"' },
  { name: 'one label', item: { path: 'n', fieldRef: { fieldPath: "metadata.labels['tier']" } }, want: 'front' },
  { name: 'cpu limit rounded up to cores', item: { path: 'n', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } }, want: '1' },
  { name: 'cpu limit in millicores', item: { path: 'n', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } }, want: '500' },
  { name: 'memory limit in Mi', item: { path: 'n', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }, want: '128' },
  { name: 'cpu request', item: { path: 'n', resourceFieldRef: { containerName: 'app', resource: 'requests.cpu', divisor: '1m' } }, want: '250' },
  { name: 'unset limit falls back to node allocatable', item: { path: 'n', resourceFieldRef: { containerName: 'side', resource: 'limits.cpu' } }, want: '4' },
];

describe('downwardAPIPayload', () => {
  for (const c of cases) {
    test(c.name, () => {
      const r = downwardAPIPayload([c.item], pod, 0o644, { cpu: '4', memory: '8Gi' });
      assert.ok('payload' in r, JSON.stringify(r));
      assert.equal(r.payload.get('n')!.data.toString(), c.want);
    });
  }

  test('item mode wins over defaultMode', () => {
    const r = downwardAPIPayload(
      [
        { path: 'a', mode: 0o600, fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'b', fieldRef: { fieldPath: 'metadata.name' } },
      ],
      pod,
      0o440,
    );
    assert.ok('payload' in r);
    assert.equal(r.payload.get('a')!.mode, 0o600);
    assert.equal(r.payload.get('b')!.mode, 0o440);
  });

  test('fields a volume may not use, and unknown containers, are errors', () => {
    assert.deepEqual(downwardAPIPayload([{ path: 'a', fieldRef: { fieldPath: 'spec.nodeName' } }], pod), { error: 'unsupported fieldPath: spec.nodeName' });
    assert.deepEqual(downwardAPIPayload([{ path: 'a', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } }], pod), { error: 'container ghost not found' });
  });

  test('needsAllocatable only for limits', () => {
    assert.equal(needsAllocatable([{ path: 'a', resourceFieldRef: { resource: 'requests.cpu' } }]), false);
    assert.equal(needsAllocatable([{ path: 'a', resourceFieldRef: { resource: 'limits.memory' } }]), true);
  });
});
