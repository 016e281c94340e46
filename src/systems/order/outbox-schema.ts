import { sql, type Generated } from 'kysely';
import type { Migration } from '../../db/index.js';
import type { OrderStatus } from './states.js';

/**
 * The change-stream outbox (docs/architecture.md, "The change stream"): one row per order status change, written in the same
 * transaction as the change (see `writeOutbox`), published on `order_changelog` by the relay
 * and deleted once the broker has stored it. What a row carries is the changelog message body.
 */
export interface OrderOutboxTable {
  /** Publication order. Two changes of one order are serialised by the guarded update on its row, so their ids follow their seq. */
  id: Generated<number>;
  order_id: string;
  /** The order's history seq of this change: 1 for placing, then 2, 3, … with no gap. */
  seq: number;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  at: number;
  user_id: string;
  total_cents: number;
}

export const outboxMigration: Migration = {
  async up(db, { types }) {
    await db.schema
      .createTable('order_outbox')
      // AUTOINCREMENT on SQLite: ids are never reused, even when the relay has emptied the table.
      .addColumn('id', types.autoIncrementId, (c) => c.primaryKey().autoIncrement())
      .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('from_status', 'varchar(16)')
      .addColumn('to_status', 'varchar(16)', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('total_cents', 'bigint', (c) => c.notNull())
      .execute();
    // Orders placed before this migration have history but were never published: queue their whole
    // history (in seq order per order), so the change stream starts at seq 1 for every order and its
    // consumers never wait for a change that will not come. A no-op on a fresh database.
    await sql`
      INSERT INTO order_outbox (order_id, seq, from_status, to_status, at, user_id, total_cents)
      SELECT h.order_id, h.seq, h.from_status, h.to_status, h.at, o.user_id, o.total_cents
      FROM order_history h JOIN orders o ON o.order_id = h.order_id
      ORDER BY h.order_id, h.seq`.execute(db);
  },
};

/**
 * orders.history_seq: the seq of the order's latest history row, kept by the guarded update itself.
 * History and outbox rows take their seq from the order's own row instead of reading MAX(seq) from
 * the history table (on MySQL that read locks neighbouring rows and gaps, see `addHistory`).
 */
export const historySeqMigration: Migration = {
  async up(db) {
    await db.schema
      .alterTable('orders')
      .addColumn('history_seq', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await sql`
      UPDATE orders SET history_seq = (SELECT max(h.seq) FROM order_history h WHERE h.order_id = orders.order_id)
      WHERE EXISTS (SELECT 1 FROM order_history h WHERE h.order_id = orders.order_id)`.execute(db);
  },
};
