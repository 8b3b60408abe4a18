import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingAccounts } from './controller.js';

test('an active namespace without a default account needs one; a terminating one does not', () => {
  assert.deepEqual(missingAccounts({ metadata: { name: 'a' }, status: { phase: 'Active' } }, new Set()), ['default']);
  assert.deepEqual(missingAccounts({ metadata: { name: 'a' } }, new Set(['default'])), []);
  assert.deepEqual(missingAccounts({ metadata: { name: 'a' }, status: { phase: 'Terminating' } }, new Set()), []);
  assert.deepEqual(missingAccounts(undefined, new Set()), []);
});
