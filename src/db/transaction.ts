import { Kysely } from 'kysely';
import type { Transaction } from 'kysely';
import type { Database } from './open-database.js';

/**
 * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
 * error is rethrown). On SQLite transactions start with BEGIN IMMEDIATE and run one at a time on
 * the single connection, so concurrent callers queue instead of failing with SQLITE_BUSY; on
 * MySQL each runs on its own pooled connection (InnoDB, READ COMMITTED: see mysql.ts).
 *
 * Given a transaction (`trx`) instead of a database, `fn` joins it: a use case written with
 * withTransaction can be called on its own or as part of a larger transaction.
 *
 * Inside `fn`, use `trx` only, never `database.db`: on SQLite the one connection is held by this
 * transaction, so such a query would wait for it forever; on MySQL it would run outside it.
 * Keep slow work (HTTP calls, sleeps) out of `fn`: it holds the write lock on SQLite.
 *
 * @example
 * const paid = await withTransaction(database, async (trx) => {
 *   const changed = await guardedUpdate(trx.updateTable('orders').set({ status: 'PAID', paid_at: now })
 *     .where('id', '=', orderId).where('status', '=', 'WAIT_PAY'));
 *   if (changed !== 1) return false;
 *   await trx.updateTable('stock').set((eb) => ({ reserved: eb('reserved', '-', qty), sold: eb('sold', '+', qty) }))
 *     .where('sku_id', '=', skuId).execute();
 *   return true;
 * });
 */
export function withTransaction<DB, T>(database: Database<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
export function withTransaction<DB, T>(trx: Transaction<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
export function withTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
export async function withTransaction<DB, T>(database: Database<DB> | Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  const db = database instanceof Kysely ? database : database.db;
  // Kysely refuses db.transaction() on a Transaction; joining it is what a nested call means.
  if (db.isTransaction) return fn(db as Transaction<DB>);
  return db.transaction().execute(fn);
}
