/**
 * MetaServer over real sockets, without kubectl: lifecycle, discovery bodies, list and Table
 * replies, and that bad input of every kind (writes, unknown paths, malformed queries, bytes that
 * are not HTTP) gets a Kubernetes Status (kubectl-contract.md §8) while the server keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ResourceBusyError, SystemClock, silentLogger } from '@edgeproof/core';
import { MetaServer } from '../src/metaserver/index.ts';
import { startMetaServer, testPod } from './metaserver-fixtures.ts';

const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

async function getJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('the constructor does no I/O; start listens on loopback; a taken port is a ResourceBusyError', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  const idle = new MetaServer({
    store: f.store,
    clock: new SystemClock(),
    logger: silentLogger(),
    port: f.server.port(),
  });
  assert.equal(idle.port(), f.server.port(), 'nothing bound yet: the configured port');
  await assert.rejects(idle.start(), (err: unknown) => {
    assert.ok(err instanceof ResourceBusyError);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${f.server.port()}: the port is in use`));
    return true;
  });
  await idle.stop(); // a server that never started stops quietly
  assert.equal((await fetch(`${f.url}/healthz`)).status, 200, 'the first server is unaffected');
});

test('/version says 1.32 (for the gcloud kubectl dispatcher); health paths answer ok', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  const version = await getJson(`${f.url}/version?timeout=5s`);
  assert.equal(version.body['major'], '1');
  assert.equal(version.body['minor'], '32');
  for (const path of ['/healthz', '/readyz', '/livez']) {
    const res = await fetch(`${f.url}${path}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  }
});

test('legacy discovery lists the core kinds and the groups the store can hold', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  const api = await getJson(`${f.url}/api`);
  assert.deepEqual(api.body['versions'], ['v1']);
  const core = await getJson(`${f.url}/api/v1`);
  const resources = core.body['resources'] as {
    name: string;
    namespaced: boolean;
    kind: string;
    verbs: string[];
  }[];
  assert.deepEqual(
    resources.map((r) => r.name),
    ['pods', 'configmaps', 'secrets', 'services', 'endpoints', 'nodes', 'events', 'serviceaccounts'],
  );
  const nodes = resources.find((r) => r.name === 'nodes');
  assert.deepEqual([nodes?.namespaced, nodes?.kind, nodes?.verbs], [false, 'Node', ['get', 'list', 'watch']]);
  const groups = await getJson(`${f.url}/apis`);
  const versions = (groups.body['groups'] as { preferredVersion: { groupVersion: string } }[]).map(
    (g) => g.preferredVersion.groupVersion,
  );
  for (const gv of [
    'apps/v1',
    'discovery.k8s.io/v1',
    'coordination.k8s.io/v1',
    'devices.kubeedge.io/v1beta1',
  ]) {
    assert.ok(versions.includes(gv), gv);
    const list = await getJson(`${f.url}/apis/${gv}`);
    assert.equal(list.status, 200, gv);
    assert.equal(list.body['groupVersion'], gv);
  }
  assert.equal((await getJson(`${f.url}/apis/apps`)).body['name'], 'apps');
  assert.equal((await getJson(`${f.url}/apis/example.com/v1`)).status, 404);
});

test('a list is a typed List or a Table, its resourceVersion the highest RV seen, even after a delete', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 7));
  f.put(testPod('other', 'b', 9));
  const list = await getJson(`${f.url}/api/v1/namespaces/default/pods?limit=500`);
  assert.equal(list.body['kind'], 'PodList');
  assert.equal(list.body['apiVersion'], 'v1');
  assert.deepEqual(list.body['metadata'], { resourceVersion: '9' });
  assert.deepEqual(
    (list.body['items'] as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    ['a'],
  );
  f.remove(testPod('other', 'b', 9));
  const table = await getJson(`${f.url}/api/v1/pods`, { headers: { accept: TABLE_ACCEPT } });
  assert.equal(table.body['kind'], 'Table');
  assert.deepEqual(table.body['metadata'], { resourceVersion: '9' }, '§5.3: the highest RV seen locally');
  const tableRows = table.body['rows'] as {
    cells: unknown[];
    object: { kind: string; metadata: { namespace: string } };
  }[];
  assert.equal(tableRows.length, 1);
  assert.equal(tableRows[0]?.object.kind, 'PartialObjectMetadata');
  assert.equal(tableRows[0]?.object.metadata.namespace, 'default');
  const one = await getJson(`${f.url}/api/v1/namespaces/default/pods/a`, {
    headers: { accept: TABLE_ACCEPT },
  });
  assert.equal((one.body['rows'] as unknown[]).length, 1);
});

test('writes are 405, unknown paths and objects 404, bad queries 400 — all Kubernetes Status objects', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 1));
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const path = method === 'POST' ? '/api/v1/namespaces/default/pods' : '/api/v1/namespaces/default/pods/a';
    const r = await getJson(`${f.url}${path}`, {
      method,
      body: '{"kind":"Pod"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 405, method);
    assert.equal(r.body['kind'], 'Status');
    assert.equal(r.body['apiVersion'], 'v1');
    assert.equal(r.body['status'], 'Failure');
    assert.equal(r.body['reason'], 'MethodNotAllowed');
    assert.equal(r.body['code'], 405);
    assert.match(String(r.body['message']), new RegExp(`read-only: ${method} ${path} is not allowed`));
  }
  const missing = await getJson(`${f.url}/apis/apps/v1/namespaces/default/deployments/web`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body['message'], 'deployments.apps "web" not found');
  assert.deepEqual(missing.body['details'], { name: 'web', group: 'apps', kind: 'deployments' });
  const unknown = await getJson(`${f.url}/openapi/v3`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body['reason'], 'NotFound');
  const badQueries = [
    'labelSelector=app%20in%20(x',
    'fieldSelector=spec.foo%3Dx',
    'resourceVersion=abc',
    'includeObject=Everything',
    'watch=true&timeoutSeconds=-1',
  ];
  for (const query of badQueries) {
    const r = await getJson(`${f.url}/api/v1/pods?${query}`);
    assert.equal(r.status, 400, query);
    assert.equal(r.body['reason'], 'BadRequest', query);
  }
  assert.equal((await getJson(`${f.url}/api/v1/namespaces/%E0%A4%A/pods`)).status, 400);
  assert.equal((await getJson(`${f.url}/api/v1/namespaces/default/pods/a`)).status, 200, 'still serving');
});

test('bytes that are not HTTP get a 400 and a closed connection; the server keeps serving', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(f.server.port(), '127.0.0.1', () => socket.write('\x00\x01GARBAGE\r\n\r\n'));
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { kind: string; reason: string };
  assert.deepEqual([body.kind, body.reason], ['Status', 'BadRequest']);
  assert.equal((await fetch(`${f.url}/healthz`)).status, 200);
});
