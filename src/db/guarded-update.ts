import type { DeleteResult, UpdateResult } from 'kysely';

/** Anything that runs an UPDATE and reports its result: a Kysely `updateTable(…)` builder. */
export interface ExecutableUpdate {
  executeTakeFirst(): Promise<UpdateResult>;
}

/**
 * Runs a guarded update (`UPDATE … WHERE id = ? AND status = expected`) and returns how many rows
 * it MATCHED, as a number, on both dialects. Kysely reports a bigint, and MySQL by default counts
 * only rows whose values actually changed; the MySQL pool is opened with FOUND_ROWS so it counts
 * matched rows, as SQLite does. 1 means this caller won the transition; 0 means the guard failed
 * (another transition won the race, or the row is gone).
 *
 * @example
 * const won = (await guardedUpdate(trx.updateTable('orders').set({ status: 'CLOSED' })
 *   .where('id', '=', orderId).where('status', '=', 'WAIT_PAY'))) === 1;
 */
export async function guardedUpdate(query: ExecutableUpdate): Promise<number> {
  return affectedRows(await query.executeTakeFirst());
}

/** The row count of an UPDATE or DELETE result as a number (Kysely gives a bigint). */
export function affectedRows(result: UpdateResult | DeleteResult): number {
  return Number('numUpdatedRows' in result ? result.numUpdatedRows : result.numDeletedRows);
}
