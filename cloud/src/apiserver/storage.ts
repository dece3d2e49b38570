/**
 * SQLite storage of the embedded API server (ARCHITECTURE.md §4: better-sqlite3, WAL). Plays the
 * part etcd plays for kube-apiserver (and kine for k3s): objects by key, one cluster-wide
 * monotonically increasing resourceVersion, and a bounded change log from which watches resume.
 *
 * API objects are user data, so commits use `synchronous=FULL` (ARCHITECTURE §4 "Storage": "FULL
 * (or batched)"). Commits are grouped: a write runs at once inside an open transaction, so every
 * later read and write sees it, and the transaction commits at the end of the event-loop turn
 * (`setImmediate`), together with every other write of that turn. One fsync then covers all the
 * requests that arrived together; better-sqlite3 is synchronous and each fsync blocks the loop,
 * so one commit per write capped the server at about 900 writes/s (twin bench, README).
 * Nothing leaves the process before it is durable: watchers are notified after the commit, and
 * the HTTP layer awaits `settled()` before it answers. A watcher that subscribes and replays the
 * log in one tick can neither miss nor repeat an event: the replay covers committed changes only,
 * and the pending ones reach it when they commit.
 */
import Database from 'better-sqlite3';
import { StorageError, errorMessage, type Logger } from '@edgeproof/core';
import type { KubeObject } from './types.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. `object` is the new state (the last state for DELETED). */
export interface StoredChange {
  type: WatchEventType;
  resource: string;
  namespace: string;
  name: string;
  rv: number;
  object: KubeObject;
  /** The state before the change, when known (live events only). */
  previous?: KubeObject;
}

export type ChangeListener = (change: StoredChange) => void;

export interface StoredObject {
  rv: number;
  object: KubeObject;
}

export type StorageOptions = {
  /** Path of the database file, or ':memory:'. */
  path: string;
  /** How many changes the log keeps; older watch resourceVersions get 410 Gone. */
  historySize?: number;
  /** Where a failed commit or a throwing change listener is reported. */
  logger: Logger;
};

/** The writes of one event-loop turn, committed together. */
type Batch = {
  changes: StoredChange[];
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
};

const SCHEMA_VERSION = '1';
/** Listener key for every resource; not a valid storage key (those contain a '/'). */
const ALL_RESOURCES = '*';
const APPLICATION = 'edgeproof-apiserver';

export class Storage {
  private readonly db: Database.Database;
  private readonly historySize: number;
  private readonly logger: Logger;
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  /** The resourceVersion of the latest write, committed or in the open batch. */
  private rv: number;
  /** The resourceVersion of the latest committed write. */
  private committedRv: number;
  private batch: Batch | undefined;
  private writesSinceTrim = 0;
  private readonly stmt;

  constructor(options: StorageOptions) {
    this.historySize = options.historySize ?? 20_000;
    this.logger = options.logger;
    try {
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.migrate(options.path);
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(
        `cannot open the API server database ${options.path}: ${(err as Error).message}; ` +
          `if the file is damaged, move it away and start again with an empty data dir`,
        { cause: err },
      );
    }
    this.stmt = {
      get: this.db.prepare<[string, string, string], { rv: number; data: string }>(
        'SELECT rv, data FROM objects WHERE resource = ? AND namespace = ? AND name = ?',
      ),
      upsert: this.db.prepare(
        'INSERT INTO objects (resource, namespace, name, uid, rv, data) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (resource, namespace, name) DO UPDATE SET uid = excluded.uid, rv = excluded.rv, data = excluded.data',
      ),
      remove: this.db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      log: this.db.prepare(
        'INSERT INTO changes (rv, type, resource, namespace, name, data) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setRv: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'rv'"),
      removeOwners: this.db.prepare(
        'DELETE FROM owner_refs WHERE resource = ? AND namespace = ? AND name = ?',
      ),
      addOwner: this.db.prepare(
        'INSERT OR IGNORE INTO owner_refs (owner_uid, resource, namespace, name) VALUES (?, ?, ?, ?)',
      ),
      dependents: this.db.prepare<[string], { resource: string; namespace: string; name: string }>(
        'SELECT resource, namespace, name FROM owner_refs WHERE owner_uid = ?',
      ),
      uidExists: this.db.prepare<[string], { n: number }>('SELECT 1 AS n FROM objects WHERE uid = ? LIMIT 1'),
      oldest: this.db.prepare<[], { rv: number | null }>('SELECT MIN(rv) AS rv FROM changes'),
      since: this.db.prepare<[string, number, number], ChangeRow>(
        'SELECT rv, type, resource, namespace, name, data FROM changes WHERE resource = ? AND rv > ? AND rv <= ? ORDER BY rv',
      ),
      trim: this.db.prepare('DELETE FROM changes WHERE rv <= ?'),
      count: this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM objects WHERE resource = ?'),
      byUid: this.db.prepare<
        [string],
        { resource: string; namespace: string; name: string; rv: number; data: string }
      >('SELECT resource, namespace, name, rv, data FROM objects WHERE uid = ? LIMIT 1'),
      dangling: this.db.prepare<[], { owner_uid: string }>(
        'SELECT DISTINCT owner_uid FROM owner_refs WHERE owner_uid NOT IN (SELECT uid FROM objects)',
      ),
    };
    this.rv = Number(
      (this.db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: string } | undefined)
        ?.value ?? '0',
    );
    this.committedRv = this.rv;
  }

  /** Commits the open batch, then closes the database. */
  close(): void {
    this.commit();
    this.listeners.clear();
    this.db.close();
  }

  /** The resourceVersion of the latest write (its commit may still be pending, see `settled`). */
  currentRv(): number {
    return this.rv;
  }

  /**
   * Resolves once no write is waiting for its commit, so that what a caller has read or written
   * is durable; rejects with a StorageError when that commit failed (its writes are undone).
   */
  async settled(): Promise<void> {
    while (this.batch) {
      const batch = this.batch;
      await new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    }
  }

  /**
   * Commits the open batch now (normally done at the end of the event-loop turn), then notifies
   * the listeners of its changes in order.
   */
  commit(): void {
    const batch = this.batch;
    if (!batch) return;
    try {
      this.trimHistory(batch.changes.length);
      this.db.exec('COMMIT');
    } catch (err) {
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // SQLite rolls back on its own when a COMMIT fails with an I/O error; nothing more to undo.
      }
      this.failBatch(batch, errorMessage(err), err);
      return;
    }
    this.batch = undefined;
    this.committedRv = this.rv;
    for (const change of batch.changes) this.notify(change);
    for (const waiter of batch.waiters) waiter.resolve();
  }

  /** Undoes the open batch's bookkeeping and tells every waiter that its writes are gone. */
  private failBatch(batch: Batch, reason: string, cause?: unknown): void {
    if (this.batch === batch) this.batch = undefined;
    this.rv = this.committedRv;
    const failure = new StorageError(
      `cannot commit ${batch.changes.length} API write(s) to the database: ${reason}; ` +
        `they were undone: check the disk of the data dir and retry`,
      { cause },
    );
    this.logger.error('commit failed', { writes: batch.changes.length, err: failure });
    for (const waiter of batch.waiters) waiter.reject(failure);
  }

  /**
   * After a write failed with an I/O error or a full disk, SQLite may have rolled the whole
   * transaction back on its own (sqlite.org/lang_transaction.html, "Response To Errors Within A
   * Transaction"): the batch's earlier writes are gone, and a later write would run outside any
   * transaction and commit at once, under a resourceVersion the failed batch hands out again.
   */
  private failBatchIfRolledBack(): void {
    if (this.batch !== undefined && !this.db.inTransaction) {
      this.failBatch(this.batch, 'SQLite rolled the transaction back after a write failed');
    }
  }

  /** Runs one write's statements; a SQLite failure becomes a StorageError that names the object. */
  private write<T>(what: string, statements: () => T): T {
    try {
      this.openBatch();
      return this.db.transaction(statements)();
    } catch (err) {
      this.failBatchIfRolledBack();
      if (!(err instanceof Database.SqliteError)) throw err;
      throw new StorageError(
        `cannot write ${what} to the database: ${err.message}; check the disk of the data dir and retry`,
        { cause: err },
      );
    }
  }

  get(resource: string, namespace: string, name: string): StoredObject | undefined {
    const row = this.stmt.get.get(resource, namespace, name);
    return row ? { rv: row.rv, object: JSON.parse(row.data) as KubeObject } : undefined;
  }

  /**
   * Objects of `resource` (in `namespace` when given) in key order (namespace, name), starting
   * after `after` when given: the order kube-apiserver lists in, which makes `continue` work.
   */
  list(
    resource: string,
    namespace: string | undefined,
    options: { after?: { namespace: string; name: string } } = {},
  ): IterableIterator<StoredObject> {
    const where = ['resource = ?'];
    const params: string[] = [resource];
    if (namespace !== undefined) {
      where.push('namespace = ?');
      params.push(namespace);
    }
    if (options.after) {
      where.push('(namespace > ? OR (namespace = ? AND name > ?))');
      params.push(options.after.namespace, options.after.namespace, options.after.name);
    }
    const rows = this.db
      .prepare<string[], { rv: number; data: string }>(
        `SELECT rv, data FROM objects WHERE ${where.join(' AND ')} ORDER BY namespace, name`,
      )
      .iterate(...params);
    return (function* () {
      for (const row of rows) yield { rv: row.rv, object: JSON.parse(row.data) as KubeObject };
    })();
  }

  count(resource: string): number {
    return this.stmt.count.get(resource)?.n ?? 0;
  }

  /**
   * Writes `object` (creating or replacing it) under a new resourceVersion, which is set into
   * `object.metadata.resourceVersion`. Returns the committed change.
   */
  put(
    resource: string,
    namespace: string,
    name: string,
    object: KubeObject,
    previous?: KubeObject,
  ): StoredChange {
    const change = this.write(`${resource} ${namespace}/${name}`, (): StoredChange => {
      const rv = this.rv + 1;
      object.metadata.resourceVersion = String(rv);
      const data = JSON.stringify(object);
      this.stmt.upsert.run(resource, namespace, name, object.metadata.uid ?? '', rv, data);
      if (ownerUids(object) !== (previous ? ownerUids(previous) : '')) {
        this.indexOwners(resource, namespace, name, object);
      }
      const type: WatchEventType = previous ? 'MODIFIED' : 'ADDED';
      this.stmt.log.run(rv, type, resource, namespace, name, data);
      this.stmt.setRv.run(String(rv));
      this.rv = rv;
      return { type, resource, namespace, name, rv, object, ...(previous ? { previous } : {}) };
    });
    this.batch?.changes.push(change);
    return change;
  }

  /** Removes an object; the DELETED change carries its last state under a new resourceVersion. */
  remove(resource: string, namespace: string, name: string, last: KubeObject): StoredChange {
    const change = this.write(`${resource} ${namespace}/${name}`, (): StoredChange => {
      const rv = this.rv + 1;
      const object: KubeObject = { ...last, metadata: { ...last.metadata, resourceVersion: String(rv) } };
      this.stmt.remove.run(resource, namespace, name);
      this.stmt.removeOwners.run(resource, namespace, name);
      this.stmt.log.run(rv, 'DELETED', resource, namespace, name, JSON.stringify(object));
      this.stmt.setRv.run(String(rv));
      this.rv = rv;
      return { type: 'DELETED', resource, namespace, name, rv, object, previous: last };
    });
    this.batch?.changes.push(change);
    return change;
  }

  /** Keys of the objects whose ownerReferences name `ownerUid`. */
  dependentsOf(ownerUid: string): { resource: string; namespace: string; name: string }[] {
    return this.stmt.dependents.all(ownerUid);
  }

  /** The object with metadata.uid `uid`, with its storage key. */
  getByUid(uid: string): ({ resource: string; namespace: string; name: string } & StoredObject) | undefined {
    const row = this.stmt.byUid.get(uid);
    if (!row) return undefined;
    return {
      resource: row.resource,
      namespace: row.namespace,
      name: row.name,
      rv: row.rv,
      object: JSON.parse(row.data) as KubeObject,
    };
  }

  /** Owner uids that some object still references although no object has them (for the garbage collector). */
  danglingOwnerUids(): string[] {
    return this.stmt.dangling.all().map((r) => r.owner_uid);
  }

  uidExists(uid: string): boolean {
    return this.stmt.uidExists.get(uid) !== undefined;
  }

  /**
   * The oldest resourceVersion a watch may resume from: changes after it are all still in the
   * log. A watch from an older version must get 410 Gone (kubectl-contract.md §5).
   */
  oldestResumableRv(): number {
    const oldest = this.stmt.oldest.get()?.rv;
    return oldest == null ? this.rv : oldest - 1;
  }

  /** Committed changes of `resource` after `rv`, oldest first (pending ones are notified when they commit). */
  changesSince(resource: string, rv: number): StoredChange[] {
    return this.stmt.since.all(resource, rv, this.committedRv).map((row) => ({
      type: row.type,
      resource: row.resource,
      namespace: row.namespace,
      name: row.name,
      rv: row.rv,
      object: JSON.parse(row.data) as KubeObject,
    }));
  }

  /** Calls `listener` after the commit of every change of any resource. Returns the unsubscribe. */
  subscribeAll(listener: ChangeListener): () => void {
    return this.subscribe(ALL_RESOURCES, listener);
  }

  /** Calls `listener` after the commit of every change of `resource`. Returns the unsubscribe. */
  subscribe(resource: string, listener: ChangeListener): () => void {
    let set = this.listeners.get(resource);
    if (!set) this.listeners.set(resource, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(resource);
    };
  }

  /** Runs `fn` all or nothing: if it throws, none of its writes happen. */
  transaction<T>(fn: () => T): T {
    this.openBatch();
    // Inside the open batch better-sqlite3 runs this as a SAVEPOINT.
    try {
      return this.db.transaction(fn)();
    } finally {
      this.failBatchIfRolledBack();
    }
  }

  /** Starts the transaction that this turn's writes join, and schedules its commit. */
  private openBatch(): void {
    this.failBatchIfRolledBack();
    if (this.batch) return;
    this.db.exec('BEGIN IMMEDIATE');
    this.batch = { changes: [], waiters: [] };
    setImmediate(() => this.commit());
  }

  /** Trims the change log in batches; a small history (tests) is trimmed often enough to stay small. */
  private trimHistory(writes: number): void {
    this.writesSinceTrim += writes;
    if (this.writesSinceTrim >= Math.min(500, Math.max(1, Math.floor(this.historySize / 2)))) {
      this.writesSinceTrim = 0;
      this.stmt.trim.run(this.rv - this.historySize);
    }
  }

  /** A listener that throws must not keep the others, or the writer, from their changes. */
  private notify(change: StoredChange): void {
    for (const key of [change.resource, ALL_RESOURCES]) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(change);
        } catch (err) {
          this.logger.error('change listener failed', { resource: change.resource, name: change.name, err });
        }
      }
    }
  }

  private indexOwners(resource: string, namespace: string, name: string, object: KubeObject): void {
    this.stmt.removeOwners.run(resource, namespace, name);
    for (const ref of object.metadata.ownerReferences ?? []) {
      if (typeof ref.uid === 'string' && ref.uid) this.stmt.addOwner.run(ref.uid, resource, namespace, name);
    }
  }

  private migrate(path: string): void {
    const tables = this.db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((t) => t.name);
    if (tables.length > 0) {
      const app = tables.includes('meta')
        ? (this.db.prepare("SELECT value FROM meta WHERE key = 'application'").get() as
            { value: string } | undefined)
        : undefined;
      if (app?.value !== APPLICATION) {
        throw new StorageError(
          `${path} is a SQLite database of another program (tables: ${tables.join(', ')}); ` +
            `point --data-dir at an empty folder or an edgeproof data dir`,
        );
      }
      return;
    }
    this.db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE objects (
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        uid TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
      CREATE INDEX objects_uid ON objects (uid);
      CREATE TABLE changes (
        rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL,
        namespace TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
      CREATE INDEX changes_resource ON changes (resource, rv);
      CREATE TABLE owner_refs (
        owner_uid TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (owner_uid, resource, namespace, name)) WITHOUT ROWID;
      CREATE INDEX owner_refs_dependent ON owner_refs (resource, namespace, name);
    `);
    const insert = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insert.run('application', APPLICATION);
    insert.run('schema_version', SCHEMA_VERSION);
    insert.run('rv', '0');
  }
}

/** The owner uids an object names, as one comparable string (most writes leave them as they were). */
function ownerUids(object: KubeObject): string {
  return (object.metadata.ownerReferences ?? [])
    .map((ref) => (typeof ref.uid === 'string' ? ref.uid : ''))
    .join('\n');
}

type ChangeRow = {
  rv: number;
  type: WatchEventType;
  resource: string;
  namespace: string;
  name: string;
  data: string;
};
