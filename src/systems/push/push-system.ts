import type { Logger } from 'pino';
import { insertIgnoreDuplicate, migrate, type Database, type Migration } from '../../db/index.js';
import type { ConsumingMessaging, PushConsumer } from '../../mq/index.js';
import type { VendorClient } from '../../third-parties/index.js';
import { consumeOrderPaid, VENDOR_BOUND_CONCURRENCY } from '../shared/order-paid-consumer.js';
import { Groups, type OrderPaidEvent } from '../shared/topics.js';

export interface PushDB {
  sms: { order_id: string; kind: string; phone: string; sms_id: string; sent_at: number };
}

const migrations: Record<string, Migration> = {
  '001_sms': {
    up: (db) =>
      db.schema
        .createTable('sms')
        .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('phone', 'varchar(32)', (c) => c.notNull())
        .addColumn('sms_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('sent_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('sms_pk', ['order_id', 'kind'])
        .execute(),
  },
};

/**
 * The push system: tells the buyer by SMS that the order is paid, through the SMS vendor
 * (the vendor's latency is the push system's business, never the order system's).
 */
export async function createPushSystem(deps: {
  database: Database<PushDB>;
  mq: ConsumingMessaging;
  sms: VendorClient;
  clock: () => number;
  logger: Logger;
  consume: boolean;
}) {
  const { db } = deps.database;
  await migrate(deps.database, migrations);
  const handlePaid = async (event: OrderPaidEvent) => {
    const sent = await db
      .selectFrom('sms')
      .select('sms_id')
      .where('order_id', '=', event.orderId)
      .where('kind', '=', 'PAID')
      .executeTakeFirst();
    if (sent) return; // redelivery after success
    // The vendor is idempotent on this key too, so a crash between its answer and our insert sends no second SMS.
    const { smsId } = await deps.sms.post<{ smsId: string }>(
      '/sms',
      // orderId: our reference, so the vendor's ledger counts its SMS per order.
      {
        to: event.phone,
        text: `Order ${event.orderId} is paid: ${(event.totalCents / 100).toFixed(2)}. Thank you!`,
        orderId: event.orderId,
      },
      { idempotencyKey: `paid:${event.orderId}` },
    );
    await insertIgnoreDuplicate(
      db.insertInto('sms').values({ order_id: event.orderId, kind: 'PAID', phone: event.phone, sms_id: smsId, sent_at: deps.clock() }),
    );
  };
  const consumer: PushConsumer | undefined = deps.consume
    ? await consumeOrderPaid(deps.mq, Groups.PUSH, handlePaid, deps.logger, VENDOR_BOUND_CONCURRENCY)
    : undefined;
  return {
    handlePaid,
    async forOrder(orderId: string) {
      const rows = await db.selectFrom('sms').selectAll().where('order_id', '=', orderId).execute();
      return rows.map((r) => ({ kind: r.kind, smsId: r.sms_id, sentAt: new Date(Number(r.sent_at)).toISOString() }));
    },
    close: async () => consumer?.close(),
  };
}
