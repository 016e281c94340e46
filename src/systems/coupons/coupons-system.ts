import type { Logger } from 'pino';
import { couponInvalid } from '../../errors.js';
import { insertIgnoreDuplicate, migrate, type Database, type Migration } from '../../db/index.js';
import type { PushConsumer } from '../../mq/index.js';
import type { ConsumingMessaging } from '../../workers/mq-bridge.js';
import { consumeOrderPaid } from '../order-paid-consumer.js';
import type { CouponsForOrders } from '../order/context.js';
import { Groups, type OrderPaidEvent } from '../topics.js';

type CouponStatus = 'AVAILABLE' | 'LOCKED' | 'USED';

export interface CouponsDB {
  coupons: {
    coupon_id: string;
    user_id: string;
    discount_cents: number;
    min_total_cents: number;
    status: CouponStatus;
    /** The paid order that earned this coupon (unique: one reward per order, idempotent). */
    source_order_id: string | null;
    /** The order that holds (LOCKED) or used (USED) it. */
    order_id: string | null;
    created_at: number;
  };
}

const migrations: Record<string, Migration> = {
  '001_coupons': {
    async up(db) {
      await db.schema
        .createTable('coupons')
        .addColumn('coupon_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('discount_cents', 'bigint', (c) => c.notNull())
        .addColumn('min_total_cents', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('source_order_id', 'varchar(64)', (c) => c.unique())
        .addColumn('order_id', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('coupons_by_order').on('coupons').column('order_id').execute();
      await db.schema.createIndex('coupons_by_user').on('coupons').column('user_id').execute();
    },
  },
};

export const REWARD_DISCOUNT_CENTS = 500;
export const REWARD_MIN_TOTAL_CENTS = 3000;

/** The coupon system: welcome coupons, coupons locked by unpaid orders, reward coupons for paid ones. */
export async function createCouponsSystem(deps: { database: Database<CouponsDB>; mq: ConsumingMessaging; clock: () => number; logger: Logger; consume: boolean; seedUsers: number }) {
  const { db } = deps.database;
  await migrate(deps.database, migrations);
  if (deps.seedUsers > 0) {
    const now = deps.clock();
    for (let i = 1; i <= deps.seedUsers; i++) {
      await insertIgnoreDuplicate(
        db.insertInto('coupons').values({
          coupon_id: `WELCOME-user${i}`, user_id: `user${i}`, discount_cents: 500, min_total_cents: 2000,
          status: 'AVAILABLE', source_order_id: null, order_id: null, created_at: now,
        }),
      );
    }
  }

  const forOrders: CouponsForOrders = {
    async lock(couponId, userId, orderId, subtotalCents) {
      const coupon = await db.selectFrom('coupons').selectAll().where('coupon_id', '=', couponId).executeTakeFirst();
      if (!coupon || coupon.user_id !== userId) throw couponInvalid(couponId, 'no such coupon of yours');
      if (coupon.status !== 'AVAILABLE') throw couponInvalid(couponId, `it is ${coupon.status.toLowerCase()}`);
      if (subtotalCents < Number(coupon.min_total_cents)) throw couponInvalid(couponId, `the order must total at least ${Number(coupon.min_total_cents) / 100}`);
      const locked = await db
        .updateTable('coupons')
        .set({ status: 'LOCKED', order_id: orderId })
        .where('coupon_id', '=', couponId)
        .where('status', '=', 'AVAILABLE')
        .executeTakeFirst();
      if (Number(locked.numUpdatedRows) !== 1) throw couponInvalid(couponId, 'it was just used by another order');
      return { discountCents: Math.min(Number(coupon.discount_cents), subtotalCents) };
    },
    async release(orderId) {
      await db.updateTable('coupons').set({ status: 'AVAILABLE', order_id: null }).where('order_id', '=', orderId).where('status', '=', 'LOCKED').execute();
    },
  };

  const handlePaid = async (event: OrderPaidEvent) => {
    await db.updateTable('coupons').set({ status: 'USED' }).where('order_id', '=', event.orderId).where('status', '=', 'LOCKED').execute();
    if (event.totalCents < REWARD_MIN_TOTAL_CENTS) return;
    // Unique source_order_id: a redelivered message grants nothing more.
    await insertIgnoreDuplicate(
      db.insertInto('coupons').values({
        coupon_id: `REWARD-${event.orderId}`, user_id: event.userId, discount_cents: REWARD_DISCOUNT_CENTS, min_total_cents: 2000,
        status: 'AVAILABLE', source_order_id: event.orderId, order_id: null, created_at: deps.clock(),
      }),
    );
  };
  const consumer: PushConsumer | undefined = deps.consume ? await consumeOrderPaid(deps.mq, Groups.COUPONS, handlePaid, deps.logger) : undefined;

  return {
    forOrders,
    handlePaid,
    async forOrder(orderId: string) {
      const rows = await db.selectFrom('coupons').select(['coupon_id', 'status', 'source_order_id', 'order_id']).where((eb) => eb.or([eb('order_id', '=', orderId), eb('source_order_id', '=', orderId)])).execute();
      return {
        usedCoupon: rows.find((r) => r.order_id === orderId)?.coupon_id ?? null,
        rewardCoupon: rows.find((r) => r.source_order_id === orderId)?.coupon_id ?? null,
      };
    },
    async listForUser(userId: string) {
      const rows = await db.selectFrom('coupons').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      return rows.map((c) => ({ couponId: c.coupon_id, discountCents: Number(c.discount_cents), minTotalCents: Number(c.min_total_cents), status: c.status }));
    },
    close: async () => consumer?.close(),
  };
}
