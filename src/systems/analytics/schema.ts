import type { Migration } from '../../db/index.js';

/**
 * The analytics system's own store, built only from the `order_changelog` stream (docs/architecture.md, "The change stream"):
 * it lives in its own database and never reads the order system's tables.
 * Times are epoch ms (BIGINT), money integer cents, days 'YYYY-MM-DD' (UTC).
 */
export interface AnalyticsDB {
  /** Every change applied, once: (order_id, seq) is the idempotency key of the consumer. */
  analytics_changes: { order_id: string; seq: number; from_status: string | null; to_status: string; at: number; received_at: number };
  /** Facts per order: where it stands after its last applied change. */
  analytics_orders: {
    order_id: string;
    user_id: string;
    status: string;
    total_cents: number;
    /** The seq of the last change applied; the next one applied must be exactly last_seq + 1. */
    last_seq: number;
    placed_at: number;
    paid_at: number | null;
    /** UTC day of paid_at: where this order's GMV is counted. */
    paid_day: string | null;
    /** What this order adds to its paid_day's GMV now: its total once PAID, 0 again once REFUNDED. */
    gmv_cents: number;
    last_event_at: number;
  };
  /** GMV per UTC day of payment: totals of orders that reached PAID, less those REFUNDED since. */
  analytics_gmv_daily: { day: string; gmv_cents: number; orders: number };
}

export const analyticsMigrations: Record<string, Migration> = {
  '001_analytics': {
    async up(db) {
      await db.schema
        .createTable('analytics_changes')
        .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('from_status', 'varchar(16)')
        .addColumn('to_status', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_changes_pk', ['order_id', 'seq'])
        .execute();
      await db.schema
        .createTable('analytics_orders')
        .addColumn('order_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('total_cents', 'bigint', (c) => c.notNull())
        .addColumn('last_seq', 'integer', (c) => c.notNull())
        .addColumn('placed_at', 'bigint', (c) => c.notNull())
        .addColumn('paid_at', 'bigint')
        .addColumn('paid_day', 'varchar(10)')
        .addColumn('gmv_cents', 'bigint', (c) => c.notNull())
        .addColumn('last_event_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('analytics_orders_status_idx').on('analytics_orders').column('status').execute();
      await db.schema
        .createTable('analytics_gmv_daily')
        .addColumn('day', 'varchar(10)', (c) => c.primaryKey())
        .addColumn('gmv_cents', 'bigint', (c) => c.notNull())
        .addColumn('orders', 'integer', (c) => c.notNull())
        .execute();
    },
  },
};
