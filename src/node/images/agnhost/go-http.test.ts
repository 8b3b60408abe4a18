import { test } from 'node:test';
import assert from 'node:assert/strict';
import { muxCleanPath, redirectLocation, requestURL, sniffContentType } from './go-http.js';

const redirects: [string, string, string][] = [
  ['/redirect', '/echo?msg=foobar', '/echo?msg=foobar'],
  ['/redirect', 'echo?msg=a', '/echo?msg=a'],
  ['/a/b/redirect', '../c/', '/a/c/'],
  ['/redirect', '', '/'],
  ['/redirect', 'http://example.com/x', 'http://example.com/x'],
  ['/redirect', '//example.com/x', '//example.com/x'],
  ['/redirect', '/a//b/./c', '/a/b/c'],
];
for (const [from, loc, want] of redirects) {
  test(`a redirect from ${from} to ${JSON.stringify(loc)} sends Location ${want}`, () => assert.equal(redirectLocation(from, loc), want));
}

const mux: [string, string][] = [
  ['/', '/'],
  ['/echo', '/echo'],
  ['//echo', '/echo'],
  ['/a/../echo', '/echo'],
  ['/dir/', '/dir/'],
  ['/dir//', '/dir/'],
  ['', '/'],
];
for (const [p, want] of mux) {
  test(`ServeMux cleans ${JSON.stringify(p)} to ${want}`, () => assert.equal(muxCleanPath(p), want));
}

test('requestURL keeps a leading double slash as path', () => {
  assert.equal(requestURL('//echo?msg=a').pathname, '//echo');
  assert.equal(requestURL('/echo?msg=a').searchParams.get('msg'), 'a');
});

test('sniffContentType: text, HTML and binary', () => {
  assert.equal(sniffContentType('NOW: 2024'), 'text/plain; charset=utf-8');
  assert.equal(sniffContentType('{"responses":["a"]}'), 'text/plain; charset=utf-8');
  assert.equal(sniffContentType('  <html><body>'), 'text/html; charset=utf-8');
  assert.equal(sniffContentType('<a href="/">Found</a>.'), 'text/html; charset=utf-8');
  assert.equal(sniffContentType('<abc>'), 'text/plain; charset=utf-8');
  assert.equal(sniffContentType(Buffer.from([0, 1, 2])), 'application/octet-stream');
});
