import type { Logger } from 'pino';
import { couponInvalid } from '../../errors.js';
import { insertIgnoreDuplicate, migrate, type Database, type Migration } from '../../db/index.js';
import type { ConsumingMessaging, PushConsumer } from '../../mq/index.js';
import { consumeOrderPaid } from '../shared/order-paid-consumer.js';
import { consumeOrderRefunded } from '../shared/order-refunded-consumer.js';
import type { CouponsForOrders } from '../order/index.js';
import { Groups, type OrderChangeEvent, type OrderPaidEvent } from '../shared/topics.js';

/** REVOKED: a reward coupon taken back because the order that earned it was refunded. */
type CouponStatus = 'AVAILABLE' | 'LOCKED' | 'USED' | 'REVOKED';

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
    /** When the order that earned this reward was refunded (revocation asked); null otherwise. */
    revoked_at: number | null;
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
  '002_revoked_at': {
    up: (db) => db.schema.alterTable('coupons').addColumn('revoked_at', 'bigint').execute(),
  },
};

/**
 * What became of the reward coupon of a refunded order (the order view's `reward.revocation`):
 * REVOKED — taken back (or never issued: the refund overtook the reward, which will not come);
 * NOT_REVOKED_ALREADY_USED — already spent on a paid order before the refund: left as it is (the
 * discount was given; taking it back would mean charging that other order), recorded here;
 * PENDING_RELEASE — held by an unpaid order: revoked if that order is cancelled or closed, kept if it is paid.
 */
export type RewardRevocation = 'REVOKED' | 'NOT_REVOKED_ALREADY_USED' | 'PENDING_RELEASE';

export const REWARD_DISCOUNT_CENTS = 500;
export const REWARD_MIN_TOTAL_CENTS = 3000;

/**
 * The coupon system: welcome coupons, coupons locked by unpaid orders, reward coupons for paid ones
 * (`order_paid`), revoked when their order is refunded (`order_changelog`, tag REFUNDED, group
 * `coupons-refund`; see RewardRevocation for a reward already used).
 */
export async function createCouponsSystem(deps: {
  database: Database<CouponsDB>;
  mq: ConsumingMessaging;
  clock: () => number;
  logger: Logger;
  consume: boolean;
  seedUsers: number;
}) {
  const { db } = deps.database;
  await migrate(deps.database, migrations);
  if (deps.seedUsers > 0) {
    const now = deps.clock();
    for (let i = 1; i <= deps.seedUsers; i++) {
      await insertIgnoreDuplicate(
        db.insertInto('coupons').values({
          coupon_id: `WELCOME-user${i}`,
          user_id: `user${i}`,
          discount_cents: 500,
          min_total_cents: 2000,
          status: 'AVAILABLE',
          source_order_id: null,
          order_id: null,
          created_at: now,
          revoked_at: null,
        }),
      );
    }
  }

  const forOrders: CouponsForOrders = {
    async lock(couponId, userId, orderId, subtotalCents) {
      const coupon = await db.selectFrom('coupons').selectAll().where('coupon_id', '=', couponId).executeTakeFirst();
      if (!coupon || coupon.user_id !== userId) throw couponInvalid(couponId, 'no such coupon of yours');
      if (coupon.status !== 'AVAILABLE') throw couponInvalid(couponId, `it is ${coupon.status.toLowerCase()}`);
      if (subtotalCents < Number(coupon.min_total_cents))
        throw couponInvalid(couponId, `the order must total at least ${Number(coupon.min_total_cents) / 100}`);
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
      // A reward whose source order was refunded while this order held it is not given back: it is revoked now.
      await db
        .updateTable('coupons')
        .set((eb) => ({
          status: eb
            .case()
            .when('revoked_at', 'is', null)
            .then(eb.val<CouponStatus>('AVAILABLE'))
            .else(eb.val<CouponStatus>('REVOKED'))
            .end(),
          order_id: null,
        }))
        .where('order_id', '=', orderId)
        .where('status', '=', 'LOCKED')
        .execute();
    },
  };

  const handlePaid = async (event: OrderPaidEvent) => {
    await db.updateTable('coupons').set({ status: 'USED' }).where('order_id', '=', event.orderId).where('status', '=', 'LOCKED').execute();
    if (event.totalCents < REWARD_MIN_TOTAL_CENTS) return;
    // Unique source_order_id: a redelivered message grants nothing more.
    await insertIgnoreDuplicate(
      db.insertInto('coupons').values({
        coupon_id: rewardCouponId(event.orderId),
        user_id: event.userId,
        discount_cents: REWARD_DISCOUNT_CENTS,
        min_total_cents: 2000,
        status: 'AVAILABLE',
        source_order_id: event.orderId,
        order_id: null,
        created_at: deps.clock(),
        revoked_at: null,
      }),
    );
  };
  /**
   * The order was refunded: its reward coupon is revoked, idempotently and whatever the order of
   * events. Not issued yet (the refund overtook the reward): a REVOKED placeholder takes its key,
   * so the late `order_paid` grants nothing. Issued: the revocation is recorded first (so a release
   * racing with us revokes instead of giving back), then an AVAILABLE coupon is revoked; a USED one is
   * left (NOT_REVOKED_ALREADY_USED), a LOCKED one is revoked when released (PENDING_RELEASE).
   */
  const handleRefunded = async (event: OrderChangeEvent) => {
    const now = deps.clock();
    if (event.totalCents >= REWARD_MIN_TOTAL_CENTS) {
      const placeholder = await insertIgnoreDuplicate(
        db.insertInto('coupons').values({
          coupon_id: rewardCouponId(event.orderId),
          user_id: event.userId,
          discount_cents: REWARD_DISCOUNT_CENTS,
          min_total_cents: 2000,
          status: 'REVOKED',
          source_order_id: event.orderId,
          order_id: null,
          created_at: now,
          revoked_at: now,
        }),
      );
      if (placeholder) return;
    }
    await db
      .updateTable('coupons')
      .set({ revoked_at: now })
      .where('source_order_id', '=', event.orderId)
      .where('revoked_at', 'is', null)
      .execute();
    await db
      .updateTable('coupons')
      .set({ status: 'REVOKED' })
      .where('source_order_id', '=', event.orderId)
      .where('status', '=', 'AVAILABLE')
      .execute();
  };
  const consumers: PushConsumer[] = [];
  if (deps.consume) {
    consumers.push(await consumeOrderPaid(deps.mq, Groups.COUPONS, handlePaid, deps.logger));
    consumers.push(await consumeOrderRefunded(deps.mq, Groups.COUPONS_REFUND, handleRefunded, deps.logger));
  }

  return {
    forOrders,
    handlePaid,
    handleRefunded,
    /** The coupon the order used, the reward it earned, and what became of the reward (its status; revocation once refunded). */
    async forOrder(orderId: string) {
      const rows = await db
        .selectFrom('coupons')
        .select(['coupon_id', 'status', 'source_order_id', 'order_id', 'revoked_at'])
        .where((eb) => eb.or([eb('order_id', '=', orderId), eb('source_order_id', '=', orderId)]))
        .execute();
      const reward = rows.find((r) => r.source_order_id === orderId);
      return {
        usedCoupon: rows.find((r) => r.order_id === orderId)?.coupon_id ?? null,
        rewardCoupon: reward?.coupon_id ?? null,
        reward: reward
          ? {
              couponId: reward.coupon_id,
              status: reward.status,
              revokedAt: reward.revoked_at === null ? null : new Date(Number(reward.revoked_at)).toISOString(),
              revocation: revocationOf(reward.status, reward.revoked_at),
            }
          : null,
      };
    },
    async listForUser(userId: string) {
      const rows = await db.selectFrom('coupons').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      return rows.map((c) => ({
        couponId: c.coupon_id,
        discountCents: Number(c.discount_cents),
        minTotalCents: Number(c.min_total_cents),
        status: c.status,
      }));
    },
    async close() {
      for (const consumer of consumers) await consumer.close();
    },
  };
}

/** A paid order's reward coupon id: one per order (also the key that makes granting and revoking idempotent). */
export const rewardCouponId = (orderId: string) => `REWARD-${orderId}`;

function revocationOf(status: CouponStatus, revokedAt: number | null): RewardRevocation | null {
  if (revokedAt === null) return null;
  if (status === 'REVOKED') return 'REVOKED';
  if (status === 'USED') return 'NOT_REVOKED_ALREADY_USED';
  return 'PENDING_RELEASE'; // LOCKED (AVAILABLE only for the instant between the two updates)
}
