import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Every row of every system database of a SQLite data dir, table by table (read-only, beside the running app: WAL
 * lets a reader in). Leases and each process's heartbeat (`last_seen_at` of the process registry) are left out: they are
 * renewed every few seconds whatever requests come. Two snapshots equal means no request changed any data.
 */
export function snapshotRows(dataDir: string): Record<string, string[]> {
  const rows: Record<string, string[]> = {};
  for (const file of fs
    .readdirSync(dataDir)
    .filter((name) => name.endsWith('.sqlite'))
    .sort()) {
    const db = new Database(path.join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%lease%' ORDER BY name",
        )
        .all() as { name: string }[];
      // Each row as JSON, sorted: the same rows compare equal whatever order the table returns them in.
      for (const { name } of tables)
        rows[`${file}/${name}`] = db
          .prepare(`SELECT * FROM "${name}"`)
          .all()
          .map((row) => JSON.stringify(name === 'processes' ? { ...(row as object), last_seen_at: undefined } : row))
          .sort();
    } finally {
      db.close();
    }
  }
  return rows;
}
