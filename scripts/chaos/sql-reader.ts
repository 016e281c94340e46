import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';

// biome-ignore lint/suspicious/noExplicitAny: rows of many tables, read by column name
export type Row = Record<string, any>;

/** Reads a system's own database directly (read-only SQL written for both SQLite and MySQL), as an auditor would. */
export interface SqlReader {
  query(system: string, sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

/** `<dataDir>/<system>.sqlite`, opened read-only beside the running process (WAL lets a reader in). */
export function sqliteReader(dataDir: string): SqlReader {
  return {
    async query(system, sql) {
      const db = new Database(path.join(dataDir, `${system}.sqlite`), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all() as Row[];
      } finally {
        db.close();
      }
    },
    async close() {},
  };
}

/**
 * `<basename>_<system>` on the server of `url` (mysql://user:pass@host:port/basename), hyphens as underscores. A
 * connection per query: the server may have been restarted since the last one (a chaos fault), and an auditor's
 * few queries do not need a pool.
 */
export function mysqlReader(url: string): SqlReader {
  const parsed = new URL(url);
  const basename = parsed.pathname.slice(1);
  return {
    async query(system, sql) {
      const connection = await mysql.createConnection({
        host: parsed.hostname,
        port: Number(parsed.port || 3306),
        user: decodeURIComponent(parsed.username || 'root'),
        password: decodeURIComponent(parsed.password),
        database: `${basename}_${system.replaceAll('-', '_')}`,
      });
      try {
        const [rows] = await connection.query(sql);
        return rows as Row[];
      } finally {
        await connection.end().catch(() => undefined);
      }
    },
    async close() {},
  };
}
