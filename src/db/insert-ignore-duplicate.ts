import { isUniqueViolation } from './error-predicates.js';

/** Anything that runs an INSERT: a Kysely `insertInto(…).values(…)` builder. */
export interface ExecutableInsert {
  execute(): Promise<unknown>;
}

/**
 * Runs an INSERT and returns true, or false when a unique key refused it — the idempotent
 * "record this message once" step of every consumer. Safe inside a transaction on both
 * dialects: SQLite and InnoDB undo only the failed statement, the transaction goes on.
 *
 * Why not INSERT IGNORE / INSERT OR IGNORE: MySQL's IGNORE also turns other errors (a too-long
 * string, a NULL in a NOT NULL column) into warnings and stores a mangled row; this helper
 * ignores duplicates and nothing else.
 *
 * @example
 * const first = await insertIgnoreDuplicate(trx.insertInto('processed_messages').values({ message_key: orderId, at: now }));
 * if (!first) return 'SUCCESS'; // redelivery: already handled
 */
export async function insertIgnoreDuplicate(query: ExecutableInsert): Promise<boolean> {
  try {
    await query.execute();
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
