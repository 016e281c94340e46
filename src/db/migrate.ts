import { Migrator } from 'kysely';
import type { Kysely, Migration as KyselyMigration } from 'kysely';
import { portableTypes } from './column-types.js';
import type { PortableTypes } from './column-types.js';
import { DbError, DbErrorCode } from './errors.js';
import type { Database, DialectName } from './open-database.js';
import { sqlNameOf } from './system-name.js';

/** What a migration is told about where it runs. */
export interface MigrationContext {
  readonly dialect: DialectName;
  readonly system: string;
  /** Column types that differ per dialect (auto-increment id, long text, long blob). */
  readonly types: PortableTypes;
}

/**
 * One schema change, written once with Kysely's schema builder and run on SQLite and MySQL alike.
 * `db` is `Kysely<any>` on purpose (Kysely's own advice): a migration is frozen in time and must
 * not follow the system's current table types. Run every statement on that `db` (never on
 * `database.db`): the migrator holds the connection, and on SQLite there is only one.
 */
export interface Migration {
  up(db: Kysely<any>, context: MigrationContext): Promise<void>;
  down?(db: Kysely<any>, context: MigrationContext): Promise<void>;
}

/**
 * Applies the system's pending migrations, in the order of their names ('0001-create-orders',
 * '0002-…'), and returns the names applied now ([] when already up to date). The bookkeeping
 * lives in the system's own `${system}_migrations` and `${system}_migrations_lock` tables, so
 * systems sharing a SQLite directory or a MySQL server never see each other's history.
 *
 * MySQL cannot roll back DDL: a migration that fails half-way leaves its earlier statements
 * applied. Keep one schema change per migration.
 *
 * @example
 * const applied = await migrate(database, {
 *   '0001-create-orders': { up: (db) => db.schema.createTable('orders').addColumn('id', 'varchar(40)', (c) => c.primaryKey()).execute() },
 * });
 */
export async function migrate<DB>(database: Database<DB>, migrations: Record<string, Migration>): Promise<string[]> {
  const context: MigrationContext = Object.freeze({
    dialect: database.dialect,
    system: database.system,
    types: portableTypes(database.dialect),
  });
  const table = `${sqlNameOf(database.system)}_migrations`;
  const migrator = new Migrator({
    db: database.db,
    migrationTableName: table,
    migrationLockTableName: `${table}_lock`,
    provider: { getMigrations: async () => bindContext(migrations, context) },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const what = failed ? `migration '${failed}'` : 'migrating';
    throw new DbError(
      DbErrorCode.MIGRATION_FAILED,
      `${what} of system '${database.system}' failed on ${database.dialect} (${database.location}): ${(error as Error)?.message ?? String(error)}`,
      { cause: error, details: { system: database.system, migration: failed, applied: applied(results) } },
    );
  }
  return applied(results);
}

function applied(results: ReadonlyArray<{ migrationName: string; status: string }>): string[] {
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Kysely calls `up(db)` only; hand each migration its context as well. */
function bindContext(migrations: Record<string, Migration>, context: MigrationContext): Record<string, KyselyMigration> {
  const bound: Record<string, KyselyMigration> = {};
  for (const [name, migration] of Object.entries(migrations)) {
    const { down } = migration;
    bound[name] = {
      up: (db) => migration.up(db, context),
      ...(down ? { down: (db: Kysely<unknown>) => down.call(migration, db, context) } : {}),
    };
  }
  return bound;
}
