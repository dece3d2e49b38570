import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { StorageError } from '@edgeproof/core';
import { MetaStore, guessKindToResource, metaV2Location } from './store.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'metastore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const pod = (rv: string, uid = 'u1') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'nginx', namespace: 'default', uid, resourceVersion: rv },
  });

test('guesses resources as apimachinery UnsafeGuessKindToResource does', () => {
  assert.equal(guessKindToResource('Pod'), 'pods');
  assert.equal(guessKindToResource('Endpoints'), 'endpoints');
  assert.equal(guessKindToResource('Ingress'), 'ingresses');
  assert.equal(guessKindToResource('NetworkPolicy'), 'networkpolicies');
  assert.deepEqual(metaV2Location(JSON.parse(pod('1'))), {
    key: '/core/v1/pods/default/nginx',
    gvr: '/v1, Resource=pods',
    namespace: 'default',
    name: 'nginx',
  });
  assert.deepEqual(metaV2Location({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }), {
    key: '/apps/v1/deployments/null/d',
    gvr: 'apps/v1, Resource=deployments',
    namespace: 'null',
    name: 'd',
  });
  assert.equal(metaV2Location({ metadata: { name: 'x' } }), undefined);
});

test('upsert, get, listByType, delete keep meta and meta_v2 in step', (t) => {
  const path = join(tmp(t), 'edgecore.db');
  const store = MetaStore.open(path);
  t.after(() => store.close());
  store.upsert('default/pod/nginx', 'pod', pod('5'));
  store.upsert('default/configmap/cfg', 'configmap', JSON.stringify({ data: {} }));
  assert.deepEqual(store.get('default/pod/nginx'), {
    key: 'default/pod/nginx',
    type: 'pod',
    value: pod('5'),
  });
  assert.deepEqual(
    store.listByType('pod').map((r) => r.key),
    ['default/pod/nginx'],
  );
  const v2 = store.getV2('/core/v1/pods/default/nginx');
  assert.equal(v2?.group_version_resource, '/v1, Resource=pods');
  assert.equal(v2?.resource_version, 5);
  store.upsert('default/pod/nginx', 'pod', pod('9'), '9');
  assert.equal(store.getV2('/core/v1/pods/default/nginx')?.resource_version, 9);
  assert.equal(store.listV2('/v1, Resource=pods').length, 1);
  // Status types are not mirrored into meta_v2 (imitator.go).
  store.upsert('default/podstatus/nginx', 'podstatus', pod('10'));
  assert.equal(store.listV2('/v1, Resource=pods').length, 1);

  assert.equal(store.delete('default/pod/nginx', { uid: 'other' }), false, 'UID mismatch keeps the row');
  assert.ok(store.get('default/pod/nginx'));
  assert.equal(store.delete('default/pod/nginx', { uid: 'u1' }), true);
  assert.equal(store.get('default/pod/nginx'), undefined);
  assert.equal(store.getV2('/core/v1/pods/default/nginx'), undefined);
  assert.equal(store.delete('default/pod/nginx'), false);
});

test('data survives reopen; the file is WAL with KubeEdge’s columns', (t) => {
  const path = join(tmp(t), 'edgecore.db');
  const a = MetaStore.open(path);
  a.upsert('default/pod/nginx', 'pod', pod('3'));
  a.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const cols = (db.prepare('PRAGMA table_info(meta_v2)').all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(cols, ['key', 'group_version_resource', 'namespace', 'name', 'resource_version', 'value']);
  db.close();
  const b = MetaStore.open(path);
  t.after(() => b.close());
  assert.equal(b.get('default/pod/nginx')?.value, pod('3'));
});

test('a committed write survives kill -9 of the writer', (t) => {
  const path = join(tmp(t), 'edgecore.db');
  const script = `
    import { MetaStore } from ${JSON.stringify(new URL('./store.ts', import.meta.url).href)};
    const s = MetaStore.open(${JSON.stringify(path)});
    s.upsert('default/pod/nginx', 'pod', ${JSON.stringify(pod('7'))});
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const s = MetaStore.open(path);
  t.after(() => s.close());
  assert.equal(s.get('default/pod/nginx')?.value, pod('7'));
  assert.equal(s.getV2('/core/v1/pods/default/nginx')?.resource_version, 7);
});

test('a file that is not an edgecore database is refused with its name', (t) => {
  const dir = tmp(t);
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not sqlite at all, just text padding '.repeat(40));
  assert.throws(
    () => MetaStore.open(junk),
    (e: unknown) => e instanceof StorageError && e.message.includes(junk),
  );
  const other = join(dir, 'other.db');
  const db = new Database(other);
  db.exec('CREATE TABLE objects (id integer)');
  db.close();
  assert.throws(
    () => MetaStore.open(other),
    (e: unknown) => e instanceof StorageError && e.message.includes(`${other} is not an edgecore database`),
  );
});
