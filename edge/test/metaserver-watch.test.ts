/**
 * MetaServer watches over real sockets (kubectl-contract.md §5): chunked NDJSON, only events newer
 * than the requested resourceVersion, selector transitions, Tables, bookmarks, timeouts, 410, and
 * clean ends on client disconnect and server stop. Timers run on a FakeClock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@edgeproof/core';
import { openWatch, startMetaServer, testPod } from './metaserver-fixtures.ts';

const names = (events: { type: string; object: Record<string, unknown> }[]): string[] =>
  events.map(
    (e) => `${e.type} ${String((e.object['metadata'] as { name?: string } | undefined)?.name ?? '')}`,
  );

test('a watch from the list RV streams chunked NDJSON of the changes after it, and none before', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 10));
  const list = (await (await fetch(`${f.url}/api/v1/namespaces/default/pods`)).json()) as {
    metadata: { resourceVersion: string };
  };
  assert.equal(list.metadata.resourceVersion, '10');
  // A change between the list and the watch must still reach the watch.
  f.put(testPod('default', 'b', 11));
  const w = await openWatch(f.url, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=10`);
  t.after(() => w.close());
  assert.equal(w.status, 200);
  assert.equal(w.headers['transfer-encoding'], 'chunked');
  assert.equal(w.headers['content-type'], 'application/json');
  await w.waitFor(1);
  f.put(testPod('default', 'a', 12, { phase: 'Failed' }));
  f.put(testPod('other', 'c', 13)); // another namespace: not this watch's
  f.remove(testPod('default', 'b', 11));
  await w.waitFor(3);
  assert.deepEqual(names(w.events), ['ADDED b', 'MODIFIED a', 'DELETED b']);
  const deleted = w.events[2]?.object['metadata'] as { resourceVersion: string };
  assert.equal(
    deleted.resourceVersion,
    '13',
    'a delete carries the highest RV seen, so a client RV never goes back',
  );
});

test('without a resourceVersion (or with 0) the watch starts with the current objects', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 1));
  f.put(testPod('kube-system', 'b', 2));
  for (const query of ['watch=1', 'watch=true&resourceVersion=0']) {
    const w = await openWatch(f.url, `/api/v1/pods?${query}`);
    await w.waitFor(2);
    assert.deepEqual(names(w.events), ['ADDED a', 'ADDED b'], query);
    w.close();
  }
});

test('selectors apply to watches: an object entering is ADDED, one leaving is DELETED', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 1, { labels: { tier: 'front' } }));
  const w = await openWatch(
    f.url,
    '/api/v1/pods?watch=true&resourceVersion=1&labelSelector=tier%3Dfront&fieldSelector=spec.nodeName%3Dedge-1',
  );
  t.after(() => w.close());
  f.put(testPod('default', 'a', 2, { labels: { tier: 'back' } })); // leaves
  f.put(testPod('default', 'a', 3, { labels: { tier: 'front' } })); // enters
  f.put(testPod('default', 'x', 4, { labels: { tier: 'front' }, node: 'edge-2' })); // never in
  f.put(testPod('default', 'a', 5, { labels: { tier: 'front' }, phase: 'Succeeded' })); // stays
  await w.waitFor(3);
  assert.deepEqual(names(w.events), ['DELETED a', 'ADDED a', 'MODIFIED a']);
  const left = w.events[0]?.object as {
    metadata: { resourceVersion: string; labels: Record<string, string> };
  };
  assert.deepEqual(
    [left.metadata.labels, left.metadata.resourceVersion],
    [{ tier: 'front' }, '2'],
    'old content, new RV',
  );
});

test('with the Table Accept of kubectl get -w, each event holds a one-row Table', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  const w = await openWatch(f.url, '/api/v1/namespaces/default/pods?watch=true&resourceVersion=1', {
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
  });
  t.after(() => w.close());
  f.put(testPod('default', 'a', 2));
  await w.waitFor(1);
  const table = w.events[0]?.object as {
    kind: string;
    rows: { cells: unknown[]; object: { kind: string } }[];
  };
  assert.equal(w.events[0]?.type, 'ADDED');
  assert.equal(table.kind, 'Table');
  assert.equal(table.rows.length, 1);
  assert.deepEqual(table.rows[0]?.cells.slice(0, 4), ['a', '1/1', 'Running', '0']);
  assert.equal(table.rows[0]?.object.kind, 'PartialObjectMetadata');
});

test('bookmarks carry the highest RV; timeoutSeconds ends the stream cleanly (FakeClock)', async (t) => {
  const clock = new FakeClock();
  const f = await startMetaServer({ clock, bookmarkIntervalMs: 60_000 });
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 5));
  const w = await openWatch(
    f.url,
    '/api/v1/namespaces/default/pods?watch=true&resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=300&fieldSelector=metadata.name%3Da',
  );
  f.put(testPod('other', 'z', 8)); // raises the highest RV, not this watch's object
  clock.advance(60_000);
  await w.waitFor(1);
  assert.deepEqual(w.events[0], {
    type: 'BOOKMARK',
    object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '8' } },
  });
  clock.advance(240_000);
  assert.equal(await w.ended, true);
  assert.deepEqual(
    w.events.map((e) => e.type),
    ['BOOKMARK', 'BOOKMARK', 'BOOKMARK', 'BOOKMARK', 'BOOKMARK'],
  );
});

test('sendInitialEvents gives the current state, then the initial-events-end bookmark', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 3));
  const w = await openWatch(
    f.url,
    '/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan',
  );
  t.after(() => w.close());
  await w.waitFor(2);
  assert.equal(w.events[0]?.type, 'ADDED');
  assert.deepEqual(w.events[1], {
    type: 'BOOKMARK',
    object: {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { resourceVersion: '3', annotations: { 'k8s.io/initial-events-end': 'true' } },
    },
  });
});

test('a resourceVersion older than the history is an ERROR event with a 410 Expired Status', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  f.put(testPod('default', 'a', 50));
  await f.server.stop();
  await f.server.start(); // the history starts again at RV 50
  const w = await openWatch(
    `http://127.0.0.1:${f.server.port()}`,
    '/api/v1/pods?watch=true&resourceVersion=40',
  );
  assert.equal(await w.ended, true);
  assert.equal(w.events.length, 1);
  assert.equal(w.events[0]?.type, 'ERROR');
  const status = w.events[0]?.object as { kind: string; code: number; reason: string };
  assert.deepEqual([status.kind, status.code, status.reason], ['Status', 410, 'Expired']);
});

test('a client going away does not disturb the writer; stop() ends open watches cleanly', async (t) => {
  const f = await startMetaServer();
  t.after(() => f.stop());
  const gone = await openWatch(f.url, '/api/v1/pods?watch=true&resourceVersion=1');
  gone.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  f.put(testPod('default', 'a', 2)); // must not throw into the writer
  const open = await openWatch(f.url, '/api/v1/pods?watch=true&resourceVersion=2');
  const started = Date.now();
  await f.server.stop();
  assert.ok(Date.now() - started < 900, 'stop does not wait out the grace period for a reading client');
  assert.equal(await open.ended, true, 'the stream got its terminating chunk');
  f.put(testPod('default', 'b', 3)); // the store outlives the server and still takes writes
  assert.ok(f.store.getV2('/core/v1/pods/default/b'));
});
