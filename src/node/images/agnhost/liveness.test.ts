import { test } from 'node:test';
import assert from 'node:assert/strict';
import { livenessHealth, parseLivenessParams } from './liveness.js';

test('liveness /healthz is healthy for 10 s, then fails with 500', () => {
  assert.deepEqual(livenessHealth(0), { status: 200, body: 'ok' });
  assert.deepEqual(livenessHealth(10), { status: 200, body: 'ok' });
  assert.deepEqual(livenessHealth(10.25), { status: 500, body: 'error: 10.25' });
});

test('liveness endpoint parameters default like upstream and reject non-integers', () => {
  assert.deepEqual(parseLivenessParams(new URLSearchParams('')), { statusCode: 500, sleepSec: 0, bodySize: 0, writeInterval: 0 });
  assert.deepEqual(parseLivenessParams(new URLSearchParams('code=200&time=2&size=1&interval=1')), { statusCode: 200, sleepSec: 2, bodySize: 1, writeInterval: 1 });
  assert.equal(parseLivenessParams(new URLSearchParams('time=x')), `parameter 'time' is invalid: strconv.Atoi: parsing "x": invalid syntax`);
});
