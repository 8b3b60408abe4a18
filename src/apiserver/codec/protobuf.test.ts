import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { decodeK8sProtobuf, protobufKinds } from './protobuf.js';

const FIXTURES = new URL('../../../test/fixtures/protobuf/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

// A tiny encoder for hand-made bodies.
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}
const str = (num: number, s: string | Uint8Array): number[] => {
  const bytes = typeof s === 'string' ? [...Buffer.from(s)] : [...s];
  return [...varint(num * 8 + 2), ...varint(bytes.length), ...bytes];
};
const msg = (num: number, ...fields: number[][]): number[] => str(num, Uint8Array.from(fields.flat()));
const int = (num: number, n: number | bigint): number[] => [...varint(num * 8), ...varint(n)];
function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, apiVersion), str(2, kind)), ...str(2, Uint8Array.from(raw))]);
}

function decodeError(buf: Uint8Array, opts?: Parameters<typeof decodeK8sProtobuf>[1]): ApiError {
  try {
    decodeK8sProtobuf(buf, opts);
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('decodeK8sProtobuf on bodies captured from kubectl 1.32', () => {
  it('decodes `create svc clusterip pbsvc --tcp=80:8080` to the JSON kube-apiserver would show', () => {
    const got = decodeK8sProtobuf(fixture('create-service-clusterip-pbsvc.bin'));
    assert.equal(got.apiVersion, 'v1');
    assert.equal(got.kind, 'Service');
    assert.equal(
      JSON.stringify(got.object),
      '{"apiVersion":"v1","kind":"Service","metadata":{"name":"pbsvc","labels":{"app":"pbsvc"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"pbsvc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}',
    );
  });

  const cases: [string, unknown][] = [
    [
      'POST_api_v1_namespaces.bin',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pbns' }, spec: {}, status: {} },
    ],
    [
      'POST_api_v1_namespaces_default_services.bin',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'x', labels: { app: 'x' } },
        spec: { ports: [{ name: '80-80', protocol: 'TCP', port: 80, targetPort: 80 }], selector: { app: 'x' }, type: 'ClusterIP' },
        status: { loadBalancer: {} },
      },
    ],
    [
      'POST_apis_apps_v1_namespaces_default_deployments.bin',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'pbdep', labels: { app: 'pbdep' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'pbdep' } },
          template: {
            metadata: { labels: { app: 'pbdep' } },
            spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} }] },
          },
          strategy: {},
        },
        status: {},
      },
    ],
    [
      'create-deployment-web.bin',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'agnhost', image: 'agnhost', ports: [{ containerPort: 8080 }], resources: {} }] },
          },
          strategy: {},
        },
        status: {},
      },
    ],
    [
      'create-configmap-cm1.bin',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: '1', b: 'hello', empty: '' } },
    ],
    [
      'create-secret-generic-s1.bin',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { pass: 'czNjcjN0', user: 'YWRtaW4=' } },
    ],
    ['create-serviceaccount-sa1.bin', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } }],
    [
      'create-service-nodeport-x.bin',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'x', labels: { app: 'x' } },
        spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'x' }, type: 'NodePort' },
        status: { loadBalancer: {} },
      },
    ],
    [
      'create-service-externalname-ext.bin',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'ext', labels: { app: 'ext' } },
        spec: { selector: { app: 'ext' }, type: 'ExternalName', externalName: 'example.com' },
        status: { loadBalancer: {} },
      },
    ],
    [
      'create-pdb-pdb1.bin',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb1' },
        spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
        status: {},
      },
    ],
    [
      'create-quota-q1.bin',
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q1' }, spec: { hard: { cpu: '1', memory: '1Gi', pods: '10' } }, status: {} },
    ],
    [
      'create-secret-docker-registry-reg1.bin',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'reg1' },
        data: { '.dockerconfigjson': Buffer.from('{"auths":{"r.io":{"username":"u","password":"p","auth":"dTpw"}}}').toString('base64') },
        type: 'kubernetes.io/dockerconfigjson',
      },
    ],
  ];
  for (const [file, want] of cases) {
    it(`decodes ${file}`, () => {
      assert.deepEqual(decodeK8sProtobuf(fixture(file)).object, want);
    });
  }

  it('keeps replicas: 0 because DeploymentSpec.replicas is a pointer', () => {
    const spec = decodeK8sProtobuf(fixture('create-deployment-zero-replicas.bin')).object.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 0);
  });

  it('decodes every captured fixture without error', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin'));
    assert.ok(files.length >= 20);
    for (const f of files) {
      const { object } = decodeK8sProtobuf(fixture(f));
      assert.equal(typeof (object.metadata as Record<string, unknown>), 'object', f);
    }
  });

  it('lists the generator kinds it understands', () => {
    for (const k of ['v1/Service', 'v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/ServiceAccount', 'v1/Pod', 'apps/v1/Deployment']) {
      assert.ok(protobufKinds().includes(k), k);
    }
  });
});

describe('decodeK8sProtobuf wire semantics', () => {
  it('omits zero non-pointer scalars and empty Time, keeps pointer zeros', () => {
    const raw = [
      ...msg(1, str(1, 'p'), str(2, ''), int(7, 0), msg(8), msg(11, str(1, 'k'), str(2, ''))),
      ...msg(2, str(3, ''), int(13, 0), int(21, 0), int(12, 0)), // restartPolicy "", hostIPC false, automount *bool false, hostNetwork? (11) no
    ];
    const { object } = decodeK8sProtobuf(envelope('v1', 'Pod', raw));
    assert.deepEqual(object, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { k: '' } },
      spec: { automountServiceAccountToken: false },
    });
  });

  it('formats Time as RFC3339 UTC without fractions', () => {
    const raw = msg(1, str(1, 'p'), msg(8, int(1, 1795301468), int(2, 5_000_000)));
    const { object } = decodeK8sProtobuf(envelope('v1', 'Pod', raw));
    assert.deepEqual(object.metadata, { name: 'p', creationTimestamp: '2026-11-21T22:51:08Z' });
  });

  it('reads IntOrString as a number (type 0) or a string (type 1)', () => {
    const port = (t: number[][]) => msg(1, int(3, 80), msg(4, ...t));
    const raw = msg(2, port([int(1, 1), str(3, 'http')]), port([int(1, 0), int(2, 8080)]), port([int(1, 0), int(2, 0)]));
    const spec = decodeK8sProtobuf(envelope('v1', 'Service', raw)).object.spec as { ports: unknown[] };
    assert.deepEqual(spec.ports, [{ port: 80, targetPort: 'http' }, { port: 80, targetPort: 8080 }, { port: 80 }]);
  });

  it('keeps a pointer IntOrString of 0 (maxSurge: 0)', () => {
    const raw = msg(2, msg(4, str(1, 'RollingUpdate'), msg(2, msg(1, int(1, 0), int(2, 1)), msg(2, int(1, 0), int(2, 0)))));
    const spec = decodeK8sProtobuf(envelope('apps/v1', 'Deployment', raw)).object.spec;
    assert.deepEqual(spec, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
  });

  it('decodes negative int32 and int64 varints', () => {
    const raw = msg(2, int(5, -5), msg(2, str(1, 'c'), str(2, 'i')));
    // 5 = activeDeadlineSeconds (*int64)
    const spec = decodeK8sProtobuf(envelope('v1', 'Pod', raw)).object.spec;
    assert.deepEqual(spec, { activeDeadlineSeconds: -5, containers: [{ name: 'c', image: 'i' }] });
  });

  it('base64-encodes Secret data and keeps stringData and type', () => {
    const raw = [
      ...msg(2, str(1, 'bin'), str(2, Uint8Array.of(0, 255, 1))),
      ...msg(4, str(1, 'plain'), str(2, 'text')),
      ...str(3, 'Opaque'),
      ...int(5, 0),
    ];
    const { object } = decodeK8sProtobuf(envelope('v1', 'Secret', raw));
    assert.deepEqual(object, { apiVersion: 'v1', kind: 'Secret', data: { bin: 'AP8B' }, stringData: { plain: 'text' }, type: 'Opaque', immutable: false });
  });

  it('decodes ConfigMap binaryData, Quantity maps and a __proto__ map key as plain data', () => {
    const raw = [...msg(3, str(1, 'b'), str(2, 'hi')), ...msg(2, str(1, '__proto__'), str(2, 'x'))];
    const { object } = decodeK8sProtobuf(envelope('v1', 'ConfigMap', raw));
    assert.deepEqual(Object.keys(object.data as object), ['__proto__']);
    assert.equal(Object.getPrototypeOf(object.data), Object.prototype);
    assert.deepEqual(object.binaryData, { b: 'aGk=' });
  });

  it('inlines embedded structs (Volume.volumeSource, EnvVarSource selectors)', () => {
    const container = msg(2, str(1, 'c'), msg(7, str(1, 'E'), msg(3, msg(3, msg(1, str(1, 'cm')), str(2, 'key')))));
    const volume = msg(1, str(1, 'v'), msg(2, msg(2, str(1, 'Memory'), msg(2, str(1, '64Mi')))));
    const spec = decodeK8sProtobuf(envelope('v1', 'Pod', msg(2, volume, container))).object.spec;
    assert.deepEqual(spec, {
      volumes: [{ name: 'v', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
      containers: [{ name: 'c', env: [{ name: 'E', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key' } } }] }],
    });
  });

  it('skips unknown field numbers of every wire type', () => {
    const unknown = [...int(99, 7), ...str(98, 'x'), 0xf9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xf5, 0x06, 1, 2, 3, 4];
    const raw = [...unknown, ...msg(1, str(1, 'n'), ...[unknown])];
    assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Namespace', raw)).object, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
  });

  it('merges a repeated singular message and lets the last scalar win', () => {
    const raw = [...msg(1, str(1, 'a'), str(3, 'ns')), ...msg(1, str(1, 'b'))];
    assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Namespace', raw)).object.metadata, { name: 'b', namespace: 'ns' });
  });

  it('fills an empty TypeMeta from the endpoint, as upstream does', () => {
    const buf = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...str(2, Uint8Array.from(msg(1, str(1, 'n'))))]);
    const got = decodeK8sProtobuf(buf, { defaultApiVersion: 'v1', defaultKind: 'Namespace' });
    assert.deepEqual(got.object, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    assert.match(decodeError(buf).message, /^Object 'Kind' is missing in 'runtime.TypeMeta\{APIVersion:"", Kind:""\}'$/);
  });
});

describe('decodeK8sProtobuf errors', () => {
  it('rejects a body without the k8s\\0 prefix with upstream wording', () => {
    const err = decodeError(Buffer.from('{"kind":"Service"}'), { defaultKind: 'Service' });
    assert.equal(err.code, 400);
    assert.equal(
      err.message,
      'the object provided is unrecognized (must be of type Service): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind":"Service"})',
    );
  });

  it('rejects empty data and a bare prefix', () => {
    assert.match(decodeError(new Uint8Array(0)).message, /: empty data \(<empty>\)$/);
    assert.match(decodeError(Buffer.from('k8s\0')).message, /: empty body \(6b387300\)$/);
  });

  it('reports truncation inside the object as the kind that could not be handled', () => {
    const full = fixture('create-service-clusterip-pbsvc.bin');
    const raw = full.subarray(4 + 15 + 2, 4 + 15 + 2 + 0x6f);
    const cut = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, 'v1'), str(2, 'Service')), ...str(2, raw.subarray(0, 50))]);
    const err = decodeError(cut);
    assert.equal(err.code, 400);
    assert.equal(err.message, 'Service in version "v1" cannot be handled as a Service: unexpected EOF');
  });

  it('reports a wrong wire type with the Go field name', () => {
    const err = decodeError(envelope('v1', 'Service', msg(1, int(1, 5))));
    assert.equal(err.message, 'Service in version "v1" cannot be handled as a Service: proto: wrong wireType = 0 for field Name');
  });

  it('answers 415 for a kind without a field table', () => {
    const err = decodeError(envelope('v1', 'Endpoints', msg(1, str(1, 'e'))));
    assert.equal(err.code, 415);
    assert.equal(err.reason, 'UnsupportedMediaType');
  });

  it('survives 10,000 random mutations of the fixtures, throwing only ApiError', () => {
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const bodies = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.bin'))
      .map((f) => fixture(f));
    let ok = 0;
    for (let iter = 0; iter < 10_000; iter++) {
      const src = bodies[rand(bodies.length)]!;
      let b: Uint8Array = Uint8Array.from(src);
      const edits = 1 + rand(4);
      for (let e = 0; e < edits; e++) {
        const op = rand(4);
        const at = 4 + rand(Math.max(1, b.length - 4));
        if (op === 0) b[at] = rand(256);
        else if (op === 1) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + rand(8))]);
        else if (op === 2) b = Uint8Array.from([...b.subarray(0, at), rand(256), ...b.subarray(at)]);
        else b = b.subarray(0, at);
      }
      try {
        decodeK8sProtobuf(b);
        ok++;
      } catch (err) {
        if (!(err instanceof ApiError)) assert.fail(`mutation ${iter} threw ${String(err)}`);
        assert.ok(err.code === 400 || err.code === 415, `code ${err.code}`);
      }
    }
    assert.ok(ok > 0);
  });
});
