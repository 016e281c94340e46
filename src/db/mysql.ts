import { createPool } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { CompiledQuery, MysqlDialect } from 'kysely';
import type { Dialect } from 'kysely';
import { DbError, DbErrorCode } from './errors.js';
import { DEFAULT_POOL_SIZE } from './pool-size.js';
import { sqlNameOf } from './system-name.js';
import type { DatabaseUrl } from './url.js';

type MysqlUrl = Extract<DatabaseUrl, { kind: 'mysql' }>;

export { DEFAULT_POOL_SIZE };
export const MYSQL_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Session settings that make MySQL/MariaDB answer like SQLite, so code tested on one runs on the other:
 * - time_zone UTC: NOW()/CURRENT_TIMESTAMP never depend on the server's zone (we store epoch ms anyway).
 * - strict mode: a too-long string or an out-of-range number is an error, not a silent truncation.
 * - ONLY_FULL_GROUP_BY: MariaDB's default lacks it but MySQL 8's has it; refusing ambiguous GROUP BYs
 *   everywhere keeps a query that passes the MariaDB tests from failing on MySQL 8.
 * - PIPES_AS_CONCAT: `||` concatenates strings, as on SQLite, instead of meaning OR.
 */
const SESSION_SETTINGS =
  "SET time_zone = '+00:00', sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE," +
  "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT'";

/**
 * READ COMMITTED instead of InnoDB's REPEATABLE READ: every write of orderflow is a guarded update
 * (`… WHERE status = ?`, `… WHERE available >= ?`) or an insert under a unique key, none relies on a
 * snapshot, and REPEATABLE READ's gap locks deadlocked placing against paying under load (a pay's
 * INSERT … SELECT locked the gap before its order's row, where a concurrent placing inserted while
 * holding the SKU row the pay wanted next). READ COMMITTED takes no gap locks for reads and scans.
 */
const ISOLATION = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

// Binary collations compare byte for byte, as SQLite does: 'ABC' and 'abc' are different keys
// (a case-insensitive collation would make them collide in a unique index). NO PAD variants also
// keep 'a' and 'a ' apart. First one the server knows wins.
const COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'];

export interface MysqlTarget {
  dialect: Dialect;
  /** `host:port/database`, without credentials, for logs and messages. */
  location: string;
}

/** Creates the system's database if needed, then returns a pooled Kysely dialect on it. */
export async function openMysql(url: MysqlUrl, system: string, poolSize = DEFAULT_POOL_SIZE): Promise<MysqlTarget> {
  const database = mysqlDatabaseName(url.basename, system);
  await ensureDatabase(url, database);
  const pool = createPool({
    host: url.host,
    port: url.port,
    user: url.user,
    password: url.password,
    database,
    connectionLimit: poolSize,
    connectTimeout: MYSQL_CONNECT_TIMEOUT_MS,
    // FOUND_ROWS (already a mysql2 default, stated here because guardedUpdate relies on it): the
    // affected-row count is the number of rows MATCHED, like SQLite's changes(). Without it an
    // UPDATE that sets a column to its current value would report 0 rows.
    flags: ['FOUND_ROWS'],
    // DATE/DATETIME/TIMESTAMP come back as strings (as from SQLite), never as a Date in the
    // process's local zone. Times are BIGINT epoch ms by convention; this guards the rest.
    dateStrings: true,
    timezone: 'Z',
    // SUM()/AVG() over integer columns are DECIMAL in MySQL; return them as numbers, as SQLite does.
    decimalNumbers: true,
    // JSON columns: a string, as from SQLite (MySQL 8 would hand back a parsed object).
    typeCast: (field, next) => (field.type === 'JSON' ? field.string() : next()),
  });
  const dialect = new MysqlDialect({
    pool,
    onCreateConnection: async (connection) => {
      await connection.executeQuery(CompiledQuery.raw(SESSION_SETTINGS));
      await connection.executeQuery(CompiledQuery.raw(ISOLATION));
    },
  });
  return { dialect, location: `${url.host}:${url.port}/${database}` };
}

/** `${basename}_${system}`, hyphens as underscores: 'orderflow' + 'flash-sale' → 'orderflow_flash_sale'. */
export function mysqlDatabaseName(basename: string, system: string): string {
  return `${basename}_${sqlNameOf(system)}`;
}

/** CREATE DATABASE IF NOT EXISTS through a short-lived connection (the pool needs the database to exist). */
async function ensureDatabase(url: MysqlUrl, database: string): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await createConnection({
      host: url.host,
      port: url.port,
      user: url.user,
      password: url.password,
      connectTimeout: MYSQL_CONNECT_TIMEOUT_MS,
    });
    const [rows] = await connection.query('SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (?)', [
      COLLATIONS,
    ]);
    const known = new Set((rows as Array<{ name: string }>).map((row) => row.name));
    const collation = COLLATIONS.find((name) => known.has(name)) ?? 'utf8mb4_bin';
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE ${collation}`);
  } catch (cause) {
    throw connectError(cause, url, database);
  } finally {
    await connection?.end().catch(() => {});
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
]);

/** Turns a driver failure while connecting into a message that names the server and says what to do. */
function connectError(cause: unknown, url: MysqlUrl, database: string): DbError {
  const { code = '', sqlState = '' } = (cause ?? {}) as { code?: string; sqlState?: string };
  const where = `${url.host}:${url.port}`;
  const details = { host: url.host, port: url.port, user: url.user, database, driverCode: code };
  if (NETWORK_CODES.has(code)) {
    return new DbError(
      DbErrorCode.UNREACHABLE,
      `cannot reach MySQL/MariaDB at ${where} (${code}): start the server, or fix host and port in ORDERFLOW_DB, or use ORDERFLOW_DB=sqlite`,
      { cause, retriable: true, details },
    );
  }
  // SQLSTATE 28000 is "invalid authorization": a wrong password (1045), or an unknown user, which
  // MariaDB reports as ER_ACCESS_DENIED_NO_PASSWORD_ERROR (1698).
  if (sqlState === '28000' || code === 'ER_NOT_SUPPORTED_AUTH_MODE') {
    return new DbError(
      DbErrorCode.ACCESS_DENIED,
      `MySQL/MariaDB at ${where} refused user '${url.user}' (${code}): fix the user and password in ORDERFLOW_DB`,
      { cause, details },
    );
  }
  if (code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR') {
    return new DbError(
      DbErrorCode.ACCESS_DENIED,
      `user '${url.user}' may not create database '${database}' on ${where} (${code}): grant it CREATE, or create the database yourself`,
      { cause, details },
    );
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new DbError(DbErrorCode.OPEN_FAILED, `cannot open database '${database}' on MySQL/MariaDB at ${where}: ${message || code}`, {
    cause,
    details,
  });
}
