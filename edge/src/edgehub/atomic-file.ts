/**
 * Atomic file replacement for the edge's credentials: write a temporary file beside the target with
 * the final mode, fsync it, rename it over the target, fsync the folder. A crash leaves either the
 * old file or the new one, never half of one (POSIX rename(2) is atomic within a file system).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StorageError, errorMessage } from '@edgeproof/core';

/** Replaces `path` with `data`, created with `mode` (the mode is set at creation, so no window with wider permissions). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new StorageError(
      `cannot write ${path}: ${errorMessage(err)}; check the folder exists and is writable`,
      {
        cause: err,
      },
    );
  }
  // Make the rename itself durable. Best effort: some file systems refuse fsync on a directory.
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // The data is written; only the durability of the rename across power loss is weaker.
  }
}
