import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { answerUdpCommand, parseListenAddresses } from './udp-command.js';

const client = '127.0.0.1:5000';
const cases: [string, unknown][] = [
  ['hostname', { log: 'Sending udp hostName response', reply: 'pod-a' }],
  ['  HOSTNAME\n', { log: 'Sending udp hostName response', reply: 'pod-a' }],
  ['echo Hello World', { log: `Echoing hello world to UDP client ${client}`, reply: 'hello world' }],
  ['echo ', { log: `Unknown UDP command received from ${client}: echo` }],
  ['clientip', { log: `Sending clientip back to UDP client ${client}`, reply: client }],
  ['what', { log: `Unknown UDP command received from ${client}: what` }],
  ['', {}],
];
for (const [payload, want] of cases) {
  test(`the UDP command ${JSON.stringify(payload)} is answered like upstream`, () => {
    assert.deepEqual(answerUdpCommand(payload, () => 'pod-a', client), want);
  });
}

test('--udp-listen-addresses: empty is the pod IP; a list is de-duplicated and sorted; junk is an error', () => {
  assert.deepEqual(parseListenAddresses('', '127.128.0.5', isIP), ['127.128.0.5']);
  assert.deepEqual(parseListenAddresses('127.0.0.2,127.0.0.1,127.0.0.2', 'x', isIP), ['127.0.0.1', '127.0.0.2']);
  assert.throws(() => parseListenAddresses('127.0.0.1,nope', 'x', isIP), { message: 'parseAddress: invalid address nope' });
});
