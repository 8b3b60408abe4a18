import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ensurePki } from '../apiserver/auth/pki.js';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../api/errors.js';
import { findResource } from '../api/resources.js';
import { Client, type KubeObject, type WatchEvent } from './client.js';
import { HttpTransport, LineSplitter } from './transport.js';

const T = { timeout: 5000 };

/** Resolves `p` or rejects after `ms`, so no test can hang. */
function within<V>(p: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

describe('HttpTransport against a real HTTP server', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler = (_req, res) => res.end();
  let transport: HttpTransport;

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, res, Buffer.concat(chunks).toString()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    transport = new HttpTransport({ server: base, token: 's3cret' });
  });

  after(async () => {
    transport.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('request sends method, path, query, headers and body, and returns the response', T, async () => {
    let seen: { method?: string; url?: string; auth?: string; accept?: string; ct?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, accept: req.headers.accept, ct: req.headers['content-type'], body };
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    };
    const res = await transport.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', query: { dryRun: 'All', skip: undefined, n: 3 }, body: '{"a":1}' });
    assert.equal(res.status, 201);
    assert.equal(res.body.toString(), '{"ok":true}');
    assert.deepEqual(seen, {
      method: 'POST',
      url: '/api/v1/namespaces/default/pods?dryRun=All&n=3',
      auth: 'Bearer s3cret',
      accept: 'application/json',
      ct: 'application/json',
      body: '{"a":1}',
    });
  });

  test('stream delivers lines split across chunks, including a split UTF-8 character', T, async () => {
    const euro = Buffer.from('€'); // 3 bytes
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const parts: Buffer[] = [
        Buffer.from('{"type":"ADDED","object":{"n":"a'),
        Buffer.concat([euro.subarray(0, 1)]),
        Buffer.concat([euro.subarray(1), Buffer.from('"}}\n{"type":')]),
        Buffer.from('"DELETED","object":{}}\n\n{"type":"BOOKMARK","object":{}}'),
      ];
      let i = 0;
      const next = (): void => {
        if (i < parts.length) {
          res.write(parts[i++]);
          setTimeout(next, 5);
        } else res.end();
      };
      next();
    };
    const lines: string[] = [];
    await within(transport.stream({ method: 'GET', path: '/w' }, (l) => lines.push(l), new AbortController().signal), 3000, 'stream end');
    assert.deepEqual(lines, ['{"type":"ADDED","object":{"n":"a€"}}', '{"type":"DELETED","object":{}}', '{"type":"BOOKMARK","object":{}}']);
  });

  test('a Status error becomes an ApiError with the same reason, code, message and details', T, async () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "web" not found',
      reason: 'NotFound',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 404,
    };
    handler = (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status));
    };
    const client = new Client(transport);
    const err = await client.resource('apps', 'v1', 'deployments').get('default', 'web').catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.code, 404);
    assert.equal(err.message, 'deployments.apps "web" not found');
    assert.deepEqual(err.details, status.details);
  });

  test('a non-Status error body is mapped by its HTTP code', T, async () => {
    handler = (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found');
    };
    const err = await new Client(transport).resource('', 'v1', 'services').create('default', { metadata: { name: 'x' } }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.message, 'the server could not find the requested resource (post services)');
  });

  test('stream rejects with an ApiError on a non-2xx answer', T, async () => {
    handler = (_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Forbidden', message: 'no', code: 403 }));
    };
    const err = await within(
      transport.stream({ method: 'GET', path: '/w' }, () => {}, new AbortController().signal).catch((e: unknown) => e),
      3000,
      'stream error',
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'Forbidden');
  });

  test('a watch ERROR event with a 410 Status rejects with ApiError Expired', T, async () => {
    handler = (req, res) => {
      assert.match(req.url ?? '', /watch=true/);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}}\n');
      res.write('{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}\n');
      // Leave the stream open: the client must stop on its own.
    };
    const events: Array<WatchEvent<KubeObject>> = [];
    const pods = new Client(transport).resource(findResource('', 'v1', 'pods')!);
    const err = await within(
      pods.watch('default', { resourceVersion: '1' }, (e) => events.push(e), new AbortController().signal).catch((e: unknown) => e),
      3000,
      'watch error',
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'Expired');
    assert.equal(err.code, 410);
    assert.equal(events.length, 1);
  });

  test('a connection dropped mid-stream rejects the stream', T, async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const lines: string[] = [];
    const err = await within(
      transport.stream({ method: 'GET', path: '/w' }, (l) => lines.push(l), new AbortController().signal).catch((e: unknown) => e),
      3000,
      'stream rejects',
    );
    assert.ok(err instanceof Error);
    assert.deepEqual(lines, ['{"type":"ADDED","object":{}}']);
  });

  test('aborting a stream resolves it and closes the connection', T, async () => {
    let serverSawClose!: () => void;
    const sawClose = new Promise<void>((r) => (serverSawClose = r));
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"BOOKMARK","object":{}}\n');
      res.on('close', () => serverSawClose());
      started();
    };
    const ac = new AbortController();
    const lines: string[] = [];
    const streaming = transport.stream({ method: 'GET', path: '/w' }, (l) => lines.push(l), ac.signal);
    await within(isStarted, 3000, 'server got the request');
    ac.abort();
    await within(streaming, 3000, 'stream resolves on abort');
    await within(sawClose, 3000, 'server sees the socket close');
    assert.equal(lines.length <= 1, true);
  });
});

describe('HttpTransport over HTTPS (secure-mode API server)', () => {
  let server: https.Server;
  let base: string;
  let ca: string;
  let dir: string;
  const seen: Array<string | undefined> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-transport-tls-'));
    const pki = await ensurePki(dir, { host: '127.0.0.1', hostname: 'test-host' });
    ca = pki.caCert;
    server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"major":"1"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('trusts the given CA and sends the bearer token', T, async () => {
    const t = new HttpTransport({ server: base, ca, token: 'tok' });
    try {
      const res = await t.request({ method: 'GET', path: '/version' });
      assert.equal(res.status, 200);
      assert.equal(seen.at(-1), 'Bearer tok');
    } finally {
      t.close();
    }
  });

  test('refuses a server whose CA it was not given, unless told to skip verification', T, async () => {
    const strict = new HttpTransport({ server: base });
    const skip = new HttpTransport({ server: base, insecureSkipTLSVerify: true });
    try {
      await assert.rejects(strict.request({ method: 'GET', path: '/version' }), (e: NodeJS.ErrnoException) => /CERT|SELF_SIGNED|UNABLE_TO/.test(e.code ?? ''));
      assert.equal((await skip.request({ method: 'GET', path: '/version' })).status, 200);
    } finally {
      strict.close();
      skip.close();
    }
  });

  test('Client.fromKubeconfig honours certificate-authority-data and token', T, async () => {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 's', cluster: { server: base, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
        users: [{ name: 's', user: { token: 'from-kubeconfig' } }],
        contexts: [{ name: 's', context: { cluster: 's', user: 's' } }],
        'current-context': 's',
      }),
    );
    const client = await Client.fromKubeconfig(path);
    try {
      assert.deepEqual(await client.raw({ method: 'GET', path: '/version' }), { major: '1' });
      assert.equal(seen.at(-1), 'Bearer from-kubeconfig');
    } finally {
      (client.transport as HttpTransport).close();
    }
  });
});

describe('LineSplitter', () => {
  test('emits complete lines, drops blank ones and strips CR', () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l));
    s.push(Buffer.from('a\r\n\nb'));
    s.push(Buffer.from('c\nd'));
    assert.deepEqual(out, ['a', 'bc']);
    s.end();
    assert.deepEqual(out, ['a', 'bc', 'd']);
  });
});
