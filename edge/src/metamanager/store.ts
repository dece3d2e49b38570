/**
 * MetaStore: the edge's local copy of what the cloud sent, in KubeEdge's own SQLite layout so a
 * database written by edgeproof and one written by edgecore are interchangeable
 * (kubeedge-protocol.md §5.1; KubeEdge `edge/pkg/metamanager/dao/{init.go,models/*.go}`).
 *
 * - `meta`: `key` (the edge resource, `default/pod/nginx`) PK, `type` (`pod`), `value` (content JSON).
 * - `meta_v2`: `key` `/<group|core>/<version>/<plural>/<ns|null>/<name>` (`pkg/metaserver/key.go`),
 *   `group_version_resource` in Go's `GroupVersionResource.String()` form (`/v1, Resource=pods`),
 *   `namespace`, `name`, `resource_version` (uint64), `value`. Column names are gorm's
 *   (`dao/models/meta.go`: `gorm:"column:group_version_resource"`). Status types are not mirrored
 *   there (`metaserver/.../imitator/imitator.go`).
 *
 * Every write is one transaction on a WAL database, so a kill -9 leaves either the old or the new
 * rows, never half. The store is a cache the cloud can rebuild (ObjectSync + SyncController, §3.3),
 * so `synchronous = NORMAL` (ARCHITECTURE.md §4): a power cut may lose the last commits, never
 * corrupt the file.
 *
 * No I/O in the constructor (ARCHITECTURE.md §4): use `MetaStore.open(path)`.
 */
import type Database from 'better-sqlite3';
import { openEdgeDatabase } from './sqlite.ts';
import { StorageError, errorMessage, NULL_NAMESPACE } from '@edgeproof/core';

/** A `meta` row. */
export interface MetaRow {
  key: string;
  type: string;
  value: string;
}

/** A `meta_v2` row. */
export interface MetaV2Row {
  key: string;
  group_version_resource: string;
  namespace: string;
  name: string;
  resource_version: number;
  value: string;
}

const META_COLUMNS = ['key', 'type', 'value'];
const META_V2_COLUMNS = ['key', 'group_version_resource', 'namespace', 'name', 'resource_version', 'value'];

// DDL equivalent to gorm AutoMigrate of models.Meta / models.MetaV2 (§5.1).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key varchar(256) NOT NULL PRIMARY KEY,
  type varchar(32),
  value text
);
CREATE TABLE IF NOT EXISTS meta_v2 (
  key varchar(256) NOT NULL PRIMARY KEY,
  group_version_resource varchar(256),
  namespace varchar(256),
  name varchar(256),
  resource_version integer,
  value text
);
CREATE INDEX IF NOT EXISTS idx_meta_type ON meta (type);
CREATE INDEX IF NOT EXISTS idx_meta_v2_gvr ON meta_v2 (group_version_resource, namespace);
`;

/** Where an object lives in `meta_v2`. */
export interface MetaV2Location {
  key: string;
  gvr: string;
  namespace: string;
  name: string;
}

/**
 * What one committed write did to a `meta_v2` row: the unit MetaServer's watches are made of
 * (KubeEdge's imitator fans every mirrored change out to local watchers, kubeedge-protocol.md §5.1).
 */
export interface MetaV2Change {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  /** Go's `GroupVersionResource.String()`, as the `group_version_resource` column. */
  gvr: string;
  /** `null` for cluster-scoped objects (§1.3). */
  namespace: string;
  name: string;
  /** The `resource_version` column: for DELETED, that of the row that went. */
  resourceVersion: number;
  /** The object as stored now; for DELETED, as it was. Shared by every listener: do not mutate. */
  object: unknown;
  /** For MODIFIED, the object it replaced (so a filtered watch can tell an object leaving its filter). */
  previous?: unknown;
}

/** Called synchronously after each committed change; see `MetaStore.onChange`. */
export type MetaV2ChangeListener = (change: MetaV2Change) => void;

/**
 * apimachinery `meta.UnsafeGuessKindToResource`: lower-case kind; `endpoints` stays; `…s` → `…ses`;
 * `…y` → `…ies`; else `…s`. This is what KubeEdge's imitator uses to name the resource.
 */
export function guessKindToResource(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular === '' || singular.endsWith('endpoints')) return singular;
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

/**
 * The `meta_v2` key and GVR of an object with `apiVersion`, `kind` and `metadata.name`, or
 * undefined when it lacks them. Cluster-scoped objects use namespace `null` (§1.3).
 */
export function metaV2Location(obj: unknown): MetaV2Location | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
  };
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return undefined;
  const name = o.metadata?.name;
  if (typeof name !== 'string' || name === '') return undefined;
  const ns =
    typeof o.metadata?.namespace === 'string' && o.metadata.namespace !== ''
      ? o.metadata.namespace
      : NULL_NAMESPACE;
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  const version = slash < 0 ? o.apiVersion : o.apiVersion.slice(slash + 1);
  const resource = guessKindToResource(o.kind);
  if (version === '' || resource === '') return undefined;
  return {
    // pkg/metaserver/key.go: core objects use the group "core" in the key, "" in the GVR string.
    key: `/${group === '' ? 'core' : group}/${version}/${resource}/${ns}/${name}`,
    gvr: `${group}/${version}, Resource=${resource}`,
    namespace: ns,
    name,
  };
}

/** The SQLite store of one edge node; see the module comment. Synchronous (better-sqlite3). */
export class MetaStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly listeners = new Set<MetaV2ChangeListener>();

  /** Use `MetaStore.open`. */
  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.stmt = {
      get: db.prepare<[string], MetaRow>('SELECT key, type, value FROM meta WHERE key = ?'),
      byType: db.prepare<[string], MetaRow>('SELECT key, type, value FROM meta WHERE type = ? ORDER BY key'),
      upsert: db.prepare<[string, string, string]>(
        'INSERT INTO meta (key, type, value) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET type = excluded.type, value = excluded.value',
      ),
      remove: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
      getV2: db.prepare<[string], MetaV2Row>(
        'SELECT key, group_version_resource, namespace, name, resource_version, value FROM meta_v2 WHERE key = ?',
      ),
      upsertV2: db.prepare<[string, string, string, string, number, string]>(
        'INSERT INTO meta_v2 (key, group_version_resource, namespace, name, resource_version, value) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (key) DO UPDATE SET group_version_resource = excluded.group_version_resource, namespace = excluded.namespace, ' +
          'name = excluded.name, resource_version = excluded.resource_version, value = excluded.value',
      ),
      removeV2: db.prepare<[string]>('DELETE FROM meta_v2 WHERE key = ?'),
      listV2: db.prepare<[string], MetaV2Row>(
        'SELECT key, group_version_resource, namespace, name, resource_version, value FROM meta_v2 WHERE group_version_resource = ? ORDER BY key',
      ),
    };
  }

  /**
   * Opens (creating if missing) the database at `path`. Throws `StorageError` naming the file when
   * it is not SQLite, or is a SQLite database of another program (other tables, or `meta` /
   * `meta_v2` with other columns).
   */
  static open(path: string): MetaStore {
    let db: Database.Database | undefined;
    try {
      db = openEdgeDatabase(path, 'NORMAL');
      checkSchema(db, path);
      db.exec(SCHEMA);
      return new MetaStore(path, db);
    } catch (err) {
      db?.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(
        `cannot open the edgecore database ${path}: ${errorMessage(err)}; it is a cache of the cloud's state, so if it is damaged move it away and start again`,
        { cause: err },
      );
    }
  }

  /**
   * Stores `objectJson` under `resource` (`<ns>/<type>/<name>`) with `type`, and mirrors it into
   * `meta_v2` when it is a typed object and `type` is not a status type. `rv` defaults to
   * `metadata.resourceVersion`. One transaction.
   */
  upsert(resource: string, type: string, objectJson: string, rv?: string): void {
    const object = mirrored(type) ? parse(objectJson) : undefined;
    const loc = metaV2Location(object);
    const rvNum = toRv(rv ?? resourceVersionOf(objectJson));
    const watched = loc !== undefined && this.listeners.size > 0;
    const before = this.tx(() => {
      // Read only for listeners, to tell ADDED from MODIFIED.
      const old = watched ? this.stmt.getV2.get(loc.key) : undefined;
      this.stmt.upsert.run(resource, type, objectJson);
      if (loc !== undefined)
        this.stmt.upsertV2.run(loc.key, loc.gvr, loc.namespace, loc.name, rvNum, objectJson);
      return old;
    });
    if (!watched) return;
    this.emit({
      type: before === undefined ? 'ADDED' : 'MODIFIED',
      ...loc,
      resourceVersion: rvNum,
      object,
      ...(before === undefined ? {} : { previous: parse(before.value) }),
    });
  }

  /**
   * Removes `resource` from `meta` and its mirror from `meta_v2`. With `uid`, removes only when the
   * stored object has that UID (KubeEdge's pod delete, §5.1). Returns whether a row went.
   */
  delete(resource: string, options: { uid?: string } = {}): boolean {
    let gone: MetaV2Row | undefined;
    const removed = this.tx(() => {
      const row = this.stmt.get.get(resource);
      if (row === undefined) return false;
      const stored = parse(row.value);
      if (options.uid !== undefined && options.uid !== '') {
        const storedUid = (stored as { metadata?: { uid?: unknown } } | undefined)?.metadata?.uid;
        if (typeof storedUid === 'string' && storedUid !== options.uid) return false;
      }
      this.stmt.remove.run(resource);
      const loc = metaV2Location(stored);
      if (loc !== undefined) {
        // Read only for listeners: the row (if any was mirrored) that the DELETED event names.
        gone = this.listeners.size > 0 ? this.stmt.getV2.get(loc.key) : undefined;
        this.stmt.removeV2.run(loc.key);
      }
      return true;
    });
    if (gone !== undefined) {
      this.emit({
        type: 'DELETED',
        key: gone.key,
        gvr: gone.group_version_resource,
        namespace: gone.namespace,
        name: gone.name,
        resourceVersion: gone.resource_version,
        object: parse(gone.value),
      });
    }
    return removed;
  }

  /** The `meta` row for `resource`, or undefined. */
  get(resource: string): MetaRow | undefined {
    return this.stmt.get.get(resource);
  }

  /** Every `meta` row of `type`, by key (KubeEdge's `QueryMeta("type", …)`, §5.2). */
  listByType(type: string): MetaRow[] {
    return this.stmt.byType.all(type);
  }

  /** The `meta_v2` row with `key` (`/core/v1/pods/default/nginx`), or undefined. */
  getV2(key: string): MetaV2Row | undefined {
    return this.stmt.getV2.get(key);
  }

  /** Every `meta_v2` row whose GVR string is exactly `gvr` (`/v1, Resource=pods`). */
  listV2(gvr: string): MetaV2Row[] {
    return this.stmt.listV2.all(gvr);
  }

  /**
   * Calls `listener` synchronously after every committed change to a `meta_v2` row (upsert of a
   * mirrored object, delete of a mirrored one); returns the function that unsubscribes it. A write
   * that fails calls nothing. A listener that throws does not undo or fail the write, nor stop the
   * other listeners: its error is dropped here, so a listener that can fail catches and logs itself.
   * Adding the same function twice subscribes it once.
   */
  onChange(listener: MetaV2ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private emit(change: MetaV2Change): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // See onChange: the write has committed; the listener owns its failure.
      }
    }
  }

  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw new StorageError(`write to the edgecore database ${this.path} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
}

/** Refuses a database that is not (or not yet) an edgecore database. */
function checkSchema(db: Database.Database, path: string): void {
  // Reading sqlite_master is the first real read: a non-SQLite file fails here ("file is not a database").
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .all()
    .map((r) => r.name);
  if (tables.length === 0) return;
  const problems: string[] = [];
  for (const [table, want] of [
    ['meta', META_COLUMNS],
    ['meta_v2', META_V2_COLUMNS],
  ] as const) {
    if (!tables.includes(table)) continue;
    const have = db
      .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => c.name);
    const missing = want.filter((c) => !have.includes(c));
    if (missing.length > 0) problems.push(`table ${table} lacks ${missing.join(', ')}`);
  }
  if (!tables.includes('meta') && !tables.includes('meta_v2')) {
    problems.push(`it holds other tables (${tables.slice(0, 5).join(', ')}) and no meta table`);
  }
  if (problems.length > 0) {
    throw new StorageError(
      `${path} is not an edgecore database: ${problems.join('; ')}; point dataDir elsewhere or move the file away`,
    );
  }
}

function mirrored(type: string): boolean {
  return !type.includes('status');
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function resourceVersionOf(json: string): string | undefined {
  const rv = (parse(json) as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata
    ?.resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

/** resourceVersion as the uint64 column; anything unparsable is 0. */
function toRv(rv: string | undefined): number {
  if (rv === undefined || !/^\d{1,15}$/.test(rv)) return 0;
  return Number(rv);
}
