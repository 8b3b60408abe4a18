import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { applyDefaults } from '../defaults/index.js';
import { invalid } from '../errors.js';
import { renderFieldError, validateCreate, validateUpdate } from './index.js';

/** A defaulted Service in namespace `ns`, as the registry would validate it. */
function svc(name: string, spec: Service['spec'], extra: Partial<Service> = {}): Service {
  const s: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: structuredClone(spec), ...extra };
  applyDefaults('v1', 'Service', s);
  return s;
}
const messages = (s: Service): string[] => validateCreate('v1', 'Service', s).map(renderFieldError);

test('a plain ClusterIP service with one port is valid', () => {
  assert.deepEqual(messages(svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] })), []);
});

test('nodePort on a ClusterIP service is forbidden with the kubectl-visible message (svc-04)', () => {
  const s = svc('np-clusterip', { type: 'ClusterIP', selector: { app: 'x' }, ports: [{ port: 80, nodePort: 30080 }] });
  const err = invalid('Service', 'np-clusterip', validateCreate('v1', 'Service', s));
  assert.equal(err.message, "Service \"np-clusterip\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  assert.equal(err.code, 422);
});

test('clusterIP None on a NodePort service is rejected on clusterIPs[0] (svc-08)', () => {
  const s = svc('hl-np', { type: 'NodePort', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'hl' }, ports: [{ port: 80 }] });
  assert.ok(messages(s).includes("spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"));
});

test('two unnamed ports both need names (svc-11)', () => {
  const s = svc('noname', { selector: { app: 'multi' }, ports: [{ port: 80 }, { port: 81 }] });
  assert.deepEqual(messages(s), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
});

test('a repeated port name is a duplicate value (svc-11)', () => {
  const s = svc('dupname', { selector: { app: 'multi' }, ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] });
  assert.deepEqual(messages(s), ['spec.ports[1].name: Duplicate value: "http"']);
});

test('the same port and protocol twice is a duplicate printed as Go does', () => {
  const s = svc('dup', { selector: { a: 'b' }, ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] });
  assert.deepEqual(messages(s), [
    'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ]);
});

const tableCases: [string, Service['spec'], string[]][] = [
  ['no ports', { selector: { a: 'b' } }, ['spec.ports: Required value']],
  [
    'port 0',
    { ports: [{ port: 0 }] },
    ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive'],
  ],
  ['bad protocol', { ports: [{ port: 80, protocol: 'ICMP' }] }, ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']],
  ['bad type', { type: 'Magic', ports: [{ port: 80 }] }, ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
  [
    'bad session affinity',
    { sessionAffinity: 'Sticky', ports: [{ port: 80 }] },
    ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'],
  ],
  [
    'affinity timeout too long',
    { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 90000 } }, ports: [{ port: 80 }] },
    ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400'],
  ],
  ['ExternalName without a name', { type: 'ExternalName' }, ['spec.externalName: Required value']],
  [
    'ExternalName that is not a DNS name',
    { type: 'ExternalName', externalName: 'Foo_bar' },
    [
      "spec.externalName: Invalid value: \"Foo_bar\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
  ],
  ['headless without selector needs no ports', { clusterIP: 'None', clusterIPs: ['None'] }, []],
  [
    'named targetPort with bad characters',
    { ports: [{ port: 80, targetPort: 'HTTP' }] },
    ['spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'spec.ports[0].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)'],
  ],
  [
    'externalTrafficPolicy on ClusterIP',
    { externalTrafficPolicy: 'Local', ports: [{ port: 80 }] },
    ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
  ],
];
for (const [what, spec, want] of tableCases) {
  test(`a service with ${what} gives ${want.length} error(s)`, () => {
    assert.deepEqual(messages(svc('s', spec)), want);
  });
}

test('a Service name must be a DNS-1035 label', () => {
  assert.deepEqual(messages(svc('1web', { ports: [{ port: 80 }] })), [
    "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
});

test('changing an allocated ClusterIP to None may not change once set (svc-08)', () => {
  const old = svc('not-hl', { selector: { app: 'hl' }, ports: [{ port: 80 }], clusterIP: '127.96.0.5', clusterIPs: ['127.96.0.5'] });
  const next = structuredClone(old);
  next.spec!.clusterIP = 'None';
  next.spec!.clusterIPs = ['None'];
  const msgs = validateUpdate('v1', 'Service', next, old).map(renderFieldError);
  assert.ok(msgs.includes('spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set'), msgs.join('\n'));
});

test('an update that keeps the ClusterIP is valid', () => {
  const old = svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }], clusterIP: '127.96.0.5', clusterIPs: ['127.96.0.5'] });
  const next = structuredClone(old);
  next.spec!.selector = { app: 'web2' };
  assert.deepEqual(validateUpdate('v1', 'Service', next, old), []);
});
