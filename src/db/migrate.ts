import { Migrator, sql } from 'kysely';
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
  // biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, not typed by today's tables (above)
  up(db: Kysely<any>, context: MigrationContext): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: as for up
  down?(db: Kysely<any>, context: MigrationContext): Promise<void>;
  /**
   * Names this migration was recorded under before it was renamed (renumbered, say). A database that ran it
   * under one of them has its record renamed before migrating, so the migration is not run again there.
   */
  formerNames?: readonly string[];
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
  await adoptFormerNames(database, table, migrations);
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

/**
 * Renames the records of migrations that ran under a former name. Kysely refuses a database whose records
 * name a migration it is not given, and would run the renamed one again: the records must follow the names.
 * One transaction, before Kysely's run; doing it twice (two processes starting at once) changes nothing more.
 */
async function adoptFormerNames<DB>(database: Database<DB>, table: string, migrations: Record<string, Migration>): Promise<void> {
  const renames = Object.entries(migrations).flatMap(([name, migration]) =>
    (migration.formerNames ?? []).map((former) => ({ former, name })),
  );
  if (renames.length === 0) return;
  const reused = renames.find(({ former }) => former in migrations);
  if (reused) {
    throw new DbError(
      DbErrorCode.INVALID_ARGUMENT,
      `migration '${reused.name}' of system '${database.system}' lists '${reused.former}' as a former name, which is still a migration's name`,
      { details: { system: database.system, migration: reused.name, formerName: reused.former } },
    );
  }
  const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((found) => found.name === table)) return; // a new database: no migration has run under any name
  await database.db.transaction().execute(async (trx) => {
    for (const { former, name } of renames) await sql`UPDATE ${sql.table(table)} SET name = ${name} WHERE name = ${former}`.execute(trx);
  });
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
