import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialProbeValue, probeStep, type ProbeKind, type ProbeRunState, type ProbeThresholds } from './thresholds.js';

function fold(kind: ProbeKind, t: ProbeThresholds, results: boolean[]): { published: Array<boolean | undefined>; state: ProbeRunState } {
  let state: ProbeRunState = { run: 0, onHold: false };
  const published: Array<boolean | undefined> = [];
  for (const r of results) {
    const out = probeStep(state, r, kind, t);
    state = out.state;
    published.push(out.publish);
  }
  return { published, state };
}

const table: Array<{ name: string; kind: ProbeKind; t: ProbeThresholds; results: boolean[]; want: Array<boolean | undefined>; hold?: boolean }> = [
  { name: 'readiness: one success is enough by default', kind: 'readiness', t: {}, results: [true], want: [true] },
  { name: 'readiness: three failures by default', kind: 'readiness', t: {}, results: [false, false, false], want: [undefined, undefined, false] },
  { name: 'readiness: a success resets the failure run', kind: 'readiness', t: {}, results: [false, false, true, false, false], want: [undefined, undefined, true, undefined, undefined] },
  { name: 'readiness: successThreshold 2', kind: 'readiness', t: { successThreshold: 2 }, results: [true, true, true], want: [undefined, true, true] },
  { name: 'readiness: keeps publishing failures past the threshold', kind: 'readiness', t: { failureThreshold: 1 }, results: [false, false], want: [false, false] },
  { name: 'liveness: failure after the threshold puts the worker on hold', kind: 'liveness', t: { failureThreshold: 2 }, results: [false, false], want: [undefined, false], hold: true },
  { name: 'startup: failure threshold 1', kind: 'startup', t: { failureThreshold: 1 }, results: [false], want: [false], hold: true },
  { name: 'startup: success publishes started', kind: 'startup', t: {}, results: [false, true], want: [undefined, true] },
];
for (const t of table) {
  test(t.name, () => {
    const { published, state } = fold(t.kind, t.t, t.results);
    assert.deepEqual(published, t.want);
    assert.equal(state.onHold, t.hold ?? false);
  });
}

test('initial values: readiness false, liveness true, startup unknown', () => {
  assert.deepEqual([initialProbeValue('readiness'), initialProbeValue('liveness'), initialProbeValue('startup')], [false, true, undefined]);
});
