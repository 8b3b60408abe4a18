import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDialQuery, sourceAddressFor } from './dial.js';

const cases: [string, string, unknown][] = [
  ['a full http dial', 'request=hostname&host=10.0.0.1&port=8080&protocol=http&tries=2', { host: '10.0.0.1', port: '8080', request: 'hostname', protocol: 'http', tries: 2 }],
  ['protocol and tries default to http and 1', 'request=hostName&host=h&port=80', { host: 'h', port: '80', request: 'hostName', protocol: 'http', tries: 1 }],
  ['udp, case-insensitively', 'request=echo%20hi&host=h&port=81&protocol=UDP', { host: 'h', port: '81', request: 'echo hi', protocol: 'udp', tries: 1 }],
  ['bad tries come first', 'tries=x&protocol=sctp', { status: 400, message: 'tries parameter is invalid. strconv.Atoi: parsing "x": invalid syntax' }],
  ['a missing request', 'host=h&port=1', { status: 400, message: 'request parameter not specified. <nil>' }],
  ['an unsupported protocol', 'request=hostname&protocol=sctp', { status: 400, message: 'unsupported protocol. sctp' }],
];
for (const [name, query, want] of cases) {
  test(`parseDialQuery: ${name}`, () => assert.deepEqual(parseDialQuery(new URLSearchParams(query)), want));
}

test('a dial between loopback addresses leaves from the pod IP; others leave as the kernel chooses', () => {
  assert.equal(sourceAddressFor('127.96.0.5', '127.128.1.7'), '127.128.1.7');
  assert.equal(sourceAddressFor('127.128.1.7', '127.128.1.7'), '127.128.1.7');
  assert.equal(sourceAddressFor('10.0.0.1', '127.128.1.7'), undefined);
  assert.equal(sourceAddressFor('127.0.0.1', '10.1.2.3'), undefined);
  assert.equal(sourceAddressFor('::1', '127.128.1.7'), undefined);
});
