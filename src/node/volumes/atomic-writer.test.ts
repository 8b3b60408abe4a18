import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadPathError, writeAtomic, type Payload } from './atomic-writer.js';

const root = mkdtempSync(join(tmpdir(), 'skiff-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

function payload(files: Record<string, [string, number]>): Payload {
  return new Map(Object.entries(files).map(([k, [d, mode]]) => [k, { data: Buffer.from(d), mode }]));
}

describe('payloadPathError', () => {
  const cases: Array<[string, string | undefined]> = [
    ['key', undefined],
    ['dir/key', undefined],
    ['..key', 'invalid path: must not start with \'..\': ..key'],
    ['../etc/passwd', "invalid path: must not contain '..': ../etc/passwd"],
    ['a/../../b', "invalid path: must not contain '..': a/../../b"],
    ['/abs', 'invalid path: must be relative path: /abs'],
    ['', 'invalid path: must not be empty: ""'],
    ['x'.repeat(256), 'invalid path: filenames must be less than or equal to 255 characters'],
  ];
  for (const [path, want] of cases) {
    test(`${JSON.stringify(path.slice(0, 20))} → ${want ?? 'ok'}`, () => assert.equal(payloadPathError(path), want));
  }
});

describe('writeAtomic', () => {
  test('lays files out behind a ..data symlink to a timestamped directory', async () => {
    const dir = mkdtempSync(join(root, 'v-'));
    const changed = await writeAtomic(dir, payload({ a: ['1', 0o644], 'sub/b': ['2', 0o600] }), new Date(Date.UTC(2024, 4, 1, 10, 0, 0)));
    assert.equal(changed, true);
    const data = readlinkSync(join(dir, '..data'));
    assert.match(data, /^\.\.2024_05_01_10_00_00\./);
    assert.equal(readlinkSync(join(dir, 'a')), '..data/a');
    assert.equal(readlinkSync(join(dir, 'sub')), '..data/sub');
    assert.equal(readFileSync(join(dir, 'sub/b'), 'utf8'), '2');
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o644);
    assert.equal(statSync(join(dir, 'sub/b')).mode & 0o777, 0o600);
  });

  test('an identical payload changes nothing; a new one swaps ..data and drops removed names', async () => {
    const dir = mkdtempSync(join(root, 'v-'));
    await writeAtomic(dir, payload({ a: ['1', 0o644], b: ['2', 0o644] }));
    const first = readlinkSync(join(dir, '..data'));
    assert.equal(await writeAtomic(dir, payload({ a: ['1', 0o644], b: ['2', 0o644] })), false);
    assert.equal(readlinkSync(join(dir, '..data')), first);

    assert.equal(await writeAtomic(dir, payload({ a: ['changed', 0o644] })), true);
    const second = readlinkSync(join(dir, '..data'));
    assert.notEqual(second, first);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'changed');
    assert.throws(() => lstatSync(join(dir, 'b')), /ENOENT/);
    assert.deepEqual(readdirSync(dir).sort(), ['..data', second, 'a'].sort(), 'the old timestamped directory is gone');
  });

  test('a mode change alone rewrites', async () => {
    const dir = mkdtempSync(join(root, 'v-'));
    await writeAtomic(dir, payload({ a: ['1', 0o644] }));
    assert.equal(await writeAtomic(dir, payload({ a: ['1', 0o400] })), true);
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o400);
  });

  test('an invalid path is refused before anything is written', async () => {
    const dir = mkdtempSync(join(root, 'v-'));
    await assert.rejects(writeAtomic(dir, payload({ '../escape': ['x', 0o644] })), /must not contain '\.\.'/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
