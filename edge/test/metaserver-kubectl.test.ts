/**
 * Real kubectl (/usr/bin/kubectl, the gcloud dispatcher running kubectl 1.32) against MetaServer
 * on a real SQLite store: what `kubectl --server http://127.0.0.1:10550 ...` on an edge node must
 * print (kubeedge-protocol.md §5.3, kubectl-contract.md).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startMetaServer, testPod, type MetaServerFixture } from './metaserver-fixtures.ts';

let f: MetaServerFixture;

before(async () => {
  f = await startMetaServer();
  f.put(testPod('default', 'web-1', 10, { labels: { app: 'web' } }));
  f.put(testPod('default', 'web-2', 11, { node: 'edge-2', labels: { app: 'web' } }));
  f.put(testPod('kube-system', 'dns', 12, { labels: { app: 'dns' } }));
  f.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-cfg', namespace: 'default', resourceVersion: '13' },
    data: { a: '1', b: '2' },
  });
  f.put({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'edge-1', resourceVersion: '14', labels: { 'node-role.kubernetes.io/edge': '' } },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      nodeInfo: { kubeletVersion: 'v1.32.4-kubeedge' },
    },
  });
});

after(async () => {
  await f.stop();
});

/** The table kubectl printed, as rows of cells. */
const rows = (stdout: string): string[][] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));

test('kubectl get pods -A: every namespace, with READY, STATUS, RESTARTS and AGE; discovery is clean', async () => {
  const r = await f.kubectl(['get', 'pods', '-A']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no discovery errors (kubectl-contract.md §1)');
  assert.deepEqual(rows(r.stdout), [
    ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['default', 'web-1', '1/1', 'Running', '0', '5m'],
    ['default', 'web-2', '1/1', 'Running', '0', '5m'],
    ['kube-system', 'dns', '1/1', 'Running', '0', '5m'],
  ]);
});

test('kubectl get pods -n default -o json: a List of full objects from that namespace only', async () => {
  const r = await f.kubectl(['get', 'pods', '-n', 'default', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as {
    kind: string;
    items: { kind: string; metadata: { name: string } }[];
  };
  assert.equal(list.kind, 'List');
  assert.deepEqual(
    list.items.map((i) => [i.kind, i.metadata.name]),
    [
      ['Pod', 'web-1'],
      ['Pod', 'web-2'],
    ],
  );
});

test('kubectl get pod -o jsonpath reads one object', async () => {
  const r = await f.kubectl(['get', 'pod', 'web-2', '-o', 'jsonpath={.spec.nodeName}/{.status.phase}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'edge-2/Running');
});

test('kubectl get pods --field-selector spec.nodeName=edge-1 and -l select on the server', async () => {
  const byNode = await f.kubectl([
    'get',
    'pods',
    '-A',
    '--field-selector',
    'spec.nodeName=edge-1',
    '-o',
    'name',
  ]);
  assert.equal(byNode.code, 0, byNode.stderr);
  assert.equal(byNode.stdout, 'pod/web-1\npod/dns\n');
  const byLabel = await f.kubectl(['get', 'pods', '-A', '-l', 'app=web,app notin (dns)', '-o', 'name']);
  assert.equal(byLabel.stdout, 'pod/web-1\npod/web-2\n');
});

test('kubectl get configmaps and nodes print their own columns', async () => {
  const cms = await f.kubectl(['get', 'configmaps']);
  assert.equal(cms.code, 0, cms.stderr);
  assert.deepEqual(rows(cms.stdout), [
    ['NAME', 'DATA', 'AGE'],
    ['app-cfg', '2', '<unknown>'],
  ]);
  const nodes = await f.kubectl(['get', 'nodes']);
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.deepEqual(rows(nodes.stdout), [
    ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    ['edge-1', 'Ready', 'edge', '<unknown>', 'v1.32.4-kubeedge'],
  ]);
});

test('a missing pod prints kubectl’s NotFound message', async () => {
  const r = await f.kubectl(['get', 'pod', 'nope']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
});

test('kubectl delete fails with the 405 read-only message and the pod stays', async () => {
  const r = await f.kubectl(['delete', 'pod', 'web-1']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Error from server \(MethodNotAllowed\): the edge MetaServer is read-only: DELETE \/api\/v1\/namespaces\/default\/pods\/web-1 is not allowed/,
  );
  assert.ok(f.store.getV2('/core/v1/pods/default/web-1'));
});

test('a malformed label selector is a BadRequest, and the server keeps serving', async () => {
  const bad = await f.kubectl(['get', 'pods', '-l', 'app in (web']);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /Error from server \(BadRequest\): .*unable to parse label selector "app in \(web"/,
  );
  const ok = await f.kubectl(['get', 'pod', 'web-1', '-o', 'name']);
  assert.equal(ok.stdout, 'pod/web-1\n');
});

test('kubectl get pods -w prints a pod stored after it started, and a change to it', async (t) => {
  const child = spawn('kubectl', ['--server', f.url, 'get', 'pods', '-w', '--output-watch-events'], {
    env: f.env,
  });
  t.after(() => child.kill());
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const seen = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kubectl -w printed:\n${out}\nstderr: ${err}`)),
        10_000,
      );
      const check = (): void => {
        if (!pattern.test(out)) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      };
      const onData = (d: Buffer): void => {
        out += d.toString();
        check();
      };
      child.stdout.on('data', onData);
      check();
    });
  await seen(/ADDED\s+web-2/);
  f.put(testPod('default', 'web-3', 20));
  await seen(/ADDED\s+web-3\s+1\/1\s+Running/);
  f.put(testPod('default', 'web-3', 21, { phase: 'Failed' }));
  await seen(/MODIFIED\s+web-3\s+1\/1\s+Failed/);
  f.remove(testPod('default', 'web-3', 21));
  await seen(/DELETED\s+web-3/);
  assert.equal(out.match(/web-1/g)?.length, 1, 'the listed pods are not replayed');
});

test('kubectl get devices resolves the devices.kubeedge.io group', async () => {
  const r = await f.kubectl(['get', 'devices', '-A']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), 'No resources found');
});
