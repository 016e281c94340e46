/**
 * A schema written once with Kysely's schema builder and applied by the tests on SQLite and
 * MySQL/MariaDB alike: BIGINT epoch-ms times and integer cents, varchar, text, long blob, a
 * unique index, a composite primary key with a foreign key, an auto-increment id.
 */
import type { Generated } from 'kysely';
import type { Migration } from './migrate.js';

export interface TestTables {
  orders: {
    id: string;
    business_key: string;
    status: string;
    amount_cents: number;
    /** epoch ms */
    created_at: number;
    note: string | null;
    payload: Buffer | null;
  };
  order_items: { order_id: string; sku_id: string; quantity: number; price_cents: number };
  counters: { name: string; value: number };
  events: { id: Generated<number>; body: string };
}

export const testMigrations: Record<string, Migration> = {
  '0001-create-orders': {
    async up(db, { types }) {
      await db.schema
        .createTable('orders')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('business_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('amount_cents', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('payload', types.longBlob)
        .execute();
      // Index names are per database on SQLite (per table on MySQL): prefix them with the table.
      await db.schema.createIndex('orders_business_key_unique').on('orders').column('business_key').unique().execute();
    },
    async down(db) {
      await db.schema.dropTable('orders').execute();
    },
  },
  '0002-create-order-items': {
    async up(db) {
      await db.schema
        .createTable('order_items')
        .addColumn('order_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('sku_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('price_cents', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'sku_id'])
        .addForeignKeyConstraint('order_items_order_fk', ['order_id'], 'orders', ['id'])
        .execute();
    },
  },
  '0003-create-counters-and-events': {
    async up(db, { types }) {
      await db.schema
        .createTable('counters')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('events')
        .addColumn('id', types.autoIncrementId, (c) => c.primaryKey().autoIncrement())
        .addColumn('body', types.longText, (c) => c.notNull())
        .execute();
    },
  },
};
