// Grouped commits of the API server's SQLite storage, checked against the database file itself:
// a second connection (as another process would) sees only what is committed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, test, type TestContext } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { StorageError, createLogger, silentLogger } from '@edgeproof/core';
import { Storage, type StoredChange } from './storage.ts';
import type { KubeObject } from './types.ts';

const dirs: string[] = [];
let path: string;

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-storage-'));
  dirs.push(dir);
  path = join(dir, 'apiserver.db');
});

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function configMap(name: string, value: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    data: { value },
  };
}

function valueOf(object: KubeObject | undefined): unknown {
  return (object?.data as { value?: string } | undefined)?.value;
}

/** The objects another connection to the same file can read: the committed ones. */
function committedNames(): string[] {
  const reader = new Database(path, { readonly: true });
  try {
    return reader
      .prepare<[], { name: string }>("SELECT name FROM objects WHERE resource = 'configmaps' ORDER BY name")
      .all()
      .map((r) => r.name);
  } finally {
    reader.close();
  }
}

test('the writes of one turn commit together at its end; listeners hear of them only then', async () => {
  const storage = new Storage({ path, logger: silentLogger() });
  const heard: StoredChange[] = [];
  storage.subscribe('configmaps', (change) => heard.push(change));
  storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  storage.put('configmaps', 'default', 'b', configMap('b', '1'));
  // Visible to this process's reads and writes at once (the registry's read-modify-write) ...
  assert.equal(valueOf(storage.get('configmaps', 'default', 'a')?.object), '1');
  assert.equal(storage.currentRv(), 2);
  // ... but not yet on disk, and no listener has been told.
  assert.deepEqual(committedNames(), []);
  assert.equal(heard.length, 0);
  await storage.settled();
  assert.deepEqual(committedNames(), ['a', 'b']);
  assert.deepEqual(
    heard.map((c) => [c.type, c.name, c.rv]),
    [
      ['ADDED', 'a', 1],
      ['ADDED', 'b', 2],
    ],
  );
  storage.close();
});

test('settled() resolves at once when nothing is pending, and after the commit when something is', async () => {
  const storage = new Storage({ path, logger: silentLogger() });
  await storage.settled();
  storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  let done = false;
  const settled = storage.settled().then(() => (done = true));
  assert.equal(done, false);
  await settled;
  assert.equal(done, true);
  assert.deepEqual(committedNames(), ['a']);
  storage.close();
});

test('a write made by a listener during a commit joins the next batch, and settled() waits for it too', async () => {
  const storage = new Storage({ path, logger: silentLogger() });
  storage.subscribe('configmaps', (change) => {
    if (change.name === 'a') storage.put('configmaps', 'default', 'follow-up', configMap('follow-up', '1'));
  });
  storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  await storage.settled();
  assert.deepEqual(committedNames(), ['a', 'follow-up']);
  storage.close();
});

test('the change-log replay covers committed changes only, so a pending change is not delivered twice', async () => {
  const storage = new Storage({ path, logger: silentLogger() });
  const created = storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  await storage.settled();
  storage.put('configmaps', 'default', 'a', configMap('a', '2'), created.object);
  // A watcher subscribing now and replaying from rv 0, in the same tick, as the registry does.
  const seen: number[] = [];
  storage.subscribe('configmaps', (c) => seen.push(c.rv));
  for (const c of storage.changesSince('configmaps', 0)) seen.push(c.rv);
  assert.deepEqual(seen, [1]);
  await nextTurn();
  assert.deepEqual(seen, [1, 2]);
  storage.close();
});

test('a failed write inside a batch is undone alone; the rest of the batch commits', async () => {
  const storage = new Storage({ path, logger: silentLogger() });
  storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  assert.throws(
    () =>
      storage.transaction(() => {
        storage.put('configmaps', 'default', 'b', configMap('b', '1'));
        throw new Error('validation failed half way');
      }),
    /half way/,
  );
  await storage.settled();
  assert.deepEqual(committedNames(), ['a']);
  storage.close();
});

test('close() commits what is pending, and a reopened database resumes its resourceVersion', () => {
  const first = new Storage({ path, logger: silentLogger() });
  const created = first.put('configmaps', 'default', 'a', configMap('a', '1'));
  first.put('configmaps', 'default', 'a', configMap('a', '2'), created.object);
  first.close();
  const second = new Storage({ path, logger: silentLogger() });
  assert.equal(second.currentRv(), 2);
  assert.equal(valueOf(second.get('configmaps', 'default', 'a')?.object), '2');
  assert.deepEqual(
    second.changesSince('configmaps', 0).map((c) => c.type),
    ['ADDED', 'MODIFIED'],
  );
  second.close();
});

test('a listener that throws is logged and does not keep the others from the change', async () => {
  const lines: string[] = [];
  const storage = new Storage({
    path,
    logger: createLogger('storage', { write: (line) => lines.push(line) }),
  });
  const heard: string[] = [];
  storage.subscribe('configmaps', () => {
    throw new Error('broken listener');
  });
  storage.subscribeAll((c) => heard.push(c.name));
  storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  await storage.settled();
  assert.deepEqual(heard, ['a']);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /ERROR storage change listener failed .*name=a .*broken listener/);
  storage.close();
});

// A full disk, for real: this test file's process (node --test runs each file in its own) gets a
// soft file-size limit just above the database's files (prlimit, util-linux), so SQLite's writes
// fail with EFBIG as they would with ENOSPC; the limit is lifted again before the test ends.
function limitFileSize(bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:`]);
}

/**
 * A storage holding one committed object `a` whose disk is full `margin` bytes above its files
 * from now on; both undone when the test ends.
 */
async function onAFullDisk(t: TestContext, margin: number): Promise<Storage> {
  const storage = new Storage({ path, logger: silentLogger() });
  t.after(() => storage.close());
  storage.put('configmaps', 'default', 'a', configMap('a', '1'));
  await storage.settled();
  limitFileSize(Math.max(statSync(path).size, statSync(`${path}-wal`).size) + margin);
  t.after(() => limitFileSize('unlimited'));
  return storage;
}

test('a commit that fails on a full disk is undone: its writers get a StorageError, and the next write takes its resourceVersion', async (t) => {
  const storage = await onAFullDisk(t, 64 * 1024);
  storage.put('configmaps', 'default', 'big', configMap('big', 'x'.repeat(300_000)));
  await assert.rejects(storage.settled(), (err: Error) => {
    assert.ok(err instanceof StorageError, String(err));
    assert.match(
      err.message,
      /cannot commit 1 API write\(s\) to the database: .+; they were undone: check the disk/,
    );
    return true;
  });
  assert.equal(storage.currentRv(), 1);
  assert.equal(storage.get('configmaps', 'default', 'big'), undefined);
  assert.deepEqual(committedNames(), ['a']);

  limitFileSize('unlimited');
  const change = storage.put('configmaps', 'default', 'big', configMap('big', 'x'.repeat(300_000)));
  await storage.settled();
  assert.equal(change.rv, 2);
  assert.deepEqual(committedNames(), ['a', 'big']);
});

test('when SQLite rolls a batch back after a failed write, the batch fails at once and later writes start a new one', async (t) => {
  const storage = await onAFullDisk(t, 100 * 1024);
  // Big writes in one turn: once SQLite's page cache spills to the full disk, a write fails and
  // SQLite rolls the whole transaction back (the earlier writes of the batch included).
  let firstBatch: Promise<void> | undefined;
  let failure: unknown;
  for (let i = 0; i < 60 && failure === undefined; i++) {
    try {
      storage.put('configmaps', 'default', `b${i}`, configMap(`b${i}`, 'x'.repeat(900_000)));
      firstBatch ??= storage.settled();
    } catch (err) {
      failure = err;
    }
  }
  assert.ok(failure instanceof StorageError, `a write fails on the full disk: ${String(failure)}`);
  assert.match(failure.message, /cannot write configmaps default\/b\d+ to the database: .+; check the disk/);
  assert.ok(firstBatch, 'the first big write went into the batch');
  assert.equal(storage.currentRv(), 1, 'the batch is undone at once');

  // Room again, same turn: the write opens a new batch (it must not commit on its own under a
  // resourceVersion that the failed batch had handed out).
  limitFileSize('unlimited');
  const change = storage.put('configmaps', 'default', 'after', configMap('after', '1'));
  assert.equal(change.rv, 2);
  assert.deepEqual(committedNames(), ['a'], 'not committed before the end of the turn');
  await assert.rejects(firstBatch, /rolled the transaction back after a write failed; they were undone/);
  await storage.settled();
  assert.deepEqual(committedNames(), ['a', 'after']);
  const reader = new Database(path, { readonly: true });
  try {
    const rvs = reader.prepare<[], { rv: number }>('SELECT rv FROM changes ORDER BY rv').all();
    assert.deepEqual(
      rvs.map((r) => r.rv),
      [1, 2],
    );
  } finally {
    reader.close();
  }
});
