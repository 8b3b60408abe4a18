import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport, writeResults, type BenchResults } from './report.js';
import { failedRow, makeRow } from './row.js';

const rows = [
  makeRow({ group: 'dns', measure: 'queries/s', skiff: 200, unit: '/s', peer: 100, peerName: 'dnsmasq', better: 'higher', minRatio: 1 }),
  makeRow({ group: 'dns', measure: 'p99', skiff: 2, unit: 'ms', max: 1, note: 'sampled under load' }),
  failedRow('proxy', 'data path', 'peer unavailable: haproxy'),
];

describe('formatReport', () => {
  const out = formatReport(rows).split('\n');
  test('starts with the six columns the issue names', () => assert.match(out[0]!, /^measure\s+skiff\s+peer \(name\)\s+ratio\s+goal\s+met$/));
  test('groups rows under a [group] line', () => {
    assert.equal(out[2], '[dns]');
    assert.ok(out.includes('[proxy]'));
  });
  test('shows the peer with its name, the oriented ratio and whether the goal was met', () => {
    const line = out.find((l) => l.startsWith('queries/s'))!;
    assert.match(line, /200\/s\s+100\/s \(dnsmasq\)\s+2\.00x\s+>= 1\.0x dnsmasq\s+yes$/);
  });
  test('a missed goal reads NO, a row without peer shows a dash, notes are numbered', () => {
    const line = out.find((l) => l.startsWith('p99'))!;
    assert.match(line, /^p99 \[1\]\s+2\.00 ms\s+—\s+<= 1\.00 ms\s+NO$/);
    assert.ok(out.includes('[1] sampled under load'));
  });
  test('a failed row reads n/a and says why in a numbered note', () => {
    assert.ok(out.some((l) => /^data path \[2\]\s+n\/a\s+—$/.test(l)));
    assert.ok(out.includes('[2] peer unavailable: haproxy'));
  });
});

describe('writeResults', () => {
  test('writes latest.json and a timestamped copy, NaN as null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-report-'));
    try {
      const results: BenchResults = {
        startedAt: '2026-01-02T03:04:05.000Z',
        durationSeconds: 1,
        quick: true,
        args: ['--quick'],
        machine: { cpus: 2, cpuModel: 'x', totalMemMB: 1, loadAverage: [0], platform: 'linux', node: 'v20', gitCommit: 'abc', gitDirty: false },
        rows,
      };
      const paths = writeResults(dir, results);
      assert.deepEqual(paths, [join(dir, 'latest.json'), join(dir, '2026-01-02T03-04-05.000Z.json')]);
      const back = JSON.parse(readFileSync(paths[0]!, 'utf8')) as BenchResults;
      assert.equal(back.rows[2]!.skiff, null);
      assert.equal(back.rows[0]!.ratio, 2);
      assert.equal(readFileSync(paths[1]!, 'utf8'), readFileSync(paths[0]!, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
