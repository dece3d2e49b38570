/**
 * DeviceStore: the node's devices, their attributes and twins in KubeEdge's own tables, so an
 * edgecore.db written by edgeproof and one written by KubeEdge hold devices the same way
 * (kubeedge-protocol.md §5.1; `edge/pkg/devicetwin/dtclient/{device_db,deviceattr_db,devicetwin_db}.go`,
 * created there by beego's orm):
 *
 * - `device`: `id` varchar(64) PK (`<namespace>/<name>`, §7.2), `name`, `description`, `state`,
 *   `last_online` (text).
 * - `device_attr`: `id` integer autoincrement PK, `deviceid`, `name`, `description`, `value`,
 *   `optional` (integer 0/1), `attr_type`, `metadata` (text).
 * - `device_twin`: `id` integer autoincrement PK, `deviceid`, `name`, `description`, `expected`,
 *   `actual`, `expected_meta` (`{"timestamp":ms}`), `actual_meta`, `expected_version`
 *   (`{"cloud":n,"edge":n}`), `actual_version`, `optional` (integer), `attr_type` (the value type,
 *   or `deleted`), `metadata` (the TypeMetadata with its type emptied, `{"type":""}`, as
 *   dealTwinAdd writes it).
 *
 * The tables live in `edgecore.db` beside MetaStore's, on a connection of their own with
 * `synchronous = FULL`: a desired value or version lost in a power cut would let a stale value win
 * the version rules (ARCHITECTURE.md §4). `open` first lets MetaStore check (and, for a new file,
 * create) the edgecore schema, so the file stays one MetaStore accepts. Every operation is one
 * transaction; `writeTwinsMany` writes the twins of many updates in one (group commit: one fsync).
 * No I/O in a constructor: use `DeviceStore.open(path)`.
 *
 * Reads come from an in-memory mirror of the tables (loaded on first use, updated after each
 * commit; dropped and reloaded after a failed write), so a twin update costs no SELECT. The store
 * is the only writer of its tables; records it returns are never changed afterwards (a write
 * replaces the device's record), so a caller may keep one as a snapshot.
 */
import type Database from 'better-sqlite3';
import { StorageError, errorMessage, type TwinVersion, type ValueMetadata } from '@edgeproof/core';
import { openEdgeDatabase } from '../metamanager/sqlite.ts';
import { MetaStore } from '../metamanager/store.ts';
import { DEFAULT_VALUE_TYPE, type StoredTwin } from './stored-twin.ts';

/** A `device_attr` row, decoded. */
export interface StoredAttr {
  name: string;
  description: string;
  value: string;
  optional: boolean;
  attrType: string;
}

/** A device with its attributes and twins. */
export interface DeviceRecord {
  /** `<namespace>/<name>`. */
  id: string;
  name: string;
  description: string;
  state: string;
  lastOnline: string;
  attributes: Record<string, StoredAttr>;
  twins: Record<string, StoredTwin>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS device (
  id varchar(64) NOT NULL PRIMARY KEY,
  name text,
  description text,
  state text,
  last_online text
);
CREATE TABLE IF NOT EXISTS device_attr (
  id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  deviceid text,
  name text,
  description text,
  value text,
  optional integer,
  attr_type text,
  metadata text
);
CREATE TABLE IF NOT EXISTS device_twin (
  id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  deviceid text,
  name text,
  description text,
  expected text,
  actual text,
  expected_meta text,
  actual_meta text,
  expected_version text,
  actual_version text,
  optional integer,
  attr_type text,
  metadata text
);
CREATE INDEX IF NOT EXISTS idx_device_attr_deviceid ON device_attr (deviceid, name);
CREATE INDEX IF NOT EXISTS idx_device_twin_deviceid ON device_twin (deviceid, name);
`;

const COLUMNS: Record<string, readonly string[]> = {
  device: ['id', 'name', 'description', 'state', 'last_online'],
  device_attr: ['id', 'deviceid', 'name', 'description', 'value', 'optional', 'attr_type', 'metadata'],
  device_twin: [
    'id',
    'deviceid',
    'name',
    'description',
    'expected',
    'actual',
    'expected_meta',
    'actual_meta',
    'expected_version',
    'actual_version',
    'optional',
    'attr_type',
    'metadata',
  ],
};

/** KubeEdge stores the TypeMetadata with the type moved to attr_type. */
const TYPE_METADATA = '{"type":""}';

type Text = string | null;
interface DeviceRow {
  id: string;
  name: Text;
  description: Text;
  state: Text;
  last_online: Text;
}
interface AttrRow {
  name: Text;
  description: Text;
  value: Text;
  optional: number | null;
  attr_type: Text;
}
interface TwinRow {
  name: Text;
  description: Text;
  expected: Text;
  actual: Text;
  expected_meta: Text;
  actual_meta: Text;
  expected_version: Text;
  actual_version: Text;
  optional: number | null;
  attr_type: Text;
}

type TwinParams = [
  Text, // description
  Text, // expected
  Text, // actual
  Text, // expected_meta
  Text, // actual_meta
  Text, // expected_version
  Text, // actual_version
  number, // optional
  string, // attr_type
  string, // metadata
  string, // deviceid
  string, // name
];

/** See the module comment. */
export class DeviceStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmt;
  /** The mirror of the tables by device id; undefined until first read, or after a failed write. */
  private cache: Map<string, DeviceRecord> | undefined;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.stmt = {
      devices: db.prepare<[], DeviceRow>(
        'SELECT id, name, description, state, last_online FROM device ORDER BY id',
      ),
      device: db.prepare<[string], DeviceRow>(
        'SELECT id, name, description, state, last_online FROM device WHERE id = ?',
      ),
      attrs: db.prepare<[string], AttrRow>(
        'SELECT name, description, value, optional, attr_type FROM device_attr WHERE deviceid = ? ORDER BY id',
      ),
      twins: db.prepare<[string], TwinRow>(
        `SELECT name, description, expected, actual, expected_meta, actual_meta, expected_version,
           actual_version, optional, attr_type FROM device_twin WHERE deviceid = ? ORDER BY id`,
      ),
      insertDevice: db.prepare<[string, string, string, string, string]>(
        'INSERT INTO device (id, name, description, state, last_online) VALUES (?, ?, ?, ?, ?)',
      ),
      updateDevice: db.prepare<[string, string, string]>(
        'UPDATE device SET name = ?, description = ? WHERE id = ?',
      ),
      setState: db.prepare<[string, string, string]>(
        'UPDATE device SET state = ?, last_online = ? WHERE id = ?',
      ),
      deleteDevice: db.prepare<[string]>('DELETE FROM device WHERE id = ?'),
      deleteAttrs: db.prepare<[string]>('DELETE FROM device_attr WHERE deviceid = ?'),
      deleteTwins: db.prepare<[string]>('DELETE FROM device_twin WHERE deviceid = ?'),
      updateTwin: db.prepare<TwinParams>(
        `UPDATE device_twin SET description = ?, expected = ?, actual = ?, expected_meta = ?, actual_meta = ?,
           expected_version = ?, actual_version = ?, optional = ?, attr_type = ?, metadata = ?
         WHERE deviceid = ? AND name = ?`,
      ),
      insertTwin: db.prepare<TwinParams>(
        `INSERT INTO device_twin (description, expected, actual, expected_meta, actual_meta, expected_version,
           actual_version, optional, attr_type, metadata, deviceid, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateAttr: db.prepare<[string, string, number, string, string, string, string]>(
        `UPDATE device_attr SET description = ?, value = ?, optional = ?, attr_type = ?, metadata = ?
         WHERE deviceid = ? AND name = ?`,
      ),
      insertAttr: db.prepare<[string, string, number, string, string, string, string]>(
        `INSERT INTO device_attr (description, value, optional, attr_type, metadata, deviceid, name)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteAttr: db.prepare<[string, string]>('DELETE FROM device_attr WHERE deviceid = ? AND name = ?'),
    };
  }

  /**
   * Opens the device tables in the edgecore database at `path` (creating them, and for a new file
   * the edgecore schema). @throws StorageError when the file is not an edgecore database or its
   * device tables lack KubeEdge's columns.
   */
  static open(path: string): DeviceStore {
    let db: Database.Database | undefined;
    try {
      MetaStore.open(path).close(); // the same file check edgecore does; creates meta tables when new
      db = openEdgeDatabase(path, 'FULL');
      checkColumns(db, path);
      db.exec(SCHEMA);
      return new DeviceStore(path, db);
    } catch (err) {
      db?.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(`cannot open the device tables in ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** Every device, by id. */
  devices(): DeviceRecord[] {
    return [...this.mirror().values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  device(id: string): DeviceRecord | undefined {
    return this.mirror().get(id);
  }

  /** Inserts a device, or updates its name and description when it exists. Returns whether it was new. */
  putDevice(d: {
    id: string;
    name: string;
    description: string;
    state: string;
    lastOnline?: string;
  }): boolean {
    const isNew = this.write(`store device ${d.id}`, () => {
      if (this.stmt.device.get(d.id) !== undefined) {
        this.stmt.updateDevice.run(d.name, d.description, d.id);
        return false;
      }
      this.stmt.insertDevice.run(d.id, d.name, d.description, d.state, d.lastOnline ?? '');
      return true;
    });
    this.reload(d.id);
    return isNew;
  }

  /** Removes a device with its attributes and twins (dtclient DeleteDeviceTrans). */
  removeDevice(id: string): boolean {
    const removed = this.write(`remove device ${id}`, () => {
      this.stmt.deleteAttrs.run(id);
      this.stmt.deleteTwins.run(id);
      return this.stmt.deleteDevice.run(id).changes > 0;
    });
    this.cache?.delete(id);
    return removed;
  }

  setState(id: string, state: string, lastOnline: string): void {
    this.write(`store the state of device ${id}`, () => this.stmt.setState.run(state, lastOnline, id));
    const d = this.cache?.get(id);
    if (d !== undefined) this.cache?.set(id, { ...d, state, lastOnline });
  }

  /** Inserts or updates twins of `deviceId`, in one transaction (dtclient DeviceTwinTrans). */
  writeTwins(deviceId: string, twins: readonly StoredTwin[]): void {
    if (twins.length === 0) return;
    this.writeTwinsIn(`store twins of device ${deviceId}`, [[deviceId, twins]]);
  }

  /**
   * Inserts or updates the twins of many devices in one transaction: one commit (one fsync) for a
   * whole batch of updates. All of it is durable when this returns, or none of it if it throws.
   */
  writeTwinsMany(batch: Iterable<readonly [deviceId: string, twins: readonly StoredTwin[]]>): void {
    const entries = [...batch].filter(([, twins]) => twins.length > 0);
    if (entries.length === 0) return;
    this.writeTwinsIn(`store the twins of ${entries.length} devices`, entries);
  }

  private writeTwinsIn(what: string, entries: ReadonlyArray<readonly [string, readonly StoredTwin[]]>): void {
    this.write(what, () => {
      for (const [deviceId, twins] of entries)
        for (const t of twins) {
          const params: TwinParams = [
            t.description,
            t.expected ?? null,
            t.actual ?? null,
            json(t.expectedMeta),
            json(t.actualMeta),
            json(t.expectedVersion),
            json(t.actualVersion),
            t.optional ? 1 : 0,
            t.attrType,
            TYPE_METADATA,
            deviceId,
            t.name,
          ];
          if (this.stmt.updateTwin.run(...params).changes === 0) this.stmt.insertTwin.run(...params);
        }
    });
    const cache = this.cache;
    if (cache === undefined) return;
    for (const [deviceId, twins] of entries) {
      const d = cache.get(deviceId);
      if (d === undefined) continue; // rows of a device not stored (yet): read with it when it is
      const next = { ...d.twins };
      for (const t of twins) next[t.name] = asStored(t);
      cache.set(deviceId, { ...d, twins: next });
    }
  }

  /** Upserts and deletes attributes of `deviceId` in one transaction (dtclient DeviceAttrTrans). */
  writeAttrs(deviceId: string, upserts: readonly StoredAttr[], deletes: readonly string[]): void {
    if (upserts.length === 0 && deletes.length === 0) return;
    this.write(`store attributes of device ${deviceId}`, () => {
      for (const a of upserts) {
        const params: [string, string, number, string, string, string, string] = [
          a.description,
          a.value,
          a.optional ? 1 : 0,
          a.attrType,
          TYPE_METADATA,
          deviceId,
          a.name,
        ];
        if (this.stmt.updateAttr.run(...params).changes === 0) this.stmt.insertAttr.run(...params);
      }
      for (const name of deletes) this.stmt.deleteAttr.run(deviceId, name);
    });
    this.reload(deviceId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private record(row: DeviceRow): DeviceRecord {
    const attributes: Record<string, StoredAttr> = {};
    for (const a of this.stmt.attrs.all(row.id)) {
      if (!a.name) continue;
      attributes[a.name] = {
        name: a.name,
        description: a.description ?? '',
        value: a.value ?? '',
        optional: a.optional !== 0,
        attrType: a.attr_type || 'string',
      };
    }
    const twins: Record<string, StoredTwin> = {};
    for (const r of this.stmt.twins.all(row.id)) {
      if (!r.name) continue;
      const t: StoredTwin = {
        name: r.name,
        description: r.description ?? '',
        optional: r.optional !== 0,
        attrType: r.attr_type || 'string',
      };
      // KubeEdge writes "" and NULL for "no value" (DeviceTwinToMsgTwin: `if expected != ""`).
      if (r.expected) t.expected = r.expected;
      if (r.actual) t.actual = r.actual;
      const em = meta(r.expected_meta);
      if (em) t.expectedMeta = em;
      const am = meta(r.actual_meta);
      if (am) t.actualMeta = am;
      const ev = version(r.expected_version);
      if (ev) t.expectedVersion = ev;
      const av = version(r.actual_version);
      if (av) t.actualVersion = av;
      twins[r.name] = t;
    }
    return {
      id: row.id,
      name: row.name ?? '',
      description: row.description ?? '',
      state: row.state ?? '',
      lastOnline: row.last_online ?? '',
      attributes,
      twins,
    };
  }

  /** The mirror, loaded from the tables when there is none. */
  private mirror(): Map<string, DeviceRecord> {
    if (this.cache !== undefined) return this.cache;
    const cache = this.read(() => {
      const m = new Map<string, DeviceRecord>();
      for (const row of this.stmt.devices.all()) m.set(row.id, this.record(row));
      return m;
    });
    this.cache = cache;
    return cache;
  }

  /** Re-reads one device into the mirror after a write other than twins. */
  private reload(id: string): void {
    if (this.cache === undefined) return;
    try {
      const row = this.stmt.device.get(id);
      if (row === undefined) this.cache.delete(id);
      else this.cache.set(id, this.record(row));
    } catch {
      this.cache = undefined; // read again in full on next use
    }
  }

  private read<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      throw new StorageError(`read of the device tables in ${this.path} failed: ${errorMessage(err)}`, {
        cause: err,
        retriable: true,
      });
    }
  }

  private write<T>(what: string, fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.cache = undefined; // nothing of it was written: the mirror is read again from the tables
      throw new StorageError(`cannot ${what} in ${this.path}: ${errorMessage(err)}`, {
        cause: err,
        retriable: true,
      });
    }
  }
}

/** A twin as `record` would read it back after `writeTwins` wrote it (same normalisation). */
function asStored(t: StoredTwin): StoredTwin {
  const out: StoredTwin = {
    name: t.name,
    description: t.description ?? '',
    optional: t.optional,
    attrType: t.attrType || DEFAULT_VALUE_TYPE,
  };
  if (t.expected) out.expected = t.expected;
  if (t.actual) out.actual = t.actual;
  if (typeof t.expectedMeta?.timestamp === 'number')
    out.expectedMeta = { timestamp: t.expectedMeta.timestamp };
  if (typeof t.actualMeta?.timestamp === 'number') out.actualMeta = { timestamp: t.actualMeta.timestamp };
  if (t.expectedVersion) out.expectedVersion = versionOf(t.expectedVersion);
  if (t.actualVersion) out.actualVersion = versionOf(t.actualVersion);
  return out;
}

function versionOf(v: TwinVersion): TwinVersion {
  return { cloud: typeof v.cloud === 'number' ? v.cloud : 0, edge: typeof v.edge === 'number' ? v.edge : 0 };
}

function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

function parseObject(text: string | null): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function meta(text: string | null): ValueMetadata | undefined {
  const o = parseObject(text);
  return o && typeof o['timestamp'] === 'number' ? { timestamp: o['timestamp'] } : undefined;
}

function version(text: string | null): TwinVersion | undefined {
  const o = parseObject(text);
  if (!o) return undefined;
  const cloud = typeof o['cloud'] === 'number' ? o['cloud'] : 0;
  const edge = typeof o['edge'] === 'number' ? o['edge'] : 0;
  return { cloud, edge };
}

/** Refuses device tables that exist without KubeEdge's columns (another program's tables). */
function checkColumns(db: Database.Database, path: string): void {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(COLUMNS)) {
    const have = db
      .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => c.name);
    if (have.length === 0) continue;
    const missing = want.filter((c) => !have.includes(c));
    if (missing.length > 0) problems.push(`table ${table} lacks ${missing.join(', ')}`);
  }
  if (problems.length > 0)
    throw new StorageError(
      `${path} has device tables that are not KubeEdge's: ${problems.join('; ')}; point dataDir elsewhere or move the file away`,
    );
}
