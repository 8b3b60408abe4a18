import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, isSchedulerName, SCHEDULER_NAMES } from './index.js';
import { hash32 } from './hash-table.js';
import { ipv4ToInt } from '../address.js';

describe('createScheduler', () => {
  test('makes a scheduler of every name it accepts', () => {
    for (const name of SCHEDULER_NAMES) assert.equal(createScheduler(name).name, name);
  });
  test('recognises scheduler names', () => {
    assert.equal(isSchedulerName('lc'), true);
    assert.equal(isSchedulerName('wlc'), false);
    assert.equal(isSchedulerName(undefined), false);
  });
  test('hash32 is the kernel hash_32 (multiply by 0x61C88647, top bits)', () => {
    assert.equal(hash32(ipv4ToInt('127.96.0.10')), 101);
    assert.equal(hash32(0), 0);
    assert.equal(hash32(1, 32), 0x61c88647);
  });
});
