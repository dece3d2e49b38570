/**
 * Opening the node's SQLite file the one way edgecore does: WAL (a reader never blocks the writer,
 * and a kill -9 leaves the old or the new transaction, never half), a busy timeout for the second
 * connection to the same file, and the durability the caller's data needs (ARCHITECTURE.md §4:
 * NORMAL for a cache the cloud can rebuild, FULL where losing a write loses user data).
 */
import Database from 'better-sqlite3';

export type Durability = 'NORMAL' | 'FULL';

/** Opens (creating if missing) `path`; the caller closes it, also when its own set-up fails. */
export function openEdgeDatabase(path: string, durability: Durability): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability}`);
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
