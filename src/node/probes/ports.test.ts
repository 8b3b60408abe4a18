import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbePortError, resolveProbePort } from './ports.js';

const c = { ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] };
const ok: Array<[number | string, number]> = [
  [80, 80],
  ['http', 8080],
  ['443', 443],
];
for (const [port, want] of ok) test(`resolves ${JSON.stringify(port)} to ${want}`, () => assert.equal(resolveProbePort(port, c), want));

const bad: Array<number | string | undefined> = ['metrics', 0, 70000, undefined, -1];
for (const port of bad) test(`refuses ${JSON.stringify(port)}`, () => assert.throws(() => resolveProbePort(port, c), ProbePortError));
