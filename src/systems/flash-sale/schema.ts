import type { Migration } from '../../db/index.js';
import type { TicketStatus } from './states.js';

/** The flash-sale system's own tables. Times are epoch ms (BIGINT), money integer cents. */
export interface FlashSaleDB {
  flash_sales: {
    sale_id: string;
    sku_id: string;
    price_cents: number;
    stock: number;
    starts_at: number;
    ends_at: number;
    created_at: number;
  };
  /** One per admitted buyer; `(sale_id, user_id)` is unique: one unit per user per sale, whatever the gate says. */
  flash_sale_tickets: {
    ticket_id: string;
    sale_id: string;
    user_id: string;
    status: TicketStatus;
    order_id: string | null;
    reason: string | null;
    created_at: number;
    updated_at: number;
  };
}

export const flashSaleMigrations: Record<string, Migration> = {
  '001_flash_sales': {
    async up(db) {
      await db.schema
        .createTable('flash_sales')
        .addColumn('sale_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('sku_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('price_cents', 'bigint', (c) => c.notNull())
        .addColumn('stock', 'bigint', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '002_flash_sale_tickets': {
    async up(db) {
      await db.schema
        .createTable('flash_sale_tickets')
        .addColumn('ticket_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('sale_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('order_id', 'varchar(64)')
        .addColumn('reason', 'varchar(255)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('flash_sale_tickets_sale_user')
        .on('flash_sale_tickets')
        .columns(['sale_id', 'user_id'])
        .unique()
        .execute();
    },
  },
};
