import type { Migration } from '../../db/index.js';

/**
 * One row per payment intent created at the payment provider for an order (docs/architecture.md, "Payments").
 * `outcome` is set once, in the same transaction as its effect: PAID_ORDER when this payment paid the order,
 * REFUNDED when it came in surplus (the order closed, cancelled or paid by another payment) and its money goes
 * back through the refund flow. A payment whose outcome is set is settled: nothing it receives changes anything.
 */
export interface OrderPaymentsTable {
  /** The provider's id of the payment (pi_…). */
  payment_id: string;
  order_id: string;
  /** The shopper's attempt, 1, 2, …: one payment per order and attempt (the provider's idempotency key). */
  attempt: number;
  amount_cents: number;
  /** What the provider last said: REQUIRES_CONFIRMATION, SUCCEEDED or FAILED. */
  status: PaymentStatus;
  outcome: PaymentOutcome | null;
  /** The surplus payment's refund (the `order_refund` message's refund id), and what became of it. */
  refund_id: string | null;
  provider_refund_id: string | null;
  refunded_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** The provider's events received, by their id: a redelivered event is answered at once and does nothing. */
export interface PaymentEventsTable {
  event_id: string;
  payment_id: string;
  type: string;
  received_at: number;
}

export type PaymentStatus = 'REQUIRES_CONFIRMATION' | 'SUCCEEDED' | 'FAILED';
export type PaymentOutcome = 'PAID_ORDER' | 'REFUNDED';

export const paymentsMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable('order_payments')
      .addColumn('payment_id', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('amount_cents', 'bigint', (c) => c.notNull())
      .addColumn('status', 'varchar(24)', (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)')
      .addColumn('refund_id', 'varchar(64)')
      .addColumn('provider_refund_id', 'varchar(128)')
      .addColumn('refunded_at', 'bigint')
      .addColumn('last_error', 'varchar(255)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('order_payments_attempt_uq').on('order_payments').columns(['order_id', 'attempt']).unique().execute();
    await db.schema.createIndex('order_payments_refund_uq').on('order_payments').column('refund_id').unique().execute();
    await db.schema.createIndex('order_payments_by_created').on('order_payments').column('created_at').execute();
    await db.schema
      .createTable('payment_events')
      .addColumn('event_id', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('payment_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
