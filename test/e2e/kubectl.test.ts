/**
 * The API server driven by the real kubectl 1.32: the acceptance points of the
 * API-server issue, on the seeds' own manifests.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, findKubectl, type TestCluster } from '../helpers/cluster.js';

const SEEDS = new URL('../fixtures/seeds/', import.meta.url).pathname;
const kubectlPath = findKubectl();

describe('kubectl against skiff', { skip: kubectlPath ? false : 'kubectl is not installed' }, () => {
  let c: TestCluster;
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await c.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const fails = async (args: string[], input?: string): Promise<string> => {
    const r = await c.kubectl(args, input !== undefined ? { input } : {});
    assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail but printed:\n${r.stdout}`);
    return r.stderr.trim();
  };
  const json = async (args: string[]): Promise<Record<string, any>> => JSON.parse(await ok([...args, '-o', 'json'])) as Record<string, any>;

  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.stop();
  });

  test('version reports server minor 32', async () => {
    const out = await ok(['version', '-o', 'json']);
    assert.equal(JSON.parse(out).serverVersion.minor, '32');
  });

  test('system namespaces and the kubernetes Service exist', async () => {
    const out = await ok(['get', 'ns', '--no-headers']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^${ns}\\s+Active`, 'm'));
    const svc = await json(['get', 'svc', 'kubernetes']);
    assert.equal(svc.spec.clusterIP, '127.96.0.1');
    assert.deepEqual(svc.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
  });

  test('applying the seed manifests creates them, and applying again changes nothing', async () => {
    for (const f of ['fluentd-elasticsearch-ds.yaml', 'my-service.yaml', 'go-demo-2-rs.yaml']) {
      const out = await ok(['apply', '-f', join(SEEDS, f)]);
      assert.match(out, / created$/m, out);
    }
    const before = await json(['get', 'svc', 'my-service']);
    for (const f of ['fluentd-elasticsearch-ds.yaml', 'my-service.yaml', 'go-demo-2-rs.yaml']) {
      const out = await ok(['apply', '-f', join(SEEDS, f)]);
      assert.match(out, / unchanged$/m, out);
    }
    const afterSvc = await json(['get', 'svc', 'my-service']);
    assert.equal(afterSvc.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  test('changing a field and applying again patches it with a strategic merge', async () => {
    const text = readFileSync(join(SEEDS, 'go-demo-2-rs.yaml'), 'utf8').replace('replicas: 2', 'replicas: 3').replace('value: localhost', 'value: db.local');
    const f = join(c.dataDir, 'rs3.yaml');
    writeFileSync(f, text);
    assert.match(await ok(['apply', '-f', f]), /replicaset.apps\/go-demo-2 configured/);
    const rs = await json(['get', 'rs', 'go-demo-2']);
    assert.equal(rs.spec.replicas, 3);
    assert.equal(rs.spec.template.spec.containers[1].env[0].value, 'db.local');
    assert.equal(rs.spec.template.spec.containers.length, 2);
    assert.equal(rs.metadata.generation, 2);
  });

  test('get -o wide prints the upstream columns', async () => {
    const svc = await ok(['get', 'svc', 'my-service', '-o', 'wide']);
    assert.match(svc, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
    assert.match(svc, /^my-service\s+ClusterIP\s+127\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+\s+app=MyApp$/m);
    const ds = await ok(['get', 'ds', '-n', 'kube-system', '-o', 'wide']);
    assert.match(ds, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    const rs = await ok(['get', 'rs', '-o', 'wide']);
    assert.match(rs, /^go-demo-2\s+3\s+\d+\s+\d+\s+\S+\s+db,api\s+mongo:3.3,vfarcic\/go-demo-2\s+service=go-demo-2,type=backend$/m);
    const all = await ok(['get', 'svc,ds,rs,pods,nodes,ns,ep,endpointslices', '-A', '-o', 'wide']);
    assert.match(all, /service\/kubernetes/);
    assert.match(all, /namespace\/kube-system/);
  });

  test('-l, --show-labels, -A and -o jsonpath work', async () => {
    const out = await ok(['get', 'svc', '-A', '-l', 'provider=kubernetes', '--show-labels']);
    assert.match(out, /^default\s+kubernetes\s+ClusterIP.*component=apiserver,provider=kubernetes$/m);
    assert.equal(await ok(['get', 'svc', 'my-service', '-o', 'jsonpath={.spec.ports[0].targetPort}']), '9376');
    const y = await ok(['get', 'svc', 'my-service', '-o', 'yaml']);
    assert.match(y, /sessionAffinity: None/);
  });

  test('expose rs go-demo-2 creates a NodePort Service and describe shows it like seed 004', async () => {
    assert.match(await ok(['expose', 'rs', 'go-demo-2', '--name=go-demo-2-svc', '--target-port=28017', '--type=NodePort']), /service\/go-demo-2-svc exposed/);
    const svc = await json(['get', 'svc', 'go-demo-2-svc']);
    const np = svc.spec.ports[0].nodePort as number;
    assert.ok(np >= 30000 && np <= 32767, `nodePort ${np}`);
    assert.match(svc.spec.clusterIP, /^127\.(9[6-9]|10[0-9]|11[01])\./);
    const d = await ok(['describe', 'svc', 'go-demo-2-svc']);
    assert.match(d, /^Type:\s+NodePort$/m);
    assert.match(d, /^IP:\s+127\./m);
    assert.match(d, /^Port:\s+<unset>\s+28017\/TCP$/m);
    assert.match(d, /^TargetPort:\s+28017\/TCP$/m);
    assert.match(d, new RegExp(`^NodePort:\\s+<unset>\\s+${np}/TCP$`, 'm'));
    assert.match(d, /^Session Affinity:\s+None$/m);
    assert.match(d, /^External Traffic Policy:\s+Cluster$/m);
  });

  test('create generators that send protobuf bodies work', async () => {
    assert.match(await ok(['create', 'service', 'nodeport', 'x', '--tcp=80:8080']), /service\/x created/);
    const x = await json(['get', 'svc', 'x']);
    assert.equal(x.spec.ports[0].targetPort, 8080);
    assert.ok(x.spec.ports[0].nodePort >= 30000);
    assert.match(await ok(['create', 'deployment', 'web', '--image=agnhost', '--replicas=3']), /deployment.apps\/web created/);
    assert.equal((await json(['get', 'deploy', 'web'])).spec.replicas, 3);
    assert.match(await ok(['create', 'namespace', 'team-a']), /namespace\/team-a created/);
    assert.match(await ok(['create', 'configmap', 'cfg', '--from-literal=a=1', '-n', 'team-a']), /configmap\/cfg created/);
    assert.equal((await json(['get', 'cm', 'cfg', '-n', 'team-a'])).data.a, '1');
    assert.match(await ok(['create', 'secret', 'generic', 's1', '--from-literal=k=v']), /secret\/s1 created/);
    assert.equal((await json(['get', 'secret', 's1'])).data.k, Buffer.from('v').toString('base64'));
    assert.match(await ok(['create', 'serviceaccount', 'bot']), /serviceaccount\/bot created/);
  });

  test('scale, label, annotate and the three patch types work', async () => {
    assert.match(await ok(['scale', 'deploy', 'web', '--replicas=5']), /deployment.apps\/web scaled/);
    assert.equal((await json(['get', 'deploy', 'web'])).spec.replicas, 5);
    await ok(['scale', 'deploy', 'web', '--current-replicas=5', '--replicas=4']);
    assert.equal((await json(['get', 'deploy', 'web'])).spec.replicas, 4);
    await ok(['label', 'svc', 'my-service', 'tier=front']);
    await ok(['annotate', 'svc', 'my-service', 'team=a']);
    const s = await json(['get', 'svc', 'my-service']);
    assert.equal(s.metadata.labels.tier, 'front');
    assert.equal(s.metadata.annotations.team, 'a');
    await ok(['patch', 'svc', 'my-service', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
    const p1 = await json(['get', 'svc', 'my-service']);
    assert.equal(p1.spec.sessionAffinity, 'ClientIP');
    assert.equal(p1.spec.sessionAffinityConfig.clientIP.timeoutSeconds, 10800);
    await ok(['patch', 'svc', 'my-service', '--type=merge', '-p', '{"metadata":{"labels":{"tier":null}}}']);
    assert.equal((await json(['get', 'svc', 'my-service'])).metadata.labels?.tier, undefined);
    await ok(['patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]']);
    assert.equal((await json(['get', 'deploy', 'web'])).spec.replicas, 2);
    await ok(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"agnhost","image":"agnhost:2.53"}]}}}}']);
    const d = await json(['get', 'deploy', 'web']);
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'agnhost:2.53');
  });

  test('replace and edit (scripted EDITOR) work', async () => {
    // A replace without resourceVersion, clusterIP(s) or nodePort: the server keeps what it allocated.
    const live = await json(['get', 'svc', 'x']);
    const ip = live.spec.clusterIP as string;
    const nodePort = live.spec.ports[0].nodePort as number;
    delete live.metadata.resourceVersion;
    delete live.spec.clusterIP;
    delete live.spec.clusterIPs;
    delete live.spec.ports[0].nodePort;
    live.spec.sessionAffinity = 'ClientIP';
    const f = join(c.dataDir, 'x.json');
    writeFileSync(f, JSON.stringify(live));
    assert.match(await ok(['replace', '-f', f]), /service\/x replaced/);
    const x = await json(['get', 'svc', 'x']);
    assert.equal(x.spec.sessionAffinity, 'ClientIP');
    assert.equal(x.spec.clusterIP, ip, 'clusterIP kept on replace');
    assert.equal(x.spec.ports[0].nodePort, nodePort, 'nodePort kept on replace');
    const editor = join(c.dataDir, 'editor.sh');
    writeFileSync(editor, "#!/bin/sh\nsed -i 's/sessionAffinity: ClientIP/sessionAffinity: None/' \"$1\"\n", { mode: 0o755 });
    const r = await c.kubectl(['edit', 'svc', 'x'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service\/x edited/);
    assert.equal((await json(['get', 'svc', 'x'])).spec.sessionAffinity, 'None');
  });

  test('explain prints field documentation', async () => {
    const out = await ok(['explain', 'service.spec.ports']);
    assert.match(out, /FIELD:\s+ports/);
    assert.match(out, /targetPort/);
  });

  test('diff shows a pending change and exits 1', async () => {
    const f = join(c.dataDir, 'svc-diff.yaml');
    writeFileSync(f, readFileSync(join(SEEDS, 'my-service.yaml'), 'utf8').replace('targetPort: 9376', 'targetPort: 9377'));
    const r = await c.kubectl(['diff', '-f', f]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /-\s+targetPort: 9376/);
    assert.match(r.stdout, /\+\s+targetPort: 9377/);
  });

  test('bad input gets the upstream messages', async () => {
    assert.equal(await fails(['get', 'svc', 'nope']), 'Error from server (NotFound): services "nope" not found');
    assert.match(await fails(['create', '-f', join(SEEDS, 'my-service.yaml')]), /Error from server \(AlreadyExists\): error when creating ".*my-service.yaml": services "my-service" already exists/);
    const np = (port: number, name: string): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  type: NodePort\n  selector: {app: a}\n  ports:\n  - port: 80\n    nodePort: ${port}\n`;
    assert.equal(
      await fails(['create', '-f', '-'], np(40000, 'np40000')),
      'The Service "np40000" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    const taken = (await json(['get', 'svc', 'x'])).spec.ports[0].nodePort as number;
    assert.equal(await fails(['create', '-f', '-'], np(taken, 'np-taken')), `The Service "np-taken" is invalid: spec.ports[0].nodePort: Invalid value: ${taken}: provided port is already allocated`);
    const unknown = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: strict\nspec:\n  foo: 1\n  ports:\n  - port: 80\n';
    assert.match(await fails(['create', '-f', '-'], unknown), /Error from server \(BadRequest\): error when creating "STDIN": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"/);
    const ds = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: bad\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: b}\n    spec:\n      containers:\n      - name: c\n        image: agnhost\n';
    assert.match(await fails(['create', '-f', '-'], ds), /The DaemonSet "bad" is invalid: spec.template.metadata.labels: Invalid value: map\[string\]string\{"app":"b"\}: `selector` does not match template `labels`/);
  });

  test('get svc -w streams changes', async () => {
    const { spawn } = await import('node:child_process');
    const w = spawn(kubectlPath!, ['get', 'svc', '-w', '--no-headers'], { env: c.env });
    let out = '';
    w.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, re);
    };
    try {
      await waitFor(/^my-service\s/m);
      await ok(['create', 'service', 'clusterip', 'watched', '--tcp=81:81']);
      await waitFor(/^watched\s+ClusterIP/m);
    } finally {
      w.kill('SIGKILL');
    }
  });

  test('delete with cascade variants', async () => {
    await ok(['delete', 'svc', 'watched']);
    await fails(['get', 'svc', 'watched']);
    const r = await ok(['delete', 'rs', 'go-demo-2', '--cascade=orphan']);
    assert.match(r, /replicaset.apps "go-demo-2" deleted/);
    await ok(['delete', 'deploy', 'web', '--cascade=foreground', '--wait=false']);
    const r2 = await c.kubectl(['get', 'deploy', 'web', '-o', 'json']);
    if (r2.code === 0) assert.ok(JSON.parse(r2.stdout).metadata.finalizers.includes('foregroundDeletion'));
  });

  test('deleting a namespace empties it and removes it', async () => {
    await ok(['delete', 'namespace', 'team-a', '--timeout=20s']);
    assert.match(await fails(['get', 'ns', 'team-a']), /not found/);
  });

  test('objects survive kill -9 and a restart', async () => {
    await ok(['create', 'configmap', 'durable', '--from-literal=k=v']);
    await c.kill9();
    await c.restart();
    assert.equal((await json(['get', 'cm', 'durable'])).data.k, 'v');
    assert.equal((await json(['get', 'svc', 'my-service'])).spec.ports[0].targetPort, 9376);
  });
});
