import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertGolden, GOLDEN_STATES } from '../iptables/golden-fixtures.js';
import { renderNftables } from './render-nftables.js';

describe('renderNftables', () => {
  for (const [name, state] of Object.entries(GOLDEN_STATES)) {
    test(`renders the ${name} state as the golden text`, () => {
      assertGolden(new URL(`./testdata/${name}.nft`, import.meta.url), renderNftables(state, { clusterCIDR: '10.180.0.0/16' }));
    });
  }

  test('names chains like upstream (8-character hash of ns/svc/proto/port)', () => {
    const text = renderNftables(GOLDEN_STATES.clusterip!);
    assert.match(text, /^add chain ip kube-proxy service-ULMVA6XW-ns1\/svc1\/tcp\/p80$/m);
    assert.match(text, /^add chain ip kube-proxy endpoint-5OJB2KTY-ns1\/svc1\/tcp\/p80__10.180.0.1\/80$/m);
  });

  test('declares every chain and set before any rule or element names it', () => {
    const lines = renderNftables(GOLDEN_STATES['affinity-scheduler']!).split('\n');
    const lastDecl = lines.reduce((i, l, n) => (/^add (chain|set|map|table) /.test(l) ? n : i), -1);
    const firstUse = lines.findIndex((l) => /^add (rule|element) /.test(l));
    assert.ok(lastDecl < firstUse, 'declarations come first');
  });
});
