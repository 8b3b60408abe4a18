import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from './open-store.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-open-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens memory', async () => {
    const s = await openStore('memory', dir);
    assert.equal(s.kind, 'memory');
    await s.close();
  });

  it('opens sqlite as <dataDir>/skiff.db', async () => {
    const s = await openStore('sqlite', join(dir, 'data'));
    assert.equal(s.kind, 'sqlite');
    await s.close();
    assert.ok(existsSync(join(dir, 'data', 'skiff.db')));
  });

  it('opens sqlite:///abs/path.db', async () => {
    const path = join(dir, 'other', 'x.db');
    const s = await openStore(`sqlite://${path}`, dir);
    await s.create('/registry/core/pods/default/a', '{}');
    await s.close();
    assert.ok(existsSync(path));
  });

  it('refuses other kinds, naming the supported ones', async () => {
    await assert.rejects(openStore('etcd://127.0.0.1:2379', dir), /"etcd:\/\/127\.0\.0\.1:2379" is not supported; use one of: memory, sqlite, sqlite:\/\/\/abs\/path\.db/);
    await assert.rejects(openStore('sqlite://relative.db', dir), /must be absolute/);
  });
});
