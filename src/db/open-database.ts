import { Kysely } from 'kysely';
import type { LogEvent } from 'kysely';
import { DbError, DbErrorCode } from './errors.js';
import { silentLogger } from './logger.js';
import type { DbLogger } from './logger.js';
import { openMysql } from './mysql.js';
import type { CheckpointingThread } from '../mq/embedded/sqlite-checkpointer.js';
import { openSqlite, type SlowStatement, type SqliteTarget } from './sqlite.js';
import { checkSystemName } from './system-name.js';
import { parseDatabaseUrl } from './url.js';

export type DialectName = 'sqlite' | 'mysql';

/** One system's own database: its file on SQLite, its own database (schema) on MySQL/MariaDB. */
export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  readonly system: string;
  /** The SQLite file or `host:port/database`, never with credentials: for logs and messages. */
  readonly location: string;
  /** Closes the file or the pool. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** The value of ORDERFLOW_DB: 'sqlite' or 'mysql://user:password@host:port/basename'. */
  url: string;
  /** Where SQLite files go (ORDERFLOW_DATA_DIR). Unused for MySQL. */
  dataDir: string;
  /** The owning system, e.g. 'order', 'flash-sale'. */
  system: string;
  logger?: DbLogger;
  /** MySQL pool size (default 10). SQLite always has exactly one connection. */
  pool?: number;
  /** A query slower than this is logged at warn (default 250 ms); 0 turns it off. */
  slowQueryMs?: number;
  /**
   * SQLite: the thread that checkpoints the file, shared by the caller's databases (one new CheckpointingThread() for them all); without
   * one, the file gets a thread of its own, ended when it closes. Unused for MySQL.
   */
  checkpointing?: CheckpointingThread;
}

export const DEFAULT_SLOW_QUERY_MS = 250;

/**
 * Opens the database a system owns. Each system calls this with its own name, so no system
 * can see another's tables (docs/architecture.md, "Databases").
 *
 * @example
 * const database = await openDatabase<OrderTables>({ url: config.db, dataDir: config.dataDir, system: 'order', logger });
 * await migrate(database, orderMigrations);
 * const order = await database.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
 * await database.close();
 */
export async function openDatabase<DB>(options: OpenDatabaseOptions): Promise<Database<DB>> {
  const url = parseDatabaseUrl(options.url);
  checkSystemName(options.system);
  const pool = checkPool(options.pool);
  const { system } = options;
  const logger = options.logger ?? silentLogger;
  const slowQueryMs = options.slowQueryMs ?? DEFAULT_SLOW_QUERY_MS;
  const reportSlow: SlowStatement = (sql, durationMs) => logger.warn({ system, sql, durationMs: Math.round(durationMs) }, 'slow query');
  // SQLite times its statements itself (cheaper, see sqlite.ts); MySQL's are timed by Kysely's log.
  const target =
    url.kind === 'sqlite'
      ? openSqlite(
          options.dataDir,
          system,
          slowQueryMs > 0 ? { thresholdMs: slowQueryMs, report: reportSlow } : undefined,
          options.checkpointing,
        )
      : await openMysql(url, system, pool);
  const log = url.kind === 'mysql' && slowQueryMs > 0 ? slowQueryLog(reportSlow, slowQueryMs) : undefined;
  const db = new Kysely<DB>({ dialect: target.dialect, log });
  logger.info({ system, dialect: url.kind, location: target.location }, 'database opened');
  let closing: Promise<void> | undefined;
  return Object.freeze({
    db,
    dialect: url.kind,
    system,
    location: target.location,
    close: () => (closing ??= db.destroy().then(() => (url.kind === 'sqlite' ? (target as SqliteTarget).closed() : undefined))),
  });
}

function checkPool(pool: number | undefined): number | undefined {
  if (pool !== undefined && (!Number.isInteger(pool) || pool < 1)) {
    throw new DbError(DbErrorCode.INVALID_ARGUMENT, `pool must be a whole number of connections greater than 0 (got ${pool})`, {
      details: { property: 'pool', value: pool },
    });
  }
  return pool;
}

/** Errors are not logged here: a duplicate key is often expected (idempotency) and callers log what matters. */
function slowQueryLog(report: SlowStatement, slowQueryMs: number) {
  return (event: LogEvent): void => {
    if (event.level === 'query' && event.queryDurationMillis >= slowQueryMs) report(event.query.sql, event.queryDurationMillis);
  };
}
