import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '@edgeproof/core';
import { initialContainerStatus } from './pod-status.ts';
import { listPodDirs, readPodRecord, writePodRecord } from './pod-state-file.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'edged-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a pod record round-trips, readable by its owner only', async (t) => {
  const root = tmp(t);
  const podDir = join(root, 'pods', 'u1');
  mkdirSync(podDir, { recursive: true });
  const record = {
    pod: { metadata: { uid: 'u1', name: 'p' }, spec: { containers: [{ name: 'c' }] } },
    startTime: '2026-01-01T00:00:00Z',
    containers: {
      c: { status: initialContainerStatus('c', 'img'), pid: 4242, startTicks: 99, startedAtMs: 1 },
    },
  };
  await writePodRecord(podDir, record);
  assert.deepEqual(await readPodRecord(podDir), { version: 1, ...record });
  assert.equal(statSync(join(podDir, 'state.json')).mode & 0o777, 0o600);
  assert.deepEqual(await listPodDirs(root), ['u1']);
});

test('no record is undefined; a corrupt or foreign one is a StorageError that says what to do', async (t) => {
  const root = tmp(t);
  assert.deepEqual(await listPodDirs(root), []);
  assert.equal(await readPodRecord(root), undefined);
  writeFileSync(join(root, 'state.json'), '{"version":1,');
  await assert.rejects(
    readPodRecord(root),
    (err: unknown) =>
      err instanceof StorageError &&
      /state.json is not JSON: .*remove it to forget the pod/.test(err.message),
  );
  writeFileSync(join(root, 'state.json'), '{"version":7}');
  await assert.rejects(readPodRecord(root), /is not a version 1 pod record; remove it/);
});
