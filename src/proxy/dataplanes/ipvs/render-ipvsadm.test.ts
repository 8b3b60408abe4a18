import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertGolden, GOLDEN_STATES } from '../iptables/golden-fixtures.js';
import { IPVS_SCHEDULERS, renderIpvsadm } from './render-ipvsadm.js';

describe('renderIpvsadm', () => {
  for (const [name, state] of Object.entries(GOLDEN_STATES)) {
    test(`renders the ${name} state as the golden text`, () => {
      assertGolden(new URL(`./testdata/${name}.ipvsadm`, import.meta.url), renderIpvsadm(state));
    });
  }

  test('maps every skiff scheduler but random to its IPVS namesake', () => {
    for (const [name, ipvs] of Object.entries(IPVS_SCHEDULERS)) assert.equal(ipvs, name === 'random' ? undefined : name);
  });

  test('every non-comment line is one ipvsadm command', () => {
    for (const line of renderIpvsadm(GOLDEN_STATES['nodeport-loadbalancer']!).trim().split('\n')) {
      assert.ok(line.startsWith('#') || /^ipvsadm -[Aa] (-t|-u|--sctp-service) \S+/.test(line), line);
    }
  });
});
