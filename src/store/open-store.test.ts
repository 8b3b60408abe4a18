import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../test/helpers/etcd.js';
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
    await assert.rejects(openStore('mysql://127.0.0.1:3306', dir), /"mysql:\/\/127\.0\.0\.1:3306" is not supported; use one of: memory, sqlite, sqlite:\/\/\/abs\/path\.db, etcd:\/\/host:port\[,host:port…\]/);
    await assert.rejects(openStore('sqlite://relative.db', dir), /must be absolute/);
  });

  it('refuses a malformed etcd URL, and names the endpoints of an etcd it cannot reach', async () => {
    await assert.rejects(openStore('etcd://', dir), /"etcd:\/\/": it names no endpoint; write it as etcd:\/\/host:port/);
    await assert.rejects(openStore('etcd://127.0.0.1', dir), /"127\.0\.0\.1" is not host:port/);
    const port = await freePort();
    await assert.rejects(openStore(`etcd://127.0.0.1:${port}`, dir), new RegExp(`cannot open the etcd store: etcd at http://127\\.0\\.0\\.1:${port} did not answer: .*; start etcd there or pass another --store`));
  });
});
