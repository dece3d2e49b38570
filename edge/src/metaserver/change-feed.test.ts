import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@edgeproof/core';
import { MetaStore } from '../metamanager/store.ts';
import { ChangeFeed, type FeedEntry } from './change-feed.ts';

function openStore(t: { after: (fn: () => void) => void }): MetaStore {
  const dir = mkdtempSync(join(tmpdir(), 'metaserver-feed-'));
  const store = MetaStore.open(join(dir, 'edgecore.db'));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

const putPod = (store: MetaStore, name: string, rv: number): void =>
  store.upsert(
    `default/pod/${name}`,
    'pod',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', resourceVersion: String(rv) },
    }),
  );

const names = (entries: FeedEntry[] | undefined): string[] | undefined =>
  entries?.map((e) => `${e.change.type} ${e.change.name}`);

test('starts at the highest stored RV and raises it with every change, deletes included', (t) => {
  const store = openStore(t);
  putPod(store, 'a', 7);
  putPod(store, 'b', 5);
  const feed = new ChangeFeed({ store, logger: silentLogger() });
  feed.start();
  t.after(() => feed.stop());
  assert.equal(feed.highestResourceVersion(), 7);
  putPod(store, 'c', 9);
  store.delete('default/pod/c');
  assert.equal(feed.highestResourceVersion(), 9, 'a delete does not lower the highest RV seen');
});

test('since(rv) gives the changes after a list that answered rv, and undefined below the history', (t) => {
  const store = openStore(t);
  putPod(store, 'a', 10);
  const feed = new ChangeFeed({ store, logger: silentLogger(), historySize: 3 });
  feed.start();
  t.after(() => feed.stop());
  const seen: string[] = [];
  feed.subscribe((e) => seen.push(`${e.change.type} ${e.change.name}`));

  putPod(store, 'b', 11); // a list now answers 11
  store.delete('default/pod/a'); // no RV of its own: it counts as after 11
  putPod(store, 'c', 12);
  assert.deepEqual(names(feed.since(10)), ['ADDED b', 'DELETED a', 'ADDED c']);
  assert.deepEqual(names(feed.since(11)), ['DELETED a', 'ADDED c']);
  assert.deepEqual(names(feed.since(12)), []);
  assert.deepEqual(names(feed.since(99)), []);
  assert.equal(feed.since(9), undefined, 'from before start: 410');
  assert.deepEqual(seen, ['ADDED b', 'DELETED a', 'ADDED c']);

  putPod(store, 'b', 13); // the history keeps 3: `ADDED b` (after 10) falls out
  assert.equal(feed.oldestResourceVersion(), 11);
  assert.equal(feed.since(10), undefined);
  assert.deepEqual(names(feed.since(11)), ['DELETED a', 'ADDED c', 'MODIFIED b']);
});

test('a listener that throws is logged and does not stop the others nor the write', (t) => {
  const store = openStore(t);
  const errors: string[] = [];
  const logger = { ...silentLogger(), error: (message: string) => errors.push(message) };
  const feed = new ChangeFeed({ store, logger });
  feed.start();
  t.after(() => feed.stop());
  const seen: string[] = [];
  feed.subscribe(() => {
    throw new Error('boom');
  });
  feed.subscribe((e) => seen.push(e.change.name));
  putPod(store, 'a', 1);
  assert.deepEqual(seen, ['a']);
  assert.equal(errors.length, 1);
  assert.ok(store.getV2('/core/v1/pods/default/a'));
  feed.stop();
  putPod(store, 'b', 2);
  assert.deepEqual(seen, ['a'], 'nothing after stop');
});
