/**
 * Crash-safe small-file writes for secrets and configuration (PKI keys, the admin token,
 * kubeconfigs): write a temp file next to the target, fsync it, then rename it over the target, so a
 * crash leaves the old file or the new one, never half of one.
 *
 * Synchronous on purpose: the callers write a few hundred bytes, once, at start-up or from a CLI,
 * and two of them (`loadOrCreateAdminToken`, `writeKubeconfig`) are synchronous APIs.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Replaces `path` with `data`, giving the file `mode` (e.g. 0o600 for secrets) whatever the umask.
 * The folder must exist. On failure the temp file is removed and the fs error is rethrown unchanged,
 * for the caller to wrap in its own error.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let created = false;
  try {
    // 'wx': never follow or reuse a file someone else put at the temp path.
    const fd = openSync(tmp, 'wx', mode);
    created = true;
    try {
      writeFileSync(fd, data); // loops until every byte is written, unlike a single writeSync
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode); // open()'s mode is filtered by the umask
    renameSync(tmp, path);
  } catch (err) {
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // already renamed or removed; the original error is the one to report
      }
    }
    throw err;
  }
}
