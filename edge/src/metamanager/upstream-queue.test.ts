import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetaStore } from './store.ts';
import { UpstreamQueue } from './upstream-queue.ts';

function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'upstream-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'edgecore.db');
  MetaStore.open(path).close(); // the queue lives in an edgecore database
  return path;
}

test('a newer upload for the same key replaces the older one, and order is by last put', (t) => {
  const q = UpstreamQueue.open(tempDb(t));
  t.after(() => q.close());
  q.put('default/podpatch/a', 'default/podpatch/a', 'patch', '{"v":1}');
  q.put('default/podpatch/b', 'default/podpatch/b', 'patch', '{"v":1}');
  q.put('default/podpatch/a', 'default/podpatch/a', 'patch', '{"v":2}');
  assert.deepEqual(
    q.list().map((u) => [u.key, u.content]),
    [
      ['default/podpatch/b', '{"v":1}'],
      ['default/podpatch/a', '{"v":2}'],
    ],
  );
  assert.equal(q.size(), 2);
});

test('an acknowledgement of an older send does not drop a newer status', (t) => {
  const q = UpstreamQueue.open(tempDb(t));
  t.after(() => q.close());
  const first = q.put('k', 'default/podpatch/a', 'patch', '{"v":1}');
  const second = q.put('k', 'default/podpatch/a', 'patch', '{"v":2}');
  assert.equal(q.remove('k', first), false);
  assert.equal(q.size(), 1);
  assert.equal(q.remove('k', second), true);
  assert.equal(q.size(), 0);
});

test('queued uploads survive a reopen, and sequence numbers keep growing', (t) => {
  const path = tempDb(t);
  const q = UpstreamQueue.open(path);
  const seq = q.put('k', 'default/podpatch/a', 'patch', '{}');
  q.close();
  const again = UpstreamQueue.open(path);
  t.after(() => again.close());
  assert.deepEqual(
    again.list().map((u) => u.key),
    ['k'],
  );
  assert.ok(again.put('k2', 'default/podpatch/b', 'patch', '{}') > seq);
  // MetaStore still accepts the file with the queue's table in it.
  MetaStore.open(path).close();
});
