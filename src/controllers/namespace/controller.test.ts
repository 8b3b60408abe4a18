import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceAction, namespacedContent } from './controller.js';

test('namespace action: only a deleting namespace with the kubernetes finalizer is finalized', () => {
  const table: Array<[string, Parameters<typeof namespaceAction>[0], string]> = [
    ['missing', undefined, 'ignore'],
    ['active', { metadata: { name: 'a' }, spec: { finalizers: ['kubernetes'] } }, 'ignore'],
    ['deleting', { metadata: { name: 'a', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { finalizers: ['kubernetes'] } }, 'finalize'],
    ['already finalized', { metadata: { name: 'a', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { finalizers: [] } }, 'ignore'],
  ];
  for (const [name, ns, want] of table) assert.equal(namespaceAction(ns), want, name);
});

test('namespaced content lists each storage once (core and events.k8s.io events share one)', () => {
  const names = namespacedContent().map((r) => `${r.group}/${r.resource}`);
  assert.equal(names.filter((n) => n.endsWith('/events')).length, 1);
  assert.ok(names.includes('/pods') && names.includes('apps/daemonsets'));
  assert.ok(!names.includes('/namespaces') && !names.includes('/nodes'));
});
