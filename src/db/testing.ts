/**
 * Test support for every system's storage tests (not exported from index.ts: production code
 * has no use for it). Each target is a sandbox — a fresh temp directory on SQLite, a fresh
 * database base name on MySQL — so tests never share state and can run side by side, and
 * cleanup() removes every file and database the target created.
 *
 * @example
 * for (const target of dbTestTargets(process.env.MYSQL_URL)) {
 *   describe(`orders on ${target.dialect}`, { skip: target.skip }, () => {
 *     after(() => target.cleanup());
 *     it('…', async () => { const database = await target.open<OrderTables>('order'); … });
 *   });
 * }
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { mysqlDatabaseName } from './mysql.js';
import { CheckpointingThread } from '../mq/embedded/sqlite-checkpointer.js';
import { openDatabase } from './open-database.js';
import type { Database, DialectName, OpenDatabaseOptions } from './open-database.js';
import { MAX_BASENAME_LENGTH, parseDatabaseUrl } from './url.js';
import { DbError, DbErrorCode } from './errors.js';

export interface DbTestTarget {
  readonly dialect: DialectName;
  /** Why the target is skipped (pass it to describe's `skip`), or false. */
  readonly skip: string | false;
  /** The ORDERFLOW_DB value of this sandbox. */
  readonly url: string;
  /** The data directory of this sandbox (SQLite files live here). */
  readonly dataDir: string;
  /** Opens `system` inside the sandbox; closed by cleanup() if the test did not. */
  open<DB>(system: string, options?: Partial<Omit<OpenDatabaseOptions, 'url' | 'dataDir' | 'system'>>): Promise<Database<DB>>;
  /** Closes what open() opened, then deletes the sandbox's files and drops its databases. */
  cleanup(): Promise<void>;
}

export const MYSQL_SKIP_REASON =
  'MYSQL_URL is not set: the MySQL/MariaDB storage tests are skipped (set e.g. MYSQL_URL=mysql://root@127.0.0.1:3306/orderflow_test)';

/** SQLite always; MySQL/MariaDB when `mysqlUrl` (the test's MYSQL_URL) is set, skipped with a reason otherwise. */
export function dbTestTargets(mysqlUrl: string | undefined): DbTestTarget[] {
  return [sandbox('sqlite', 'sqlite'), mysqlUrl ? sandbox('mysql', sandboxMysqlUrl(mysqlUrl)) : skipped('mysql', MYSQL_SKIP_REASON)];
}

function sandbox(dialect: DialectName, url: string): DbTestTarget {
  const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-db-test-'));
  const opened: Array<Database<unknown>> = [];
  const checkpointing = new CheckpointingThread(); // the sandbox's SQLite files share one, as an app's do
  return {
    dialect,
    skip: false,
    url,
    dataDir,
    async open<DB>(system: string, options = {}) {
      const database = await openDatabase<DB>({ checkpointing, ...options, url, dataDir, system });
      opened.push(database as Database<unknown>);
      return database;
    },
    async cleanup() {
      await Promise.all(opened.map((database) => database.close()));
      if (dialect === 'mysql') await dropDatabases(url, [...new Set(opened.map((database) => database.system))]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function skipped(dialect: DialectName, reason: string): DbTestTarget {
  const refuse = async (): Promise<never> => {
    throw new DbError(DbErrorCode.UNREACHABLE, reason);
  };
  return { dialect, skip: reason, url: '', dataDir: '', open: refuse, cleanup: async () => {} };
}

/** The same server and credentials with a base name of its own: `${basename}_${random}`. */
function sandboxMysqlUrl(mysqlUrl: string): string {
  const suffix = `_${randomBytes(4).toString('hex')}`;
  const url = new URL(mysqlUrl);
  const { basename } = parseDatabaseUrl(mysqlUrl) as { basename: string };
  url.pathname = `/${basename.slice(0, MAX_BASENAME_LENGTH - suffix.length)}${suffix}`;
  return url.toString();
}

async function dropDatabases(url: string, systems: string[]): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.kind !== 'mysql' || systems.length === 0) return;
  const connection = await createConnection({ host: target.host, port: target.port, user: target.user, password: target.password });
  try {
    for (const system of systems) {
      await connection.query(`DROP DATABASE IF EXISTS \`${mysqlDatabaseName(target.basename, system)}\``);
    }
  } finally {
    await connection.end();
  }
}
