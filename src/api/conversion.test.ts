import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from './resources.js';
import { fromStorage, toStorage } from './conversion.js';

const core = findResource('', 'v1', 'events')!;
const ev1 = findResource('events.k8s.io', 'v1', 'events')!;

test('events.k8s.io events are stored in the core shape and read back unchanged', () => {
  const e = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, regarding: { kind: 'Pod', name: 'p' }, note: 'hi', reason: 'Started', reportingController: 'kubelet', deprecatedCount: 2 };
  const stored = toStorage(ev1, e);
  assert.deepEqual(stored, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p' }, message: 'hi', reason: 'Started', reportingComponent: 'kubelet', count: 2 });
  assert.deepEqual(fromStorage(ev1, stored), e);
});

test('resources without a shared storage are not converted', () => {
  const o = { apiVersion: 'v1', kind: 'Event', message: 'x' };
  assert.equal(toStorage(core, o), o);
  assert.equal(fromStorage(core, o), o);
});
