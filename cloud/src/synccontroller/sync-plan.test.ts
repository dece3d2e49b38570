// The resync diff (kubeedge-protocol.md §3.3): desired objects against a node's ObjectSync records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObjectSyncName, objectSyncName, type ObjectSyncRecord } from './object-sync-store.ts';
import { planNodeSync, type SyncTarget } from './sync-plan.ts';

const target = (kind: string, name: string, uid: string, resourceVersion: string): SyncTarget => ({
  kind,
  namespace: kind === 'Node' ? undefined : 'default',
  name,
  uid,
  resourceVersion,
});

const record = (
  kind: string,
  name: string,
  uid: string,
  resourceVersion: string | undefined,
): ObjectSyncRecord => ({
  nodeName: 'edge-1',
  kind,
  apiVersion: 'v1',
  namespace: kind === 'Node' ? undefined : 'default',
  name,
  uid,
  resourceVersion,
});

const summary = (actions: ReturnType<typeof planNodeSync>): string[] =>
  actions.map((a) =>
    a.action === 'send'
      ? `send ${a.object.kind}/${a.object.name}${a.firstTime ? ' first' : ''}`
      : `${a.action} ${a.record.kind}/${a.record.name}`,
  );

test('sends what was never acknowledged, and what has a greater resourceVersion', () => {
  const plan = planNodeSync(
    [
      target('ConfigMap', 'cfg', 'u1', '10'),
      target('Pod', 'web', 'u2', '12'),
      target('Pod', 'db', 'u3', '9'),
      target('Node', 'edge-1', 'u4', '100'),
    ],
    [
      record('Pod', 'web', 'u2', '9'), // older: 12 > 9 as integers, though "12" < "9" as strings
      record('Pod', 'db', 'u3', '9'), // current
      record('Node', 'edge-1', 'u4', undefined), // sent once, never acknowledged (§3.1 rule 4)
    ],
  );
  assert.deepEqual(summary(plan), ['send ConfigMap/cfg first', 'send Pod/web', 'send Node/edge-1 first']);
});

test('deletes what is gone or has another UID, before any send', () => {
  const plan = planNodeSync(
    [target('Pod', 'web', 'new-uid', '20'), target('ConfigMap', 'cfg', 'u1', '5')],
    [
      record('ConfigMap', 'cfg', 'u1', '5'),
      record('Pod', 'gone', 'u9', '7'),
      record('Pod', 'web', 'old-uid', '3'), // recreated under the same name
    ],
  );
  assert.deepEqual(summary(plan), ['delete Pod/gone', 'delete Pod/web', 'send Pod/web first']);
});

test('a configmap recreated under its name is forgotten, not deleted (the edge deletes by key)', () => {
  const plan = planNodeSync(
    [target('ConfigMap', 'cfg', 'new', '30')],
    [record('ConfigMap', 'cfg', 'old', '4'), record('Secret', 'cfg', 'other-kind', '4')],
  );
  assert.deepEqual(summary(plan), ['forget ConfigMap/cfg', 'delete Secret/cfg', 'send ConfigMap/cfg first']);
});

test('an object that no longer belongs to the node is deleted; nothing desired means delete all', () => {
  const records = [record('Pod', 'moved', 'u1', '3'), record('Secret', 'unreferenced', 'u2', '8')];
  assert.deepEqual(summary(planNodeSync([], records)), ['delete Pod/moved', 'delete Secret/unreferenced']);
  assert.deepEqual(planNodeSync([], []), []);
});

test('ObjectSync names are <node>.<uid>; node names may hold dots', () => {
  assert.equal(objectSyncName('edge-1', 'abc'), 'edge-1.abc');
  assert.deepEqual(parseObjectSyncName('edge.site-a.example.1b2c-3d'), {
    nodeName: 'edge.site-a.example',
    uid: '1b2c-3d',
  });
  assert.equal(parseObjectSyncName('nodot'), undefined);
  assert.equal(parseObjectSyncName('.uid'), undefined);
  assert.equal(parseObjectSyncName('node.'), undefined);
});
