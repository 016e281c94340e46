import type { Logger } from 'pino';
import { insertIgnoreDuplicate, migrate, type Database, type Migration } from '../../db/index.js';
import type { ConsumingMessaging, PushConsumer } from '../../mq/index.js';
import type { VendorClient } from '../../third-parties/index.js';
import { consumeOrderPaid, VENDOR_BOUND_CONCURRENCY } from '../shared/order-paid-consumer.js';
import { Groups, type OrderPaidEvent } from '../shared/topics.js';

export interface WarehouseDB {
  shipments: { order_id: string; tracking_no: string; items: string; created_at: number };
}

const migrations: Record<string, Migration> = {
  '001_shipments': {
    up: (db) =>
      db.schema
        .createTable('shipments')
        .addColumn('order_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tracking_no', 'varchar(128)', (c) => c.notNull())
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute(),
  },
};

/**
 * The warehouse system: books the shipment with the logistics company, then reports it to the
 * order system (its public API), which makes the order SHIPPED.
 */
export async function createWarehouseSystem(deps: {
  database: Database<WarehouseDB>;
  mq: ConsumingMessaging;
  logistics: VendorClient;
  /** The order system's public API. */
  reportShipped: (orderId: string, trackingNo: string) => Promise<unknown>;
  clock: () => number;
  logger: Logger;
  consume: boolean;
}) {
  const { db } = deps.database;
  await migrate(deps.database, migrations);
  const handlePaid = async (event: OrderPaidEvent) => {
    let shipment = await db.selectFrom('shipments').select('tracking_no').where('order_id', '=', event.orderId).executeTakeFirst();
    if (!shipment) {
      const { trackingNo } = await deps.logistics.post<{ trackingNo: string }>(
        '/shipments',
        { orderId: event.orderId, items: event.items },
        { idempotencyKey: `ship:${event.orderId}` },
      );
      await insertIgnoreDuplicate(
        db
          .insertInto('shipments')
          .values({ order_id: event.orderId, tracking_no: trackingNo, items: JSON.stringify(event.items), created_at: deps.clock() }),
      );
      shipment = { tracking_no: trackingNo };
    }
    try {
      await deps.reportShipped(event.orderId, shipment.tracking_no); // idempotent on the order side
    } catch (error) {
      // The order left PAID without shipping (refunded first), or the order system does not know it: there is nothing
      // to report, and retrying cannot change that. Anything else (the order system unreachable) is retried.
      const code = (error as { code?: unknown }).code;
      if (code !== 'INVALID_STATE' && code !== 'ORDER_NOT_FOUND') throw error;
      deps.logger.warn(
        { orderId: event.orderId, code, err: error },
        'warehouse: the order cannot be shipped; its shipment is not reported',
      );
    }
  };
  const consumer: PushConsumer | undefined = deps.consume
    ? await consumeOrderPaid(deps.mq, Groups.WAREHOUSE, handlePaid, deps.logger, VENDOR_BOUND_CONCURRENCY)
    : undefined;
  return {
    handlePaid,
    async forOrder(orderId: string) {
      const row = await db.selectFrom('shipments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
      return row ? { trackingNo: row.tracking_no, bookedAt: new Date(Number(row.created_at)).toISOString() } : null;
    },
    close: async () => consumer?.close(),
  };
}
