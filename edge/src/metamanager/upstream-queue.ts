/**
 * UpstreamQueue: what the edge has to tell the cloud (pod status patches, events), kept in SQLite
 * until the cloud has acknowledged it, coalesced to the latest per object. This is where edgeproof
 * is better than KubeEdge on purpose (ARCHITECTURE.md §5): KubeEdge's metamanager answers an
 * offline `patch` with an error and the status is lost until the kubelet happens to post again
 * (kubeedge-protocol.md §4.3); here a status made offline is delivered after reconnect, once.
 *
 * - One row per `key` (e.g. `default/podpatch/web` for a pod's status): a newer entry replaces the
 *   older, so an hour offline sends one patch per pod, not thousands.
 * - Every put gets a new `seq`. `remove(key, seq)` deletes the row only if it is still that entry,
 *   so an acknowledgement of an older send never drops a newer status queued meanwhile.
 * - The table lives in the node's `edgecore.db` beside KubeEdge's tables, on a connection of its
 *   own with `synchronous = FULL`: losing a queued upload loses user-visible state (ARCHITECTURE.md
 *   §4, "FULL where losing a write loses user data"). Open it after MetaStore, which checks the
 *   file is an edgecore database.
 */
import type Database from 'better-sqlite3';
import { openEdgeDatabase } from './sqlite.ts';
import { StorageError, errorMessage } from '@edgeproof/core';

/** One queued upload. */
export interface QueuedUpload {
  key: string;
  /** The message's edge resource, e.g. `default/podpatch/web`. */
  resource: string;
  operation: string;
  /** The message content as JSON text. */
  content: string;
  seq: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS edgeproof_upstream_queue (
  key varchar(256) NOT NULL PRIMARY KEY,
  resource varchar(256) NOT NULL,
  operation varchar(32) NOT NULL,
  content text NOT NULL,
  seq integer NOT NULL
);
`;

/** See the module comment. Synchronous (better-sqlite3); `UpstreamQueue.open` does the I/O. */
export class UpstreamQueue {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmt;
  private nextSeq: number;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.stmt = {
      put: db.prepare<[string, string, string, string, number]>(
        `INSERT INTO edgeproof_upstream_queue (key, resource, operation, content, seq) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET resource = excluded.resource, operation = excluded.operation,
           content = excluded.content, seq = excluded.seq`,
      ),
      list: db.prepare<[], QueuedUpload>(
        'SELECT key, resource, operation, content, seq FROM edgeproof_upstream_queue ORDER BY seq',
      ),
      remove: db.prepare<[string, number]>('DELETE FROM edgeproof_upstream_queue WHERE key = ? AND seq = ?'),
      maxSeq: db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM edgeproof_upstream_queue'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM edgeproof_upstream_queue'),
    };
    this.nextSeq = (this.stmt.maxSeq.get()?.seq ?? 0) + 1;
  }

  /** Opens the queue in the edgecore database at `path` (creating its table). */
  static open(path: string): UpstreamQueue {
    let db: Database.Database | undefined;
    try {
      db = openEdgeDatabase(path, 'FULL');
      db.exec(SCHEMA);
      return new UpstreamQueue(path, db);
    } catch (err) {
      db?.close();
      throw new StorageError(`cannot open the upstream queue in ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** Queues (or replaces) the upload for `key`; returns its seq. Durable when it returns. */
  put(key: string, resource: string, operation: string, content: string): number {
    const seq = this.nextSeq++;
    try {
      this.stmt.put.run(key, resource, operation, content, seq);
    } catch (err) {
      throw new StorageError(`cannot queue ${operation} ${resource} in ${this.path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return seq;
  }

  /**
   * Runs `fn` (puts and removes) as one transaction: one commit, one fsync, however many rows it
   * writes (group commit). All of it is durable when this returns, or none of it if `fn` throws.
   */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`upstream queue transaction in ${this.path} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** Everything queued, oldest first. */
  list(): QueuedUpload[] {
    return this.stmt.list.all();
  }

  /** Removes `key` if it is still the entry `seq` (a newer put keeps it). Returns whether it did. */
  remove(key: string, seq: number): boolean {
    return this.stmt.remove.run(key, seq).changes > 0;
  }

  size(): number {
    return this.stmt.count.get()?.n ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
