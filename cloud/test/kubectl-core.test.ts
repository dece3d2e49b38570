// The embedded API server driven by the real kubectl (ARCHITECTURE §6: /usr/bin/kubectl 1.32),
// for the core kinds: what a user types and what kubectl prints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startApiServer, KUBECTL, type Fixture, type KubectlResult } from './support/apiserver-fixture.ts';

let f: Fixture;
before(async () => {
  f = await startApiServer();
});
after(async () => {
  await f.stop();
});

const configMap = (name: string, data: Record<string, string>, extra = ''): string =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: default
${extra}data:
${Object.entries(data)
  .map(([k, v]) => `  ${k}: "${v}"`)
  .join('\n')}
`;

const pod = (name: string, node: string, image = 'nginx:1.27'): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: web}
spec:
  nodeName: ${node}
  containers:
  - name: web
    image: ${image}
    env:
    - {name: A, value: "1"}
  - name: side
    image: busybox
`;

describe('namespaces', () => {
  test('get namespaces lists the system namespaces as Active with ages', async () => {
    const out = await f.kubectlOk(['get', 'namespaces']);
    const lines = out.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+STATUS\s+AGE$/);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.match(out, new RegExp(`^${ns}\\s+Active\\s+\\d+s$`, 'm'));
    }
  });

  test('create namespace (a protobuf body from kubectl 1.32) works', async () => {
    assert.equal(
      (await f.kubectlOk(['create', 'namespace', 'proto-ns'])).trim(),
      'namespace/proto-ns created',
    );
    assert.equal(
      (await f.kubectlOk(['get', 'ns', 'proto-ns', '-o', 'jsonpath={.status.phase}'])).trim(),
      'Active',
    );
  });

  test('deleting a namespace removes what it holds', async () => {
    await f.kubectlOk(['create', 'namespace', 'doomed']);
    await f.kubectlOk(['-n', 'doomed', 'create', 'configmap', 'c1', '--from-literal=a=b']);
    await f.kubectlOk(
      ['-n', 'doomed', 'apply', '-f', '-'],
      pod('p1', 'nowhere').replace('name: p1', 'name: p1\n  namespace: doomed'),
    );
    const out = await f.kubectlOk(['delete', 'namespace', 'doomed', '--timeout=30s']);
    assert.match(out, /namespace "doomed" deleted/);
    const gone = await f.kubectl(['get', 'ns', 'doomed']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /namespaces "doomed" not found/);
    const cms = await f.kubectl(['-n', 'doomed', 'get', 'cm', 'c1']);
    assert.match(cms.stderr, /not found/);
  });

  test('system namespaces cannot be deleted', async () => {
    const r = await f.kubectl(['delete', 'namespace', 'kube-system']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Forbidden.*may not be deleted/);
  });
});

describe('apply, get, patch, replace, delete', () => {
  test('apply creates, then reports unchanged, then configured', async () => {
    const file = f.file('cm1.yaml', configMap('cm1', { a: 'one' }));
    assert.equal((await f.kubectlOk(['apply', '-f', file])).trim(), 'configmap/cm1 created');
    assert.equal((await f.kubectlOk(['apply', '-f', file])).trim(), 'configmap/cm1 unchanged');
    f.file('cm1.yaml', configMap('cm1', { a: 'two', b: 'three' }));
    assert.equal((await f.kubectlOk(['apply', '-f', file])).trim(), 'configmap/cm1 configured');
    assert.equal(
      (await f.kubectlOk(['get', 'cm', 'cm1', '-o', 'jsonpath={.data.a},{.data.b}'])).trim(),
      'two,three',
    );
    const table = await f.kubectlOk(['get', 'configmaps']);
    assert.match(table, /^NAME\s+DATA\s+AGE$/m);
    assert.match(table, /^cm1\s+2\s+\d+s$/m);
  });

  test('server-side apply creates and updates', async () => {
    const text = configMap('ssa', { k: 'v1' });
    assert.match(
      await f.kubectlOk(['apply', '--server-side', '-f', '-'], text),
      /configmap\/ssa serverside-applied/,
    );
    await f.kubectlOk(['apply', '--server-side', '-f', '-'], configMap('ssa', { k: 'v2' }));
    assert.equal((await f.kubectlOk(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.k}'])).trim(), 'v2');
  });

  test('pods print kubectl columns, and -o wide adds node', async () => {
    await f.kubectlOk(['apply', '-f', '-'], pod('web-1', 'edge-1'));
    const out = await f.kubectlOk(['get', 'pods']);
    assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(out, /^web-1\s+0\/2\s+Pending\s+0\s+\d+s$/m);
    const wide = await f.kubectlOk(['get', 'pods', '-o', 'wide']);
    assert.match(
      wide,
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
    );
    assert.match(wide, /web-1\s+0\/2\s+Pending\s+0\s+\d+s\s+<none>\s+edge-1/);
  });

  test('apply of a changed pod sends a strategic merge patch that keeps the container order', async () => {
    await f.kubectlOk(['apply', '-f', '-'], pod('smp', 'edge-1'));
    const changed = pod('smp', 'edge-1', 'nginx:1.28').replace(/ {2}- name: side\n {4}image: busybox\n/, '');
    assert.match(await f.kubectlOk(['apply', '-f', '-'], changed), /pod\/smp configured/);
    const names = await f.kubectlOk([
      'get',
      'pod',
      'smp',
      '-o',
      'jsonpath={.spec.containers[*].name}={.spec.containers[0].image}',
    ]);
    assert.equal(names.trim(), 'web=nginx:1.28');
  });

  test('patch with each of the three patch types', async () => {
    await f.kubectlOk(['apply', '-f', '-'], pod('patchme', 'edge-1'));
    assert.match(
      await f.kubectlOk([
        'patch',
        'pod',
        'patchme',
        '-p',
        '{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}',
      ]),
      /pod\/patchme patched/,
    );
    assert.match(
      await f.kubectlOk([
        'patch',
        'pod',
        'patchme',
        '--type=merge',
        '-p',
        '{"metadata":{"labels":{"tier":"front"}}}',
      ]),
      /patched/,
    );
    assert.match(
      await f.kubectlOk([
        'patch',
        'pod',
        'patchme',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/containers/1/image","value":"busybox:2"}]',
      ]),
      /patched/,
    );
    const got = await f.kubectlOk([
      'get',
      'pod',
      'patchme',
      '-o',
      'jsonpath={.spec.containers[0].image} {.spec.containers[1].image} {.metadata.labels.tier} {.spec.containers[0].env[0].name}',
    ]);
    assert.equal(got.trim(), 'nginx:2 busybox:2 front A');
    const again = await f.kubectlOk([
      'patch',
      'pod',
      'patchme',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"tier":"front"}}}',
    ]);
    assert.match(again, /pod\/patchme patched \(no change\)/);
  });

  test('replace with a stale resourceVersion is a conflict', async () => {
    await f.kubectlOk(['apply', '-f', '-'], configMap('occ', { a: '1' }));
    const stale = (await f.kubectlOk(['get', 'cm', 'occ', '-o', 'json'])).replace('"a": "1"', '"a": "2"');
    await f.kubectlOk(['patch', 'cm', 'occ', '--type=merge', '-p', '{"data":{"a":"3"}}']);
    const r = await f.kubectl(['replace', '-f', '-'], stale);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Conflict.*the object has been modified/);
  });

  test('delete, then get reports NotFound the way kube does', async () => {
    await f.kubectlOk(['create', 'configmap', 'bye', '--from-literal=x=y']);
    assert.match(await f.kubectlOk(['delete', 'cm', 'bye']), /configmap "bye" deleted/);
    const r = await f.kubectl(['get', 'cm', 'bye']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(NotFound\): configmaps "bye" not found/);
  });

  test('an invalid name is rejected with the field and reason', async () => {
    const r = await f.kubectl(['apply', '-f', '-'], configMap('Bad_Name', { a: '1' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is invalid/);
    assert.match(r.stderr, /metadata\.name/);
  });

  test('a pod without containers is rejected as invalid', async () => {
    const r = await f.kubectl(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Pod\nmetadata: {name: empty}\nspec: {containers: []}\n',
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /spec\.containers/);
  });
});

describe('selectors and chunking', () => {
  test('label selectors, field selectors and chunked lists', async () => {
    await f.kubectlOk(['create', 'namespace', 'sel']);
    for (let i = 0; i < 5; i++) {
      await f.kubectlOk(['-n', 'sel', 'create', 'configmap', `c${i}`, '--from-literal=i=' + i]);
      await f.kubectlOk(['-n', 'sel', 'label', 'cm', `c${i}`, `parity=${i % 2 ? 'odd' : 'even'}`]);
    }
    const odd = await f.kubectlOk(['-n', 'sel', 'get', 'cm', '-l', 'parity=odd', '-o', 'name']);
    assert.deepEqual(odd.trim().split('\n'), ['configmap/c1', 'configmap/c3']);
    const notIn = await f.kubectlOk(['-n', 'sel', 'get', 'cm', '-l', 'parity notin (odd)', '-o', 'name']);
    assert.deepEqual(notIn.trim().split('\n'), ['configmap/c0', 'configmap/c2', 'configmap/c4']);
    const byName = await f.kubectlOk([
      '-n',
      'sel',
      'get',
      'cm',
      '--field-selector',
      'metadata.name=c2',
      '-o',
      'name',
    ]);
    assert.equal(byName.trim(), 'configmap/c2');
    const chunked = await f.kubectlOk(['-n', 'sel', 'get', 'cm', '--chunk-size=2', '-o', 'name']);
    assert.match(chunked, /^configmap\/c0\nconfigmap\/c1\nconfigmap\/c2\nconfigmap\/c3\nconfigmap\/c4\n/);
    const bad = await f.kubectl(['-n', 'sel', 'get', 'cm', '--field-selector', 'data.i=1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /field label not supported: data\.i/);
  });

  test('pods select by spec.nodeName', async () => {
    await f.kubectlOk(['apply', '-f', '-'], pod('on-a', 'node-a'));
    await f.kubectlOk(['apply', '-f', '-'], pod('on-b', 'node-b'));
    const out = await f.kubectlOk(['get', 'pods', '--field-selector', 'spec.nodeName=node-b', '-o', 'name']);
    assert.equal(out.trim(), 'pod/on-b');
  });
});

describe('watch, wait, describe', () => {
  test('get -w prints changes made after it started', async () => {
    await f.kubectlOk(['create', 'configmap', 'watched', '--from-literal=a=1']);
    const child = spawn(KUBECTL, ['--kubeconfig', f.kubeconfig, 'get', 'cm', '-w', '--output-watch-events'], {
      env: { ...process.env, HOME: f.dataDir },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, re);
    };
    try {
      await waitFor(/watched/);
      await f.kubectlOk(['create', 'configmap', 'born-later', '--from-literal=a=1']);
      await waitFor(/ADDED\s+born-later/);
      await f.kubectlOk(['delete', 'configmap', 'born-later']);
      await waitFor(/DELETED\s+born-later/);
      assert.equal(out.match(/born-later/g)?.length, 2, 'each event printed once');
    } finally {
      child.kill();
    }
  });

  test('wait --for=condition sees a node become Ready through the status subresource', async () => {
    await f.kubectlOk(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Node\nmetadata:\n  name: edge-w\n  labels: {node-role.kubernetes.io/edge: ""}\n',
    );
    const waiting = f.kubectl(['wait', '--for=condition=Ready', 'node/edge-w', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 500));
    await f.kubectlOk([
      'patch',
      'node',
      'edge-w',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"ok"}]}}',
    ]);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node\/edge-w condition met/);
    const nodes = await f.kubectlOk(['get', 'nodes']);
    assert.match(nodes, /^edge-w\s+Ready\s+edge\s+\d+s/m);
  });

  test('describe pod shows the pod and its events', async () => {
    await f.kubectlOk(['apply', '-f', '-'], pod('described', 'edge-1'));
    const uid = (await f.kubectlOk(['get', 'pod', 'described', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'described.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'described', namespace: 'default', uid, apiVersion: 'v1' },
      reason: 'Scheduled',
      message: 'assigned to edge-1',
      type: 'Normal',
      count: 1,
      source: { component: 'edgeproof' },
    };
    await f.kubectlOk(['create', '-f', '-'], JSON.stringify(event));
    const out = await f.kubectlOk(['describe', 'pod', 'described']);
    assert.match(out, /Name:\s+described/);
    assert.match(out, /Node:\s+edge-1/);
    assert.match(out, /Scheduled.*assigned to edge-1/);
  });
});

describe('garbage collection', () => {
  /** `kubectl get cm NAME` once the collector has removed it, or after 5 s of trying. */
  async function garbageCollected(name: string): Promise<KubectlResult> {
    let r = await f.kubectl(['get', 'cm', name]);
    for (let i = 0; i < 50 && r.code === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await f.kubectl(['get', 'cm', name]);
    }
    return r;
  }

  test('deleting an owner deletes its dependents', async () => {
    await f.kubectlOk(['create', 'configmap', 'owner', '--from-literal=a=b']);
    const uid = (await f.kubectlOk(['get', 'cm', 'owner', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const dependent = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dependent',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }],
      },
      data: { x: 'y' },
    };
    await f.kubectlOk(['create', '-f', '-'], JSON.stringify(dependent));
    await f.kubectlOk(['delete', 'cm', 'owner']);
    assert.match((await garbageCollected('dependent')).stderr, /not found/);
  });

  test('an owner reference added by a later patch counts, and one removed by a patch no longer does', async () => {
    await f.kubectlOk(['create', 'configmap', 'late-owner', '--from-literal=a=b']);
    const uid = (await f.kubectlOk(['get', 'cm', 'late-owner', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const ref = JSON.stringify({
      metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'late-owner', uid }] },
    });
    await f.kubectlOk(['create', 'configmap', 'late-dependent', '--from-literal=x=y']);
    await f.kubectlOk(['patch', 'cm', 'late-dependent', '--type=merge', '-p', ref]);
    await f.kubectlOk(['create', 'configmap', 'freed-dependent', '--from-literal=x=y']);
    await f.kubectlOk(['patch', 'cm', 'freed-dependent', '--type=merge', '-p', ref]);
    await f.kubectlOk([
      'patch',
      'cm',
      'freed-dependent',
      '--type=merge',
      '-p',
      '{"metadata":{"ownerReferences":null}}',
    ]);
    await f.kubectlOk(['delete', 'cm', 'late-owner']);
    assert.match((await garbageCollected('late-dependent')).stderr, /not found/);
    await f.kubectlOk(['get', 'cm', 'freed-dependent']);
  });

  test('foreground deletion waits for dependents, orphan keeps them', async () => {
    for (const mode of ['foreground', 'orphan'] as const) {
      await f.kubectlOk(['create', 'configmap', `${mode}-owner`, '--from-literal=a=b']);
      const uid = (
        await f.kubectlOk(['get', 'cm', `${mode}-owner`, '-o', 'jsonpath={.metadata.uid}'])
      ).trim();
      await f.kubectlOk(
        ['create', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `${mode}-dep`,
            ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: `${mode}-owner`, uid }],
          },
        }),
      );
      await f.kubectlOk(['delete', 'cm', `${mode}-owner`, `--cascade=${mode}`, '--timeout=20s']);
      const dep = await f.kubectl(['get', 'cm', `${mode}-dep`, '-o', 'jsonpath={.metadata.ownerReferences}']);
      if (mode === 'foreground') assert.match(dep.stderr, /not found/);
      else {
        assert.equal(dep.code, 0, dep.stderr);
        assert.equal(dep.stdout.trim(), '');
      }
      assert.match((await f.kubectl(['get', 'cm', `${mode}-owner`])).stderr, /not found/);
    }
  });
});

describe('persistence', () => {
  test('objects and resourceVersions survive a restart', async () => {
    await f.kubectlOk(['create', 'configmap', 'durable', '--from-literal=k=v']);
    const before = JSON.parse(await f.kubectlOk(['get', 'cm', 'durable', '-o', 'json'])) as {
      metadata: { uid: string; resourceVersion: string };
    };
    await f.restart();
    const afterRestart = JSON.parse(await f.kubectlOk(['get', 'cm', 'durable', '-o', 'json'])) as {
      metadata: { uid: string; resourceVersion: string };
    };
    assert.equal(afterRestart.metadata.uid, before.metadata.uid);
    await f.kubectlOk(['create', 'configmap', 'after-restart', '--from-literal=k=v']);
    const newer = (
      await f.kubectlOk(['get', 'cm', 'after-restart', '-o', 'jsonpath={.metadata.resourceVersion}'])
    ).trim();
    assert.ok(Number(newer) > Number(before.metadata.resourceVersion), 'resourceVersion keeps increasing');
  });
});

describe('deployments', () => {
  test('create deployment (protobuf), then scale it through the scale subresource', async () => {
    assert.match(
      await f.kubectlOk(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2']),
      /deployment.apps\/web created/,
    );
    assert.match(await f.kubectlOk(['get', 'deployments']), /^web\s+0\/2\s+0\s+0\s+\d+s$/m);
    assert.match(
      await f.kubectlOk(['scale', 'deployment', 'web', '--replicas=5']),
      /deployment.apps\/web scaled/,
    );
    assert.equal(
      (await f.kubectlOk(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).trim(),
      '5',
    );
    const stale = await f.kubectl(['scale', 'deployment', 'web', '--current-replicas=3', '--replicas=1']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /Expected replicas to be 3, was 5/);
    const negative = await f.kubectl(['scale', 'deployment', 'web', '--replicas=-1']);
    assert.equal(negative.code, 1);
  });

  test('a deployment without replicas is defaulted to one', async () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: one}
spec:
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: one}}
    spec: {containers: [{name: c, image: busybox}]}
`;
    await f.kubectlOk(['apply', '-f', '-'], manifest);
    assert.equal(
      (await f.kubectlOk(['get', 'deploy', 'one', '-o', 'jsonpath={.spec.replicas}'])).trim(),
      '1',
    );
  });
});
