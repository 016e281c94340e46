import { sql } from 'kysely';
import type { ColumnDataType, Expression } from 'kysely';
import type { DialectName } from './open-database.js';

/** A column type accepted by Kysely's schema builder (`addColumn(name, type)`). */
export type PortableColumnType = ColumnDataType | Expression<unknown>;

/**
 * The few column types that must be spelled differently per dialect. Everything else is
 * spelled the same on both: 'bigint', 'integer', 'varchar(n)', 'text', 'blob'.
 */
export interface PortableTypes {
  /**
   * For `.primaryKey().autoIncrement()`: SQLite only accepts AUTOINCREMENT on a column typed
   * exactly INTEGER (which is 64-bit there); on MySQL INTEGER is 32-bit, so BIGINT.
   */
  readonly autoIncrementId: PortableColumnType;
  /** Text of any length: MySQL's TEXT stops at 64 KB (a large message body would be refused), LONGTEXT does not. */
  readonly longText: PortableColumnType;
  /** Bytes of any length: MySQL's BLOB stops at 64 KB, LONGBLOB does not. */
  readonly longBlob: PortableColumnType;
}

const SQLITE_TYPES: PortableTypes = Object.freeze({ autoIncrementId: 'integer', longText: 'text', longBlob: 'blob' });
const MYSQL_TYPES: PortableTypes = Object.freeze({ autoIncrementId: 'bigint', longText: sql`longtext`, longBlob: sql`longblob` });

export function portableTypes(dialect: DialectName): PortableTypes {
  return dialect === 'sqlite' ? SQLITE_TYPES : MYSQL_TYPES;
}
