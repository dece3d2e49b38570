// `edgeproof apiserver` on a full disk, seen through real kubectl: a write that cannot be made
// durable is refused with a message naming the disk, nothing half-written stays, the server keeps
// serving, and once there is room again writes go through and survive a restart. The full disk is
// real as far as SQLite can tell: the server's process gets a soft file-size limit just above its
// database files (prlimit, util-linux), so its writes fail with EFBIG as they would with ENOSPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, freePort, kubectl, kubectlOk, start } from './support/cli.ts';

function limitFileSize(pid: number, bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:`]);
}

test('a full disk: kubectl create is refused with the reason, nothing is half-written, and writes resume when there is room', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-disk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = String(await freePort());
  const args = ['apiserver', '--data-dir', dir, '--port', port];
  let server = await start(args);
  t.after(() => server.child.kill('SIGKILL'));
  const kubeconfig = join(dir, 'kubeconfig');
  await kubectlOk(kubeconfig, ['create', 'configmap', 'before', '--from-literal=a=b']);

  const db = join(dir, 'apiserver.db');
  const files = Math.max(statSync(db).size, statSync(`${db}-wal`).size);
  limitFileSize(server.child.pid!, files + 64 * 1024);
  const big = join(dir, 'big.txt');
  writeFileSync(big, 'x'.repeat(700_000));
  const refused = await kubectl(kubeconfig, ['create', 'configmap', 'big', `--from-file=data=${big}`]);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(
    refused.stderr,
    /an error on the server \(cannot commit 1 API write\(s\) to the database: .+; they were undone: check the disk of the data dir and retry\)/,
  );
  assert.match(server.output(), /commit failed/);
  // Still serving, and the refused object is not there.
  const names = await kubectlOk(kubeconfig, ['get', 'configmaps', '-o', 'name']);
  assert.match(names, /configmap\/before/);
  assert.doesNotMatch(names, /configmap\/big/);

  limitFileSize(server.child.pid!, 'unlimited');
  await kubectlOk(kubeconfig, ['create', 'configmap', 'big', `--from-file=data=${big}`]);

  // Acknowledged writes are durable: kill -9 and start again on the same data dir.
  server.child.kill('SIGKILL');
  await exitOf(server.child);
  server = await start(args);
  const after = await kubectlOk(kubeconfig, ['get', 'configmaps', '-o', 'name']);
  assert.match(after, /configmap\/before/);
  assert.match(after, /configmap\/big/);
  const size = await kubectlOk(kubeconfig, ['get', 'configmap', 'big', '-o', 'jsonpath={.data.data}']);
  assert.equal(size.length, 700_000);
});
