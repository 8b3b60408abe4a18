import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { containerEnv, envReferences, envVarNameFor, EnvVarError, podFieldValue, resourceFieldValue, serviceEnvMap, serviceEnvVars, type EnvInputs } from './envvars.js';

function svc(namespace: string, name: string, clusterIP: string, ports: Array<{ port: number; name?: string; protocol?: string }>): Service {
  return { metadata: { namespace, name }, spec: { clusterIP, ports } };
}

const kubernetes = svc('default', 'kubernetes', '127.96.0.1', [{ port: 443, name: 'https', protocol: 'TCP' }]);

describe('serviceEnvVars', () => {
  test('writes host, port, named ports and docker link variables in upstream order', () => {
    const got = serviceEnvVars([svc('default', 'redis-master', '127.96.0.11', [{ port: 6379 }, { port: 53, name: 'dns-udp', protocol: 'UDP' }])]);
    assert.deepEqual(
      got.map((e) => `${e.name}=${e.value}`),
      [
        'REDIS_MASTER_SERVICE_HOST=127.96.0.11',
        'REDIS_MASTER_SERVICE_PORT=6379',
        'REDIS_MASTER_SERVICE_PORT_DNS_UDP=53',
        'REDIS_MASTER_PORT=tcp://127.96.0.11:6379',
        'REDIS_MASTER_PORT_6379_TCP=tcp://127.96.0.11:6379',
        'REDIS_MASTER_PORT_6379_TCP_PROTO=tcp',
        'REDIS_MASTER_PORT_6379_TCP_PORT=6379',
        'REDIS_MASTER_PORT_6379_TCP_ADDR=127.96.0.11',
        'REDIS_MASTER_PORT_53_UDP=udp://127.96.0.11:53',
        'REDIS_MASTER_PORT_53_UDP_PROTO=udp',
        'REDIS_MASTER_PORT_53_UDP_PORT=53',
        'REDIS_MASTER_PORT_53_UDP_ADDR=127.96.0.11',
      ],
    );
  });

  const names: Array<[string, string]> = [
    ['web', 'WEB'],
    ['my-svc.v2', 'MY_SVC_V2'],
    ['3scale', '_3SCALE'],
  ];
  for (const [name, want] of names) test(`names ${name} as ${want}`, () => assert.equal(envVarNameFor(name), want));

  test('skips headless and IP-less Services', () => {
    assert.deepEqual(serviceEnvVars([svc('default', 'headless', 'None', [{ port: 80 }]), svc('default', 'pending', '', [{ port: 80 }])]), []);
  });
});

describe('serviceEnvMap', () => {
  const all = [kubernetes, svc('default', 'web', '127.96.0.20', [{ port: 80 }]), svc('other', 'db', '127.96.0.30', [{ port: 5432 }]), svc('other', 'kubernetes', '127.96.0.99', [{ port: 1 }])];
  const table: Array<{ name: string; ns: string; links: boolean; has: string[]; hasNot: string[] }> = [
    { name: 'same namespace plus the master service', ns: 'default', links: true, has: ['WEB_SERVICE_HOST', 'KUBERNETES_SERVICE_HOST'], hasNot: ['DB_SERVICE_HOST'] },
    { name: 'another namespace sees its own', ns: 'other', links: true, has: ['DB_SERVICE_HOST', 'KUBERNETES_SERVICE_HOST'], hasNot: ['WEB_SERVICE_HOST'] },
    { name: 'enableServiceLinks false keeps only the master service', ns: 'other', links: false, has: ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_PORT_443_TCP'], hasNot: ['DB_SERVICE_HOST'] },
  ];
  for (const t of table) {
    test(t.name, () => {
      const m = serviceEnvMap(all, t.ns, t.links);
      for (const k of t.has) assert.ok(m.has(k), `${k} missing`);
      for (const k of t.hasNot) assert.ok(!m.has(k), `${k} present`);
      // A namespace's own `kubernetes` Service never shadows the API server's.
      assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '127.96.0.1');
      assert.equal(m.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
    });
  }
});

const pod: Pod = {
  metadata: { name: 'web-0', namespace: 'default', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'x"y' } },
  spec: {
    nodeName: 'node-1',
    serviceAccountName: 'default',
    containers: [{ name: 'app', image: 'agnhost', resources: { limits: { memory: '128Mi', cpu: '1500m' }, requests: { cpu: '250m' } } }],
  },
};
const addr = { podIP: '127.128.1.5', hostIP: '127.0.1.1' };

describe('podFieldValue', () => {
  const table: Array<[string, string]> = [
    ['metadata.name', 'web-0'],
    ['metadata.namespace', 'default'],
    ['metadata.uid', 'u-1'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['note']", 'x"y'],
    ['metadata.labels', 'app="web"\ntier="front"'],
    ['spec.nodeName', 'node-1'],
    ['spec.serviceAccountName', 'default'],
    ['status.hostIP', '127.0.1.1'],
    ['status.podIP', '127.128.1.5'],
    ['status.podIPs', '127.128.1.5'],
  ];
  for (const [path, want] of table) test(path, () => assert.equal(podFieldValue(pod, path, addr), want));
  test('an unsupported path is an error', () => assert.throws(() => podFieldValue(pod, 'spec.hostname', addr), EnvVarError));
});

describe('resourceFieldValue', () => {
  const c = pod.spec!.containers[0]!;
  const table: Array<[string, string | undefined, string]> = [
    ['limits.memory', undefined, String(128 * 1024 * 1024)],
    ['limits.memory', '1Mi', '128'],
    ['limits.cpu', undefined, '2'],
    ['limits.cpu', '1m', '1500'],
    ['requests.cpu', '1m', '250'],
    ['requests.memory', undefined, '0'],
    ['limits.ephemeral-storage', '1Gi', '100'],
  ];
  for (const [resource, divisor, want] of table) {
    test(`${resource} / ${divisor ?? '1'} = ${want}`, () => assert.equal(resourceFieldValue(pod, c, { resource, ...(divisor ? { divisor } : {}) }), want));
  }
  test('an unset limit falls back to the node allocatable', () => {
    assert.equal(resourceFieldValue(pod, { name: 'x' }, { resource: 'limits.memory', divisor: '1Gi' }, { memory: '32Gi' }), '32');
  });
});

describe('containerEnv', () => {
  const cm: ConfigMap = { metadata: { name: 'cfg', namespace: 'default' }, data: { MODE: 'prod', 'bad key': 'x', LEVEL: 'debug' } };
  const secret: Secret = { metadata: { name: 'creds', namespace: 'default' }, data: { password: Buffer.from('s3cret').toString('base64') } };
  const inputs = (over: Partial<EnvInputs> = {}): EnvInputs => ({
    ...addr,
    services: [kubernetes, svc('default', 'db', '127.96.0.40', [{ port: 5432 }])],
    sources: { configMaps: new Map([['cfg', cm]]), secrets: new Map([['creds', secret]]) },
    ...over,
  });
  const run = (c: Partial<Container>, over?: Partial<EnvInputs>): Map<string, string> => {
    const { env } = containerEnv(pod, { name: 'app', ...c }, inputs(over));
    return new Map(env.map((e) => [e.name, e.value]));
  };

  const table: Array<{ name: string; c: Partial<Container>; want: Record<string, string | undefined> }> = [
    { name: 'plain values', c: { env: [{ name: 'A', value: 'one' }] }, want: { A: 'one' } },
    { name: 'references to earlier variables expand', c: { env: [{ name: 'A', value: 'one' }, { name: 'B', value: '$(A)-two' }] }, want: { B: 'one-two' } },
    { name: 'references to later variables stay', c: { env: [{ name: 'B', value: '$(A)-two' }, { name: 'A', value: 'one' }] }, want: { B: '$(A)-two' } },
    { name: 'references to service variables expand', c: { env: [{ name: 'DB', value: '$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)' }] }, want: { DB: '127.96.0.40:5432' } },
    { name: '$$ escapes', c: { env: [{ name: 'A', value: '$$(HOME)' }] }, want: { A: '$(HOME)' } },
    { name: 'fieldRef', c: { env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }, want: { NODE: 'node-1', IP: '127.128.1.5' } },
    { name: 'fieldRef values are not expanded', c: { env: [{ name: 'A', value: 'x' }, { name: 'N', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } }] }, want: { N: 'x"y' } },
    { name: 'resourceFieldRef', c: { resources: { limits: { memory: '64Mi' } }, env: [{ name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } }] }, want: { MEM: '64' } },
    { name: 'configMapKeyRef', c: { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } }] }, want: { M: 'prod' } },
    { name: 'secretKeyRef decodes base64', c: { env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] }, want: { P: 's3cret' } },
    { name: 'optional missing key leaves the variable unset', c: { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } }] }, want: { M: undefined } },
    { name: 'optional missing ConfigMap leaves the variable unset', c: { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'gone', key: 'x', optional: true } } }] }, want: { M: undefined } },
    { name: 'envFrom with prefix', c: { envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }] }, want: { CFG_MODE: 'prod', CFG_LEVEL: 'debug' } },
    { name: 'env overrides envFrom', c: { envFrom: [{ configMapRef: { name: 'cfg' } }], env: [{ name: 'MODE', value: 'dev' }] }, want: { MODE: 'dev' } },
    { name: 'env references envFrom', c: { envFrom: [{ configMapRef: { name: 'cfg' } }], env: [{ name: 'X', value: '$(LEVEL)!' }] }, want: { X: 'debug!' } },
    { name: 'envFrom secret', c: { envFrom: [{ secretRef: { name: 'creds' } }] }, want: { password: 's3cret' } },
    { name: 'optional missing envFrom is skipped', c: { envFrom: [{ configMapRef: { name: 'gone', optional: true } }] }, want: { MODE: undefined } },
    { name: 'container env wins over service variables', c: { env: [{ name: 'DB_SERVICE_HOST', value: 'mine' }] }, want: { DB_SERVICE_HOST: 'mine', DB_SERVICE_PORT: '5432' } },
    { name: 'service variables are present', c: {}, want: { KUBERNETES_SERVICE_HOST: '127.96.0.1', KUBERNETES_PORT: 'tcp://127.96.0.1:443', DB_PORT_5432_TCP_ADDR: '127.96.0.40' } },
  ];
  for (const t of table) {
    test(t.name, () => {
      const env = run(t.c);
      for (const [k, v] of Object.entries(t.want)) assert.equal(env.get(k), v, k);
    });
  }

  test('declared variables come first, in order, then the service variables', () => {
    const { env } = containerEnv(pod, { name: 'app', env: [{ name: 'Z', value: '1' }, { name: 'A', value: '2' }] }, inputs());
    assert.deepEqual(env.slice(0, 2).map((e) => e.name), ['Z', 'A']);
    assert.equal(env[2]!.name, 'DB_SERVICE_HOST');
  });

  test('enableServiceLinks: false drops the namespace services but keeps kubernetes', () => {
    const p: Pod = { ...pod, spec: { ...pod.spec!, enableServiceLinks: false } };
    const { env } = containerEnv(p, { name: 'app' }, inputs());
    const names = env.map((e) => e.name);
    assert.ok(names.includes('KUBERNETES_SERVICE_HOST'));
    assert.ok(!names.includes('DB_SERVICE_HOST'));
  });

  test('invalid envFrom keys are skipped with a warning event', () => {
    const { env, warnings } = containerEnv(pod, { name: 'app', envFrom: [{ configMapRef: { name: 'cfg' } }] }, inputs());
    assert.ok(!env.some((e) => e.name === 'bad key'));
    assert.deepEqual(warnings, [
      { reason: 'InvalidEnvironmentVariableNames', message: 'Keys [bad key] from the EnvFrom configMap default/cfg were skipped since they are considered invalid environment variable names.' },
    ]);
  });

  const errors: Array<[string, Partial<Container>, string]> = [
    ['missing ConfigMap', { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'gone', key: 'x' } } }] }, 'configmap "gone" not found'],
    ['missing key', { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }] }, "couldn't find key nope in ConfigMap default/cfg"],
    ['missing Secret', { env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'gone', key: 'x' } } }] }, 'secret "gone" not found'],
    ['missing secret key', { env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } }] }, "couldn't find key user in Secret default/creds"],
    ['missing envFrom', { envFrom: [{ secretRef: { name: 'gone' } }] }, 'secret "gone" not found'],
  ];
  for (const [name, c, msg] of errors) {
    test(`error: ${name}`, () => assert.throws(() => run(c), (err: unknown) => err instanceof EnvVarError && err.message === msg && err.reason === 'CreateContainerConfigError'));
  }

  test('envReferences lists what to fetch', () => {
    assert.deepEqual(
      envReferences({
        name: 'c',
        envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's1' } }],
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'b', key: 'k' } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 's1', key: 'k' } } }, { name: 'Z', value: 'v' }],
      }),
      { configMaps: ['a', 'b'], secrets: ['s1'] },
    );
  });
});
