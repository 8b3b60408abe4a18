import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelCodec,
  decodeChannelMessage,
  encodeChannelMessage,
  encodeStatus,
  EXEC_PROTOCOLS,
  execStatus,
  negotiateProtocol,
  parseResize,
  portPrefix,
  STDERR,
  STDIN,
  STDOUT,
} from './channel-protocol.js';

describe('negotiateProtocol', () => {
  const table: Array<[string[], string | undefined]> = [
    [['v5.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v5.channel.k8s.io', 'v4.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v4.channel.k8s.io', 'v5.channel.k8s.io'], 'v4.channel.k8s.io'],
    [['v9.channel.k8s.io', 'channel.k8s.io'], 'channel.k8s.io'],
    [[], ''],
    [['v9.channel.k8s.io'], undefined],
  ];
  for (const [offered, want] of table) test(`${JSON.stringify(offered)} → ${want}`, () => assert.equal(negotiateProtocol(offered, EXEC_PROTOCOLS), want));
});

describe('channelCodec', () => {
  const table: Array<[string, { base64: boolean; statusVersion: number; closeSignal: boolean }]> = [
    ['v5.channel.k8s.io', { base64: false, statusVersion: 4, closeSignal: true }],
    ['v4.channel.k8s.io', { base64: false, statusVersion: 4, closeSignal: false }],
    ['v4.base64.channel.k8s.io', { base64: true, statusVersion: 4, closeSignal: false }],
    ['channel.k8s.io', { base64: false, statusVersion: 1, closeSignal: false }],
    ['base64.channel.k8s.io', { base64: true, statusVersion: 1, closeSignal: false }],
    ['', { base64: false, statusVersion: 1, closeSignal: false }],
  ];
  for (const [protocol, want] of table) {
    test(protocol || '(none)', () => {
      const c = channelCodec(protocol);
      assert.deepEqual({ base64: c.base64, statusVersion: c.statusVersion, closeSignal: c.closeSignal }, want);
    });
  }
});

describe('channel messages round-trip', () => {
  const payloads = [Buffer.alloc(0), Buffer.from('hello\n'), Buffer.from([0, 255, 1, 254])];
  for (const protocol of ['v5.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io']) {
    for (const channel of [STDIN, STDOUT, STDERR]) {
      for (const data of payloads) {
        test(`${protocol} channel ${channel} ${data.length} bytes`, () => {
          const codec = channelCodec(protocol);
          const wire = encodeChannelMessage(codec, channel, data);
          assert.equal(typeof wire === 'string', codec.base64);
          assert.deepEqual(decodeChannelMessage(codec, wire), { kind: 'data', channel, data });
        });
      }
    }
  }
  test('the binary framing is the channel byte then the data', () => {
    assert.deepEqual(encodeChannelMessage(channelCodec('v5.channel.k8s.io'), STDOUT, Buffer.from('hi')), Buffer.from([1, 0x68, 0x69]));
    assert.equal(encodeChannelMessage(channelCodec('base64.channel.k8s.io'), STDERR, Buffer.from('hi')), '2aGk=');
  });
  test('v5 understands the close signal, v4 does not', () => {
    assert.deepEqual(decodeChannelMessage(channelCodec('v5.channel.k8s.io'), Buffer.from([255, 0])), { kind: 'close', channel: 0 });
    assert.deepEqual(decodeChannelMessage(channelCodec('v4.channel.k8s.io'), Buffer.from([255, 0])), { kind: 'data', channel: 255, data: Buffer.from([0]) });
  });
  test('empty messages decode to nothing', () => assert.equal(decodeChannelMessage(channelCodec('v5.channel.k8s.io'), Buffer.alloc(0)), undefined));
});

describe('exec status', () => {
  test('exit code 0 is Success', () => assert.deepEqual(execStatus({ exitCode: 0, command: ['true'] }), { metadata: {}, status: 'Success' }));
  test('a non-zero exit code carries an ExitCode cause kubectl understands', () => {
    const s = execStatus({ exitCode: 3, command: ['sh', '-c', 'echo hi; exit 3'] });
    assert.equal(s.reason, 'NonZeroExitCode');
    assert.deepEqual(s.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
    assert.equal(s.message, 'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 3], exit code 3');
  });
  test('a command that could not run is an internal error', () => {
    const s = execStatus({ error: 'spawn nope ENOENT' });
    assert.equal(s.code, 500);
    assert.equal(s.message, 'Internal error occurred: error executing command in container: spawn nope ENOENT');
  });
  test('v4 writes JSON always; older protocols only the failure message', () => {
    const ok = execStatus({ exitCode: 0, command: ['true'] });
    const bad = execStatus({ exitCode: 2, command: ['false'] });
    assert.deepEqual(JSON.parse(encodeStatus(channelCodec('v4.channel.k8s.io'), ok)!.toString()), ok);
    assert.equal(encodeStatus(channelCodec('channel.k8s.io'), ok), undefined);
    assert.equal(encodeStatus(channelCodec('channel.k8s.io'), bad)!.toString(), bad.message);
  });
});

test('resize messages parse Width and Height', () => {
  assert.deepEqual(parseResize(Buffer.from('{"Width":80,"Height":24}')), { width: 80, height: 24 });
  assert.equal(parseResize(Buffer.from('nope')), undefined);
});

test('a port prefix is two little-endian bytes', () => assert.deepEqual(portPrefix(8080), Buffer.from([0x90, 0x1f])));
