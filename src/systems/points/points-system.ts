import type { Logger } from 'pino';
import { insertIgnoreDuplicate, migrate, type Database, type Migration } from '../../db/index.js';
import type { ConsumingMessaging, PushConsumer } from '../../mq/index.js';
import { consumeOrderPaid } from '../shared/order-paid-consumer.js';
import { consumeOrderRefunded } from '../shared/order-refunded-consumer.js';
import { Groups, type OrderChangeEvent, type OrderPaidEvent } from '../shared/topics.js';

export interface PointsDB {
  points_ledger: { order_id: string; user_id: string; points: number; at: number };
  /** The ledger's negative entries: one per refunded order (its key), taking back what the order earned. */
  points_reversals: { order_id: string; user_id: string; points: number; at: number };
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
  '002_reversals': {
    up: (db) =>
      db.schema
        .createTable('points_reversals')
        .addColumn('order_id', 'varchar(64)', (c) => c.primaryKey()) // one reversal per refunded order: idempotent
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute(),
  },
};

/** One point per whole currency unit paid. */
export const pointsFor = (totalCents: number) => Math.floor(totalCents / 100);

/**
 * The points system: a ledger of points granted per paid order (`order_paid`), and taken back per
 * refunded order (`order_changelog`, tag REFUNDED, group `points-refund`): a negative entry of the
 * same amount, unique per order. The reversal does not wait for the grant: if the refund overtakes
 * a grant still being retried, the reversal (the same formula on the same total) is recorded first
 * and the grant arrives later — the balance ends the same.
 */
export async function createPointsSystem(deps: {
  database: Database<PointsDB>;
  mq: ConsumingMessaging;
  clock: () => number;
  logger: Logger;
  consume: boolean;
}) {
  const { db } = deps.database;
  await migrate(deps.database, migrations);
  const handlePaid = async (event: OrderPaidEvent) => {
    // The order id is the ledger's key: a redelivered message adds nothing (exactly-once effect).
    await insertIgnoreDuplicate(
      db
        .insertInto('points_ledger')
        .values({ order_id: event.orderId, user_id: event.userId, points: pointsFor(event.totalCents), at: deps.clock() }),
    );
  };
  const handleRefunded = async (event: OrderChangeEvent) => {
    const grant = await db.selectFrom('points_ledger').select('points').where('order_id', '=', event.orderId).executeTakeFirst();
    const points = grant ? Number(grant.points) : pointsFor(event.totalCents);
    // The order id is the reversal's key: a redelivered REFUNDED takes nothing more.
    await insertIgnoreDuplicate(
      db.insertInto('points_reversals').values({ order_id: event.orderId, user_id: event.userId, points: -points, at: deps.clock() }),
    );
  };
  const consumers: PushConsumer[] = [];
  if (deps.consume) {
    consumers.push(await consumeOrderPaid(deps.mq, Groups.POINTS, handlePaid, deps.logger));
    consumers.push(await consumeOrderRefunded(deps.mq, Groups.POINTS_REFUND, handleRefunded, deps.logger));
  }
  return {
    handlePaid,
    handleRefunded,
    /** What the order earned (null: nothing yet) and, once refunded, what was taken back. */
    async forOrder(orderId: string) {
      const [grant, reversal] = await Promise.all([
        db.selectFrom('points_ledger').selectAll().where('order_id', '=', orderId).executeTakeFirst(),
        db.selectFrom('points_reversals').selectAll().where('order_id', '=', orderId).executeTakeFirst(),
      ]);
      if (!grant && !reversal) return null;
      return {
        points: grant ? Number(grant.points) : 0,
        grantedAt: grant ? new Date(Number(grant.at)).toISOString() : null,
        reversal: reversal ? { points: Number(reversal.points), reversedAt: new Date(Number(reversal.at)).toISOString() } : null,
      };
    },
    /** Points granted minus points taken back. */
    async balance(userId: string) {
      const sum = async (table: 'points_ledger' | 'points_reversals') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.sum<number>('points').as('total'))
              .where('user_id', '=', userId)
              .executeTakeFirst()
          )?.total ?? 0,
        );
      return (await sum('points_ledger')) + (await sum('points_reversals'));
    },
    async close() {
      for (const consumer of consumers) await consumer.close();
    },
  };
}
