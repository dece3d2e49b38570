/**
 * The process runtime's memory of a pod across edgecore restarts: `<podDir>/state.json`, with the
 * pod as last synced and, per container, its status, its process (pid and /proc start time) and an
 * exit not yet acted on. A new runtime instance reads it to adopt what still runs (kubelet finds
 * its containers through the CRI instead; without one, this file is the runtime's record).
 *
 * Written atomically (temporary file, fsync, rename), so a crash leaves the old or the new record.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageError, errorMessage } from '@edgeproof/core';
import { writeFileAtomic } from '../edgehub/atomic-file.ts';
import type { ContainerStateTerminated, ContainerStatus, Pod } from './pod-types.ts';

export const POD_STATE_FILE = 'state.json';
const VERSION = 1;

export interface ContainerRecord {
  status: ContainerStatus;
  pid?: number;
  startTicks?: number;
  /** When the running instance started, in ms (the status keeps whole seconds only). */
  startedAtMs?: number;
  /** An exit the runtime has not yet answered with a restart (or never will, by restart policy). */
  pendingExit?: { terminated: ContainerStateTerminated; finishedAtMs: number };
}

export interface PodRecord {
  version: typeof VERSION;
  pod: Pod;
  startTime: string;
  containers: Record<string, ContainerRecord>;
}

export async function writePodRecord(podDir: string, record: Omit<PodRecord, 'version'>): Promise<void> {
  await writeFileAtomic(join(podDir, POD_STATE_FILE), JSON.stringify({ version: VERSION, ...record }), 0o600);
}

/** The record in `podDir`, or `undefined` when there is none; an unreadable one is a StorageError. */
export async function readPodRecord(podDir: string): Promise<PodRecord | undefined> {
  const path = join(podDir, POD_STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  let record: Partial<PodRecord>;
  try {
    record = JSON.parse(text) as Partial<PodRecord>;
  } catch (err) {
    throw new StorageError(`${path} is not JSON: ${errorMessage(err)}; remove it to forget the pod`, {
      cause: err,
    });
  }
  if (record.version !== VERSION || typeof record.pod !== 'object' || typeof record.containers !== 'object') {
    throw new StorageError(
      `${path} is not a version ${VERSION} pod record; remove it (and stop the pod's processes) to forget the pod`,
    );
  }
  return record as PodRecord;
}

/** The pod uids that have a folder under `<rootDir>/pods`. */
export async function listPodDirs(rootDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(rootDir, 'pods'), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StorageError(`cannot list ${join(rootDir, 'pods')}: ${errorMessage(err)}`, { cause: err });
  }
}
