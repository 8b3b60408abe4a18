import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointChain, portProtoHash } from './chain-names.js';
import { assertGolden, GOLDEN_STATES } from './golden-fixtures.js';
import { chainsOf, renderIptables } from './render-iptables.js';

describe('renderIptables', () => {
  test('chain names hash like upstream servicePortChainName', () => {
    assert.equal(portProtoHash('ns1/svc1:p80', 'tcp'), 'XPGD46QRK7WJZT7O');
    assert.equal(portProtoHash('ns2/svc2:p8080', 'tcp'), '2VJB64SDSIJUP5T6');
    assert.equal(endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
  });

  for (const [name, state] of Object.entries(GOLDEN_STATES)) {
    test(`renders the ${name} state as the golden text`, () => {
      assertGolden(new URL(`./testdata/${name}.iptables`, import.meta.url), renderIptables(state, { clusterCIDR: '10.180.0.0/16' }));
    });
  }

  test('masquerade-all marks every ClusterIP connection', () => {
    const text = renderIptables(GOLDEN_STATES.clusterip!, { masqueradeAll: true });
    assert.match(text, /-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1\/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ\n/);
  });

  test('deletes chains of the previous sync that are gone', () => {
    const before = renderIptables(GOLDEN_STATES.clusterip!);
    const after = renderIptables({ ...GOLDEN_STATES.clusterip!, servicePorts: new Map() }, { existingNatChains: chainsOf(before, 'nat') });
    assert.match(after, /^:KUBE-SVC-XPGD46QRK7WJZT7O - \[0:0\]$/m);
    assert.match(after, /^-X KUBE-SVC-XPGD46QRK7WJZT7O$/m);
    assert.match(after, /^-X KUBE-SEP-SXIVWICOYRO3J4NJ$/m);
    assert.doesNotMatch(after, /-X KUBE-SERVICES/);
  });
});
