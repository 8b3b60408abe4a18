import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { kubeletLogQuery, podLogOptions } from './log-options.js';

const table: Array<[string, string]> = [
  ['container=app&follow=true&tailLines=10', 'follow=true&tailLines=10'],
  ['previous=1&timestamps=true&limitBytes=100', 'previous=true&timestamps=true&limitBytes=100'],
  ['sinceSeconds=60', 'sinceSeconds=60'],
  ['sinceTime=2024-01-01T00:00:00Z', 'sinceTime=2024-01-01T00%3A00%3A00Z'],
  ['', ''],
];
for (const [query, kubelet] of table) {
  test(`?${query} reaches the kubelet as ?${kubelet}`, () => assert.equal(kubeletLogQuery(podLogOptions(new URLSearchParams(query), 'web')), kubelet));
}

const errors: Array<[string, number, string]> = [
  ['tailLines=-1', 422, 'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'],
  ['limitBytes=0', 422, 'PodLogOptions "web" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
  ['sinceSeconds=0', 422, 'PodLogOptions "web" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'],
  ['sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z', 422, 'PodLogOptions "web" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified'],
  ['tailLines=-1&limitBytes=0', 422, 'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]'],
  ['tailLines=x', 400, 'invalid value for tailLines: "x" is not an integer'],
  ['sinceTime=yesterday', 400, 'invalid value for sinceTime: "yesterday" is not an RFC 3339 time'],
];
for (const [query, code, message] of errors) {
  test(`?${query} is refused with ${code}`, () => {
    assert.throws(() => podLogOptions(new URLSearchParams(query), 'web'), (err: unknown) => err instanceof ApiError && err.code === code && err.message === message);
  });
}
