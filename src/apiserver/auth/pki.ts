/**
 * The API server's certificates, under `<data-dir>/pki/` (dir 0700, keys 0600):
 * a self-signed CA `skiff-ca` (ECDSA P-256, 10 years) and a serving
 * certificate it signs for every name clients use to reach the API server.
 * Files are reused on later starts; the serving certificate is regenerated
 * when its names changed, when the CA no longer signs it, or when it expires
 * within 30 days.
 */
import type * as X509 from '@peculiar/x509';
import { X509Certificate as NodeX509, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { isWildcardHost } from './loopback.js';

let x509Loaded: Promise<typeof X509> | undefined;

/**
 * `@peculiar/x509` and the `reflect-metadata` it needs take about 100 ms to
 * load, so only a start that needs certificates (a secure one) loads them.
 */
function loadX509(): Promise<typeof X509> {
  return (x509Loaded ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })());
}

const EC: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/** One subject alternative name of the serving certificate. */
export interface SubjectAltName {
  type: 'dns' | 'ip';
  value: string;
}

/** The PEM files of a data dir's PKI. */
export interface Pki {
  dir: string;
  caCertFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
  caCert: string;
  cert: string;
  key: string;
  /** True when this call wrote the serving certificate (first start, or names changed). */
  servingRegenerated: boolean;
}

export interface ServingNames {
  /** The bind address; included when it is a specific IP or name (not a wildcard, not loopback-implied). */
  host: string;
  /** `--cluster-domain`, default `cluster.local`. */
  clusterDomain?: string;
  /** ClusterIP of the `kubernetes` Service (first IP of the service range). */
  kubernetesServiceIP?: string;
  /** This machine's name; default `os.hostname()`. */
  hostname?: string;
}

/**
 * Every name the serving certificate covers: the host (when specific),
 * 127.0.0.1, ::1, localhost, the `kubernetes` Service names and ClusterIP,
 * and the machine's hostname. Deduplicated, in a stable order.
 *
 * @example servingSANs({ host: '0.0.0.0', kubernetesServiceIP: '127.96.0.1' })
 */
export function servingSANs(n: ServingNames): SubjectAltName[] {
  const domain = n.clusterDomain ?? 'cluster.local';
  const out: SubjectAltName[] = [];
  const add = (value: string | undefined): void => {
    if (!value) return;
    const v = value.replace(/^\[|\]$/g, '');
    const type = isIP(v) ? 'ip' : 'dns';
    if (!out.some((s) => s.type === type && s.value === v)) out.push({ type, value: v });
  };
  if (!isWildcardHost(n.host)) add(n.host);
  for (const v of ['127.0.0.1', '::1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`]) add(v);
  add(n.kubernetesServiceIP);
  add(n.hostname ?? hostname());
  return out;
}

/**
 * Ensures `<dataDir>/pki` holds the CA and a serving certificate for `names`;
 * returns the PEMs for `https.createServer` and for kubeconfigs.
 */
export async function ensurePki(dataDir: string, names: ServingNames): Promise<Pki> {
  const x509 = await loadX509();
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const files = { caCertFile: join(dir, 'ca.crt'), caKeyFile: join(dir, 'ca.key'), certFile: join(dir, 'apiserver.crt'), keyFile: join(dir, 'apiserver.key') };

  let caCertPem: string;
  let caKey: webcrypto.CryptoKey;
  let caRegenerated = false;
  if (existsSync(files.caCertFile) && existsSync(files.caKeyFile)) {
    caCertPem = readFileSync(files.caCertFile, 'utf8');
    caKey = await importKey(readFileSync(files.caKeyFile, 'utf8'), files.caKeyFile);
  } else {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=skiff-ca',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3650 * DAY_MS),
      signingAlgorithm: SIGN,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caCertPem = ca.toString('pem');
    caKey = keys.privateKey;
    writeSecret(files.caKeyFile, await exportKey(keys.privateKey));
    writeFileSync(files.caCertFile, `${caCertPem}\n`, { mode: 0o644 });
    caRegenerated = true;
  }

  const sans = servingSANs(names);
  let servingRegenerated = false;
  if (caRegenerated || !existsSync(files.certFile) || !existsSync(files.keyFile) || !servingStillValid(x509, readFileSync(files.certFile, 'utf8'), caCertPem, sans)) {
    const ca = new x509.X509Certificate(caCertPem);
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=kube-apiserver',
      issuer: ca.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * DAY_MS),
      signingAlgorithm: SIGN,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(sans),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
      ],
    });
    writeSecret(files.keyFile, await exportKey(keys.privateKey));
    writeFileSync(files.certFile, `${cert.toString('pem')}\n`, { mode: 0o644 });
    servingRegenerated = true;
  }
  chmodSync(files.caKeyFile, 0o600);
  chmodSync(files.keyFile, 0o600);
  return {
    dir,
    ...files,
    caCert: readFileSync(files.caCertFile, 'utf8'),
    cert: readFileSync(files.certFile, 'utf8'),
    key: readFileSync(files.keyFile, 'utf8'),
    servingRegenerated,
  };
}

/** Same names, signed by this CA, and more than 30 days left. */
function servingStillValid(x509: typeof X509, certPem: string, caPem: string, sans: SubjectAltName[]): boolean {
  try {
    const node = new NodeX509(certPem);
    const ca = new NodeX509(caPem);
    if (!node.checkIssued(ca) || !node.verify(ca.publicKey)) return false;
    if (new Date(node.validTo).getTime() - Date.now() < 30 * DAY_MS) return false;
    const ext = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
    // Both sides through the same encoder, so address spellings compare equal.
    const want = new x509.SubjectAlternativeNameExtension(sans).names.toJSON();
    return !!ext && JSON.stringify(ext.names.toJSON()) === JSON.stringify(want);
  } catch {
    return false;
  }
}

/** A positive 128-bit serial (high bit clear, first byte non-zero: DER INTEGERs must be positive). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').trim();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string, file: string): Promise<webcrypto.CryptoKey> {
  const m = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  if (!m) throw new Error(`${file}: not a PKCS#8 PEM private key; delete the pki directory to generate a new CA`);
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'), EC, true, ['sign']);
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}
