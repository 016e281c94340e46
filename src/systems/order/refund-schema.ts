import type { Migration } from '../../db/index.js';

/**
 * One row per refund (docs/architecture.md, "Refunds"), written in the same local transaction that makes the order
 * REFUNDING. Its existence is what the `order_refund` check-back looks at, and refund_id is the
 * idempotency key the refund worker gives the payment provider. One refund per order (a full
 * refund): order_id is unique, so a lost race can never leave two refunds for one order.
 */
export interface OrderRefundsTable {
  refund_id: string;
  order_id: string;
  /** The order's total when the refund was requested: what the provider pays back. */
  amount_cents: number;
  reason: string | null;
  requested_at: number;
  /** The provider's own id of the refund, once it succeeded (null for a zero-amount order). */
  provider_refund_id: string | null;
  refunded_at: number | null;
  /** Why the last attempt failed (REFUND_FAILED), for the order view and the operator. */
  last_error: string | null;
}

/** Longest stored reason / error text (varchar: MySQL strict mode refuses longer). */
export const REFUND_TEXT_MAX = 255;

export const refundsMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable('order_refunds')
      .addColumn('refund_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('amount_cents', 'bigint', (c) => c.notNull())
      .addColumn('reason', `varchar(${REFUND_TEXT_MAX})`)
      .addColumn('requested_at', 'bigint', (c) => c.notNull())
      .addColumn('provider_refund_id', 'varchar(128)')
      .addColumn('refunded_at', 'bigint')
      .addColumn('last_error', `varchar(${REFUND_TEXT_MAX})`)
      .execute();
    await db.schema.createIndex('order_refunds_order_id_uq').on('order_refunds').column('order_id').unique().execute();
  },
};
