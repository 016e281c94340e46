import { sql } from 'kysely';
import type { Database } from './open-database.js';

/**
 * One round trip (SELECT 1), for health checks. It goes the way every query goes — on MySQL through the pool, on
 * SQLite through the one connection — so a database that cannot serve queries fails it, and so does a closed one.
 */
export async function pingDatabase<DB>(database: Database<DB>): Promise<void> {
  await sql`SELECT 1`.execute(database.db);
}
