import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, servingSANs } from './pki.js';

test('serving names: specific host, loopback, kubernetes Service names and IP, hostname', () => {
  const sans = servingSANs({ host: '10.1.2.3', kubernetesServiceIP: '127.96.0.1', clusterDomain: 'example.org', hostname: 'box' });
  assert.deepEqual(sans, [
    { type: 'ip', value: '10.1.2.3' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
    { type: 'dns', value: 'localhost' },
    { type: 'dns', value: 'kubernetes' },
    { type: 'dns', value: 'kubernetes.default' },
    { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'dns', value: 'kubernetes.default.svc.example.org' },
    { type: 'ip', value: '127.96.0.1' },
    { type: 'dns', value: 'box' },
  ]);
  // A wildcard bind is no name a client can use; 127.0.0.1 is not repeated.
  const wild = servingSANs({ host: '0.0.0.0', hostname: 'box' });
  assert.ok(!wild.some((s) => s.value === '0.0.0.0'));
  assert.equal(servingSANs({ host: '127.0.0.1', hostname: 'box' }).filter((s) => s.value === '127.0.0.1').length, 1);
});

test('the CA signs the serving certificate, which covers every name; files are reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  try {
    const names = { host: '0.0.0.0', kubernetesServiceIP: '127.96.0.1', hostname: 'box' };
    const pki = await ensurePki(dir, names);
    assert.equal(pki.servingRegenerated, true);
    const ca = new X509Certificate(pki.caCert);
    const cert = new X509Certificate(pki.cert);
    assert.equal(ca.ca, true);
    assert.match(ca.subject, /CN=skiff-ca/);
    assert.ok(ca.verify(ca.publicKey), 'CA is self-signed');
    assert.ok(cert.checkIssued(ca), 'serving cert issued by the CA');
    assert.ok(cert.verify(ca.publicKey), 'serving cert signature verifies with the CA key');
    assert.equal(cert.ca, false);
    for (const want of ['DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:box', 'IP Address:127.0.0.1', 'IP Address:127.96.0.1']) {
      assert.ok(cert.subjectAltName?.includes(want), `${want} in ${cert.subjectAltName}`);
    }
    assert.ok(cert.checkIP('127.0.0.1') && cert.checkIP('::1') && cert.checkHost('kubernetes.default.svc'));
    assert.ok(new Date(ca.validTo).getTime() - Date.now() > 9 * 365 * 86_400_000, 'CA lives 10 years');
    assert.equal(statSync(join(dir, 'pki')).mode & 0o777, 0o700);
    assert.equal(statSync(pki.caKeyFile).mode & 0o777, 0o600);
    assert.equal(statSync(pki.keyFile).mode & 0o777, 0o600);

    const again = await ensurePki(dir, names);
    assert.equal(again.servingRegenerated, false);
    assert.equal(again.cert, pki.cert);
    assert.equal(again.caCert, pki.caCert);

    const moved = await ensurePki(dir, { ...names, host: '10.9.8.7' });
    assert.equal(moved.servingRegenerated, true, 'new names: new serving cert');
    assert.equal(moved.caCert, pki.caCert, 'same CA');
    const c2 = new X509Certificate(moved.cert);
    assert.ok(c2.checkIP('10.9.8.7'));
    assert.ok(c2.checkIssued(ca) && c2.verify(ca.publicKey));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
