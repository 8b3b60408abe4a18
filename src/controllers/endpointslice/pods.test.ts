import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { findPort, hasSelector, selectorMatches, servicesToUpdateOnPodChange, shouldPodBeInEndpoints } from './pods.js';

function svc(name: string, selector?: Record<string, string>): Service {
  return { metadata: { name, namespace: 'ns' }, spec: { selector } };
}

function pod(labels: Record<string, string>, o: { rv?: string; ready?: boolean; ip?: string; deleting?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', labels, resourceVersion: o.rv ?? '1', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }] },
    status: { phase: o.phase ?? 'Running', podIP: o.ip ?? '127.128.0.1', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

describe('selectors', () => {
  test('nil and empty selectors select nothing', () => {
    assert.equal(hasSelector(svc('a')), false);
    assert.equal(hasSelector(svc('a', {})), false);
    assert.equal(selectorMatches(svc('a', {}), { app: 'x' }), false);
    assert.equal(selectorMatches(svc('a', { app: 'x' }), { app: 'x', extra: 'y' }), true);
    assert.equal(selectorMatches(svc('a', { app: 'x', t: 'y' }), { app: 'x' }), false);
  });
});

describe('shouldPodBeInEndpoints', () => {
  const cases: Array<[string, Pod, boolean, boolean]> = [
    ['running with IP', pod({}), false, true],
    ['no IP', pod({}, { ip: '' }), true, false],
    ['succeeded', pod({}, { phase: 'Succeeded' }), true, false],
    ['failed', pod({}, { phase: 'Failed' }), true, false],
    ['terminating, excluded', pod({}, { deleting: true }), false, false],
    ['terminating, included', pod({}, { deleting: true }), true, true],
  ];
  for (const [name, p, incl, want] of cases) test(name, () => assert.equal(shouldPodBeInEndpoints(p, incl), want));
});

describe('findPort', () => {
  const p = pod({});
  const cases: Array<[string, Parameters<typeof findPort>[1], number | undefined]> = [
    ['number', { port: 80, targetPort: 9376 }, 9376],
    ['defaults to port', { port: 80 }, 80],
    ['named TCP', { port: 80, targetPort: 'http', protocol: 'TCP' }, 8080],
    ['named UDP', { port: 53, targetPort: 'dns', protocol: 'UDP' }, 53],
    ['named, wrong protocol', { port: 53, targetPort: 'dns', protocol: 'TCP' }, undefined],
    ['unknown name', { port: 80, targetPort: 'nope' }, undefined],
  ];
  for (const [name, sp, want] of cases) test(name, () => assert.equal(findPort(p, sp), want));
});

describe('servicesToUpdateOnPodChange', () => {
  const services = [svc('a', { app: 'a' }), svc('b', { app: 'b' }), svc('ab', { tier: 't' })];
  const cases: Array<[string, Pod, Pod, string[]]> = [
    ['same resourceVersion: nothing', pod({ app: 'a' }), pod({ app: 'a' }, { ready: false }), []],
    ['irrelevant change: nothing', pod({ app: 'a' }), pod({ app: 'a' }, { rv: '2' }), []],
    ['readiness: current services', pod({ app: 'a', tier: 't' }), pod({ app: 'a', tier: 't' }, { rv: '2', ready: false }), ['ns/a', 'ns/ab']],
    ['relabel only: symmetric difference', pod({ app: 'a', tier: 't' }), pod({ app: 'b', tier: 't' }, { rv: '2' }), ['ns/a', 'ns/b']],
    ['relabel and readiness: union', pod({ app: 'a', tier: 't' }), pod({ app: 'b', tier: 't' }, { rv: '2', ready: false }), ['ns/a', 'ns/ab', 'ns/b']],
    ['deletion started', pod({ app: 'a' }), pod({ app: 'a' }, { rv: '2', deleting: true }), ['ns/a']],
  ];
  for (const [name, o, n, want] of cases) test(name, () => assert.deepEqual([...servicesToUpdateOnPodChange(services, o, n)].sort(), want));
});
