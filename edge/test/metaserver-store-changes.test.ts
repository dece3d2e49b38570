/**
 * MetaStore's change subscription, which MetaServer's watches are built on: one synchronous call
 * per committed `meta_v2` change (kubeedge-protocol.md §5.1: mirrored changes are fanned out to
 * local watchers), and a listener's failure never breaks the write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetaStore, type MetaV2Change } from '../src/metamanager/store.ts';

function openStore(t: { after: (fn: () => void) => void }): MetaStore {
  const dir = mkdtempSync(join(tmpdir(), 'metaserver-changes-'));
  const store = MetaStore.open(join(dir, 'edgecore.db'));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

const pod = (rv: string, phase = 'Running', uid = 'u1'): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'nginx', namespace: 'default', uid, resourceVersion: rv },
    status: { phase },
  });

test('upserts are ADDED then MODIFIED (with the previous object), deletes DELETED with the row that went', (t) => {
  const store = openStore(t);
  const changes: MetaV2Change[] = [];
  store.onChange((c) => changes.push(c));
  store.upsert('default/pod/nginx', 'pod', pod('5'));
  store.upsert('default/pod/nginx', 'pod', pod('9', 'Failed'), '9');
  assert.equal(store.delete('default/pod/nginx'), true);
  assert.deepEqual(
    changes.map((c) => [c.type, c.key, c.gvr, c.namespace, c.name, c.resourceVersion]),
    [
      ['ADDED', '/core/v1/pods/default/nginx', '/v1, Resource=pods', 'default', 'nginx', 5],
      ['MODIFIED', '/core/v1/pods/default/nginx', '/v1, Resource=pods', 'default', 'nginx', 9],
      ['DELETED', '/core/v1/pods/default/nginx', '/v1, Resource=pods', 'default', 'nginx', 9],
    ],
  );
  assert.deepEqual(changes[1]?.object, JSON.parse(pod('9', 'Failed')));
  assert.deepEqual(changes[1]?.previous, JSON.parse(pod('5')));
  assert.deepEqual(
    changes[2]?.object,
    JSON.parse(pod('9', 'Failed')),
    'DELETED carries the object as it was',
  );
});

test('only meta_v2 changes are emitted: not status types, untyped objects, refused or missing deletes', (t) => {
  const store = openStore(t);
  const changes: MetaV2Change[] = [];
  store.onChange((c) => changes.push(c));
  store.upsert('default/podstatus/nginx', 'podstatus', pod('3'));
  store.upsert('default/configmap/cfg', 'configmap', JSON.stringify({ data: {} }));
  store.upsert('default/pod/nginx', 'pod', pod('4'));
  assert.equal(store.delete('default/pod/nginx', { uid: 'other' }), false);
  assert.equal(store.delete('default/pod/missing'), false);
  assert.deepEqual(
    changes.map((c) => c.type),
    ['ADDED'],
  );
});

test('a throwing listener does not fail the write nor stop the others; unsubscribe stops calls', (t) => {
  const store = openStore(t);
  const seen: string[] = [];
  const off = store.onChange(() => {
    throw new Error('listener bug');
  });
  const offSeen = store.onChange((c) => seen.push(c.type));
  assert.doesNotThrow(() => store.upsert('default/pod/nginx', 'pod', pod('1')));
  assert.ok(store.getV2('/core/v1/pods/default/nginx'), 'the write committed');
  assert.deepEqual(seen, ['ADDED']);
  off();
  offSeen();
  store.upsert('default/pod/nginx', 'pod', pod('2'));
  assert.deepEqual(seen, ['ADDED']);
});
