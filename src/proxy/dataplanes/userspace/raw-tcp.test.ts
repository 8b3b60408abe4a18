/**
 * Pins the parts of Node's TCP bindings the proxy's connection path uses
 * (raw-tcp.ts): a Node release that renames or drops one fails here, by name,
 * before any proxy test fails for a reason that is harder to read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectWrap, kArrayBufferOffset, kLastWriteWasAsync, kReadBytesOrError, newSocketHandle, readState, serverHandle, ShutdownWrap, UV_EOF, WriteWrap } from './raw-tcp.js';

test('the TCP handle has every method the connection path calls', () => {
  const h = newSocketHandle();
  for (const m of ['readStart', 'readStop', 'useUserBuffer', 'writeBuffer', 'shutdown', 'connect', 'connect6', 'setNoDelay', 'getpeername', 'close', 'reset'] as const) {
    assert.equal(typeof h[m], 'function', `TCP.prototype.${m}`);
  }
  h.close();
});

test('requests, shared read state and constants are there', () => {
  for (const [name, ctor] of Object.entries({ ConnectWrap, WriteWrap, ShutdownWrap })) assert.equal(typeof ctor, 'function', name);
  assert.ok(readState instanceof Int32Array, 'streamBaseState is an Int32Array');
  for (const [name, i] of Object.entries({ kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync })) assert.ok(Number.isInteger(i) && i >= 0 && i < readState.length, name);
  assert.equal(UV_EOF, -4095);
});

test('a listening net.Server exposes its handle, and accepted connections reach onconnection', async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const h = serverHandle(server)!;
  assert.ok(h, 'net.Server._handle');
  const accepted = new Promise<number>((resolve) => {
    h.onconnection = (status, client) => {
      client?.close();
      resolve(status);
    };
  });
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  c.on('error', () => {});
  assert.equal(await accepted, 0);
  c.destroy();
  await new Promise((r) => server.close(r));
});
