import type { Generated } from 'kysely';
import type { Migration } from '../../db/index.js';
import { historySeqMigration, type OrderOutboxTable, outboxMigration } from './outbox-schema.js';
import { messageOutboxMigration, type OrderMessagesTable } from './message-outbox.js';
import { type OrderPaymentsTable, type PaymentEventsTable, paymentsMigration } from './payment-schema.js';
import { type PaymentDiscrepanciesTable, type PaymentReconciliationsTable, reconciliationMigration } from './reconciliation-schema.js';
import { type OrderRefundsTable, refundsMigration } from './refund-schema.js';
import type { OrderStatus } from './states.js';

/** The order system's own tables. Times are epoch ms (BIGINT), money integer cents. */
export interface OrderDB {
  users: { user_id: string; password_hash: string; phone: string; created_at: number };
  skus: { sku_id: string; name: string; price_cents: number; available: number; reserved: number; sold: number };
  orders: {
    order_id: string;
    user_id: string;
    /** The buyer's phone when the order was placed: the paid event carries it, so pay reads no user row. */
    phone: string;
    status: OrderStatus;
    total_cents: number;
    discount_cents: number;
    coupon_id: string | null;
    payment_id: string | null;
    /**
     * The `order_paid` half message whose local transaction paid the order (transactional messages only): the
     * check-back commits that one and rolls back every other half message of the same payment (a callback and the
     * pay racing to settle it). Null before migration 007 and with the outbox.
     */
    paid_message_id: string | null;
    tracking_no: string | null;
    pay_deadline: number;
    created_at: number;
    updated_at: number;
    /** The seq of the order's latest history row: 1 (the default) when placed, + 1 by every transition. */
    history_seq: Generated<number>;
  };
  order_items: { order_id: string; sku_id: string; quantity: number; price_cents: number };
  order_history: {
    order_id: string;
    seq: number;
    from_status: OrderStatus | null;
    to_status: OrderStatus;
    at: number;
    note: string | null;
  };
  order_outbox: OrderOutboxTable;
  order_refunds: OrderRefundsTable;
  order_messages: OrderMessagesTable;
  order_payments: OrderPaymentsTable;
  payment_events: PaymentEventsTable;
  payment_reconciliations: PaymentReconciliationsTable;
  payment_discrepancies: PaymentDiscrepanciesTable;
}

export const orderMigrations: Record<string, Migration> = {
  '001_orders': {
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('phone', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('skus')
        .addColumn('sku_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('price_cents', 'bigint', (c) => c.notNull())
        .addColumn('available', 'bigint', (c) => c.notNull())
        .addColumn('reserved', 'bigint', (c) => c.notNull())
        .addColumn('sold', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('orders')
        .addColumn('order_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('phone', 'varchar(32)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('total_cents', 'bigint', (c) => c.notNull())
        .addColumn('discount_cents', 'bigint', (c) => c.notNull())
        .addColumn('coupon_id', 'varchar(64)')
        .addColumn('payment_id', 'varchar(128)')
        .addColumn('tracking_no', 'varchar(128)')
        .addColumn('pay_deadline', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('orders_by_user').on('orders').columns(['user_id', 'order_id']).execute();
      // The scan-based closing (ORDERFLOW_CLOSE=scan, the old way) needs this; the delay-based one does not.
      await db.schema.createIndex('orders_by_status_deadline').on('orders').columns(['status', 'pay_deadline']).execute();
      await db.schema
        .createTable('order_items')
        .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('sku_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('price_cents', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'sku_id'])
        .execute();
      await db.schema
        .createTable('order_history')
        .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('from_status', 'varchar(16)')
        .addColumn('to_status', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('note', 'varchar(255)')
        .addPrimaryKeyConstraint('order_history_pk', ['order_id', 'seq'])
        .execute();
    },
  },
  '002_outbox': outboxMigration,
  // Renumbered (two were numbered 002); a database that ran them under their former names keeps its history.
  '003_outbox_history_seq': { ...historySeqMigration, formerNames: ['002_outbox_history_seq'] },
  '004_refunds': { ...refundsMigration, formerNames: ['003_refunds'] },
  '005_message_outbox': { ...messageOutboxMigration, formerNames: ['004_message_outbox'] },
  '006_payments': paymentsMigration,
  '007_paid_message': {
    async up(db) {
      await db.schema.alterTable('orders').addColumn('paid_message_id', 'varchar(128)').execute();
    },
  },
  '008_payment_reconciliation': reconciliationMigration,
};
