import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Dialect, DialectAdapter, Driver, QueryResult, SqliteDatabase, SqliteDialectConfig } from 'kysely';
import { DbError, DbErrorCode } from './errors.js';
// The checkpointing thread lives with the embedded broker, its other user: orderflow/mq is published alone and
// may import nothing outside src/mq, so the dependency points this way (db → mq), never the reverse.
import { CheckpointingThread } from '../mq/embedded/sqlite-checkpointer.js';

/**
 * How long a connection waits for another process's write lock before SQLITE_BUSY. Inside
 * one process there is no waiting at all: Kysely's SqliteDriver serialises every query and
 * transaction on its single connection.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface SqliteTarget {
  dialect: Dialect;
  /** The file, for logs and messages. */
  location: string;
  /** Resolves once the file is closed (Kysely's destroy does not wait for the last checkpoint). */
  closed(): Promise<void>;
}

/** Told of a statement that ran for at least the slow-query threshold. */
export type SlowStatement = (sql: string, durationMs: number) => void;

/** The slow-query log of one database: statements of at least `thresholdMs` are reported. */
export interface SlowQueryLog {
  thresholdMs: number;
  report: SlowStatement;
}

/**
 * Opens (creating if needed) `${dataDir}/${system}.sqlite`: one file per system, so no system can read another's tables.
 * `slow` (with its threshold in ms) is told of statements at least that slow. `checkpointing` is the thread that
 * copies its WAL back, shared with the caller's other files; without one the file gets a thread of its own.
 */
export function openSqlite(dataDir: string, system: string, slow?: SlowQueryLog, checkpointing?: CheckpointingThread): SqliteTarget {
  const file = resolve(join(dataDir, `${system}.sqlite`));
  let database: BetterSqlite3.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    database = new BetterSqlite3(file);
    configure(database);
  } catch (cause) {
    database?.close();
    throw new DbError(
      DbErrorCode.OPEN_FAILED,
      `cannot open the SQLite file ${file} of system '${system}': ${(cause as Error).message}; check that ORDERFLOW_DATA_DIR points at a writable directory holding orderflow's files`,
      { cause, details: { file, system } },
    );
  }
  const opened = database;
  const checkpointer = (checkpointing ?? new CheckpointingThread()).watch(file, CHECKPOINT_INTERVAL_MS, (message) =>
    console.warn(`orderflow: checkpointing ${file} failed (${message}); the WAL grows until a checkpoint succeeds`),
  );
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= checkpointer.stop().then(() => void opened.close());
  };
  return {
    dialect: new ImmediateTransactionSqliteDialect({ database: withStatementCache(opened, close, slow) }),
    location: file,
    closed: () => closing ?? Promise.resolve(),
  };
}

/** How often the checkpointing thread copies a system's WAL into its database file. */
const CHECKPOINT_INTERVAL_MS = 100;

const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely prepares every query anew; preparing costs more than running a small query, and the
 * pay path runs the same dozen statements over and over. Prepared statements are
 * reused here, keyed by their SQL (least recently used dropped past 512). Safe because
 * Kysely's driver runs one query at a time on this connection and never keeps an iterator open
 * across queries (we do not stream).
 */
function withStatementCache(database: BetterSqlite3.Database, close: () => void, slow?: SlowQueryLog): SqliteDatabase & CachedDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close,
    get inTransaction() {
      return database.inTransaction;
    },
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql); // re-inserted below: most recently used last
      } else {
        statement = slow ? timed(database.prepare(sql), sql, slow) : database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * The slow-query log on SQLite. Kysely's own (its `log` option) wraps every query in two more async
 * functions — promises and closures per statement on the pay path; better-sqlite3 runs a statement
 * synchronously, so timing the call itself costs two clock reads and allocates nothing.
 */
function timed(statement: BetterSqlite3.Statement, sql: string, slow: SlowQueryLog): BetterSqlite3.Statement {
  const time = <T>(run: () => T): T => {
    const started = performance.now();
    try {
      return run();
    } finally {
      const ms = performance.now() - started;
      if (ms >= slow.thresholdMs) slow.report(sql, ms);
    }
  };
  // Only what Kysely's SqliteConnection uses: `reader`, `all`, `run` and `iterate`.
  return {
    reader: statement.reader,
    all: (parameters: unknown[]) => time(() => statement.all(parameters)),
    run: (parameters: unknown[]) => time(() => statement.run(parameters)),
    iterate: (parameters: unknown[]) => statement.iterate(parameters),
  } as unknown as BetterSqlite3.Statement;
}

/** The settings of every system's SQLite file (also the core-flow benchmark's floor, which must run on the same). */
export function configure(database: BetterSqlite3.Database): void {
  // First: switching to WAL needs a lock that another process may hold for a moment.
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  // WAL: readers never block the writer, and a commit is one append instead of a journal rewrite.
  database.pragma('journal_mode = WAL');
  // NORMAL is durable against a process crash under WAL (only an OS crash/power loss can drop the
  // last commits) and saves an fsync per commit — the pay path is commit-bound.
  database.pragma('synchronous = NORMAL');
  // Checkpoints run in another thread (mq/embedded/sqlite-checkpointer.ts): done by the writer, one commit in a
  // thousand pages would stall for the copy and its fsync — the pay path's p99.
  database.pragma('wal_autocheckpoint = 0');
  // 64 MiB of page cache (SQLite's default is 2 MiB) and reads through mmap: a hot order table and
  // its indexes stay in memory instead of costing a read() per page on every payment.
  database.pragma('cache_size = -65536');
  database.pragma('mmap_size = 268435456');
  // Off by default in SQLite; MySQL's InnoDB always enforces them, so both behave the same.
  database.pragma('foreign_keys = ON');
}

/**
 * SQLite dialect whose transactions start with BEGIN IMMEDIATE instead of Kysely's plain
 * (deferred) BEGIN. A deferred transaction that reads and then writes while another process
 * committed in between fails at once with SQLITE_BUSY(_SNAPSHOT) — busy_timeout cannot help,
 * because retrying the write can never succeed on the stale snapshot. Taking the write lock at
 * BEGIN makes a second writer (another process on the same file, e.g. two instances of one
 * system) wait up to busy_timeout instead. Within one process it changes nothing: Kysely runs
 * one transaction at a time on the single connection.
 */
export class ImmediateTransactionSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createAdapter(): DialectAdapter {
    const database = this.#config.database;
    return typeof database === 'function'
      ? super.createAdapter()
      : new DirectSqliteAdapter(directRunner(database as unknown as CachedDatabase));
  }

  override createDriver(): Driver {
    return new ImmediateTransactionSqliteDriver(this.#config);
  }
}

class ImmediateTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** The statement cache above, as the direct runner sees it. */
interface CachedDatabase {
  prepare(sql: string): BetterSqlite3.Statement;
  readonly inTransaction: boolean;
}

/**
 * Runs a compiled query on SQLite without Kysely's executor, or says it cannot (undefined): better-sqlite3 runs a
 * statement synchronously, while Kysely's way — connection provider, mutex, driver, result transform — costs
 * several promises and closures per statement, which the pay path pays nine times per payment on a
 * thread that is its bottleneck. The result is the one Kysely's SqliteConnection gives.
 *
 * `inTransaction` is the caller's side of the single connection: true for a query of a Kysely transaction
 * (the transaction holds the connection, so its statements may run at once), false for one outside any.
 * A query outside a transaction must not run while one is open on the connection: it would read that
 * transaction's uncommitted rows. It is then refused, and the caller goes through Kysely, which waits.
 */
export type DirectRunner = (sql: string, parameters: readonly unknown[], inTransaction: boolean) => QueryResult<unknown> | undefined;

/** Kysely's SQLite adapter, carrying its database's direct runner (one adapter per dialect, shared by its transactions). */
class DirectSqliteAdapter extends SqliteAdapter {
  constructor(readonly directRunner: DirectRunner) {
    super();
  }
}

/** The direct runner of a Kysely instance's SQLite database (by its adapter, which its transactions share); undefined on other dialects. */
export function directRunnerOf(adapter: DialectAdapter): DirectRunner | undefined {
  return adapter instanceof DirectSqliteAdapter ? adapter.directRunner : undefined;
}

function directRunner(database: CachedDatabase): DirectRunner {
  return (sql, parameters, inTransaction) => {
    if (database.inTransaction !== inTransaction) return undefined;
    const statement = database.prepare(sql);
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  };
}
