import type { Logger } from 'pino';
import { insertIgnoreDuplicate, migrate, type Database, type Migration } from '../../db/index.js';
import type { PushConsumer } from '../../mq/index.js';
import type { ConsumingMessaging } from '../../workers/mq-bridge.js';
import { consumeOrderPaid } from '../order-paid-consumer.js';
import { Groups, type OrderPaidEvent } from '../topics.js';

export interface PointsDB {
  points_ledger: { order_id: string; user_id: string; points: number; at: number };
}

const migrations: Record<string, Migration> = {
  '001_ledger': {
    up: (db) =>
      db.schema
        .createTable('points_ledger')
        .addColumn('order_id', 'varchar(64)', (c) => c.primaryKey()) // one grant per order: idempotent
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute(),
  },
};

/** One point per whole currency unit paid. */
export const pointsFor = (totalCents: number) => Math.floor(totalCents / 100);

/** The points system: a ledger of points granted per paid order. */
export async function createPointsSystem(deps: { database: Database<PointsDB>; mq: ConsumingMessaging; clock: () => number; logger: Logger; consume: boolean }) {
  const { db } = deps.database;
  await migrate(deps.database, migrations);
  const handlePaid = async (event: OrderPaidEvent) => {
    // The order id is the ledger's key: a redelivered message adds nothing (exactly-once effect).
    await insertIgnoreDuplicate(
      db.insertInto('points_ledger').values({ order_id: event.orderId, user_id: event.userId, points: pointsFor(event.totalCents), at: deps.clock() }),
    );
  };
  const consumer: PushConsumer | undefined = deps.consume ? await consumeOrderPaid(deps.mq, Groups.POINTS, handlePaid, deps.logger) : undefined;
  return {
    handlePaid,
    async forOrder(orderId: string) {
      const row = await db.selectFrom('points_ledger').selectAll().where('order_id', '=', orderId).executeTakeFirst();
      return row ? { points: Number(row.points), grantedAt: new Date(Number(row.at)).toISOString() } : null;
    },
    async balance(userId: string) {
      const row = await db.selectFrom('points_ledger').select((eb) => eb.fn.sum<number>('points').as('total')).where('user_id', '=', userId).executeTakeFirst();
      return Number(row?.total ?? 0);
    },
    close: async () => consumer?.close(),
  };
}
