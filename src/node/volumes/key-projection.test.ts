import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyToPath } from 'kubernetes-types/core/v1.js';
import { configMapData, projectKeys, secretData, type KeyData, type KeySourceKind } from './key-projection.js';

const data: KeyData = new Map([
  ['app.conf', Buffer.from('x=1')],
  ['other', Buffer.from('y')],
]);

interface Case {
  name: string;
  kind?: KeySourceKind;
  data?: KeyData;
  source: { items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  want: Record<string, [string, number]> | string;
}

const cases: Case[] = [
  { name: 'every key with the default mode 0644', data, source: {}, want: { 'app.conf': ['x=1', 0o644], other: ['y', 0o644] } },
  { name: 'defaultMode applies to every key', data, source: { defaultMode: 0o400 }, want: { 'app.conf': ['x=1', 0o400], other: ['y', 0o400] } },
  {
    name: 'items pick keys, paths and modes',
    data,
    source: { defaultMode: 0o440, items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'other', path: 'o' }] },
    want: { 'conf/app.conf': ['x=1', 0o600], o: ['y', 0o440] },
  },
  { name: 'a missing item key is an error', data, source: { items: [{ key: 'nope', path: 'n' }] }, want: 'configmap references non-existent config key: nope' },
  { name: 'a missing secret key is worded as upstream', kind: 'secret', data, source: { items: [{ key: 'nope', path: 'n' }] }, want: 'references non-existent secret key: nope' },
  { name: 'optional skips a missing item key', data, source: { optional: true, items: [{ key: 'nope', path: 'n' }, { key: 'other', path: 'o' }] }, want: { o: ['y', 0o644] } },
  { name: 'a missing configmap is an error', source: {}, want: 'configmap "src" not found' },
  { name: 'a missing secret is an error', kind: 'secret', source: {}, want: 'secret "src" not found' },
  { name: 'an optional missing object gives an empty volume', source: { optional: true }, want: {} },
];

describe('projectKeys', () => {
  for (const c of cases) {
    test(c.name, () => {
      const r = projectKeys(c.kind ?? 'configmap', 'src', c.data, c.source);
      if (typeof c.want === 'string') {
        assert.deepEqual(r, { error: c.want });
        return;
      }
      assert.ok('payload' in r, JSON.stringify(r));
      const got = Object.fromEntries([...r.payload].map(([k, v]) => [k, [v.data.toString(), v.mode]]));
      assert.deepEqual(got, c.want);
    });
  }
});

test('configMapData reads data as UTF-8 and binaryData as base64', () => {
  const d = configMapData({ data: { a: 'ä' }, binaryData: { b: Buffer.from([0, 1, 2]).toString('base64') } });
  assert.equal(d.get('a')!.toString('utf8'), 'ä');
  assert.deepEqual([...d.get('b')!], [0, 1, 2]);
});

test('secretData decodes data from base64 and takes stringData as is', () => {
  const d = secretData({ data: { p: Buffer.from('s3cret').toString('base64') }, stringData: { u: 'admin' } });
  assert.equal(d.get('p')!.toString(), 's3cret');
  assert.equal(d.get('u')!.toString(), 'admin');
});
