import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { dbTestTargets } from '../db/testing.js';
import type { ConsumingMessaging } from '../mq/index.js';
import { createCouponsSystem, REWARD_MIN_TOTAL_CENTS, rewardCouponId, type CouponsDB } from './coupons/index.js';
import { createPointsSystem, pointsFor, type PointsDB } from './points/index.js';
import type { OrderChangeEvent, OrderPaidEvent } from './shared/topics.js';

/**
 * Taking back what a refunded order earned (points, reward coupon), called as the REFUNDED consumers
 * call it: every order of events, every duplicate. The consumers themselves are tested end to end
 * (test/e2e/refund-reversal.test.ts).
 */
const logger = pino({ level: 'silent' });
const mq = { pushConsumer: async () => assert.fail('no consumer here') } as unknown as ConsumingMessaging;
let clock = 1_000;
const now = () => clock++;

const paid = (orderId: string, totalCents: number, userId = 'u1'): OrderPaidEvent => ({
  orderId,
  userId,
  phone: '+100',
  paymentId: `PAY-${orderId}`,
  totalCents,
  couponId: null,
  items: [],
  paidAt: 0,
});
const refunded = (orderId: string, totalCents: number, userId = 'u1'): OrderChangeEvent => ({
  orderId,
  seq: 4,
  from: 'REFUNDING',
  to: 'REFUNDED',
  at: 0,
  userId,
  totalCents,
});

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`refund reversal on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());

    test('points: a refund takes the grant back once, however often REFUNDED is delivered; a refund that overtakes the grant nets to zero too', async () => {
      const points = await createPointsSystem({ database: await target.open<PointsDB>('points'), mq, clock: now, logger, consume: false });
      await points.handlePaid(paid('O-kept', 12_000));
      await points.handlePaid(paid('O-1', 4_980));
      assert.equal(await points.balance('u1'), 120 + 49);
      await Promise.all([points.handleRefunded(refunded('O-1', 4_980)), points.handleRefunded(refunded('O-1', 4_980))]);
      await points.handleRefunded(refunded('O-1', 4_980));
      assert.equal(await points.balance('u1'), 120, 'back to the balance before O-1, once');
      const view = await points.forOrder('O-1');
      assert.equal(view?.points, 49);
      assert.equal(view?.reversal?.points, -49);

      // The refund's change arrives before the grant (order_paid still being retried): same formula, same total.
      await points.handleRefunded(refunded('O-late', 7_750));
      await points.handlePaid(paid('O-late', 7_750));
      await points.handlePaid(paid('O-late', 7_750));
      assert.equal(await points.balance('u1'), 120);
      assert.deepEqual((await points.forOrder('O-late'))?.reversal?.points, -pointsFor(7_750));
      assert.equal(await points.forOrder('O-none'), null);
    });

    test('coupons: an unused reward is revoked once; a used one is left and recorded; one held by an unpaid order is revoked when released, kept when paid', async () => {
      const coupons = await createCouponsSystem({
        database: await target.open<CouponsDB>('coupons'),
        mq,
        clock: now,
        logger,
        consume: false,
        seedUsers: 0,
      });
      const status = async (userId: string, couponId: string) =>
        (await coupons.listForUser(userId)).find((c) => c.couponId === couponId)?.status;

      // Unused: revoked; a duplicate changes nothing; it can no longer be used.
      await coupons.handlePaid(paid('O-1', 4_980));
      assert.equal(await status('u1', rewardCouponId('O-1')), 'AVAILABLE');
      await Promise.all([coupons.handleRefunded(refunded('O-1', 4_980)), coupons.handleRefunded(refunded('O-1', 4_980))]);
      const revoked = await coupons.forOrder('O-1');
      assert.equal(revoked.reward?.status, 'REVOKED');
      assert.equal(revoked.reward?.revocation, 'REVOKED');
      await coupons.handleRefunded(refunded('O-1', 4_980));
      assert.deepEqual(await coupons.forOrder('O-1'), revoked, 'a redelivery changes nothing (not even the time)');
      await assert.rejects(coupons.forOrders.lock(rewardCouponId('O-1'), 'u1', 'O-x', 10_000), /revoked/);

      // Used on another paid order before the refund: left as it is, and recorded as not revoked.
      await coupons.handlePaid(paid('O-2', 5_000, 'u2'));
      await coupons.forOrders.lock(rewardCouponId('O-2'), 'u2', 'O-3', 4_000);
      await coupons.handlePaid({ ...paid('O-3', 1_000, 'u2'), couponId: rewardCouponId('O-2') });
      await coupons.handleRefunded(refunded('O-2', 5_000, 'u2'));
      assert.equal((await coupons.forOrder('O-2')).reward?.revocation, 'NOT_REVOKED_ALREADY_USED');
      assert.equal(await status('u2', rewardCouponId('O-2')), 'USED');

      // Held by an unpaid order: released (cancelled / closed) → revoked, not given back.
      await coupons.handlePaid(paid('O-4', 5_000, 'u3'));
      await coupons.forOrders.lock(rewardCouponId('O-4'), 'u3', 'O-5', 4_000);
      await coupons.handleRefunded(refunded('O-4', 5_000, 'u3'));
      assert.equal((await coupons.forOrder('O-4')).reward?.revocation, 'PENDING_RELEASE');
      await coupons.forOrders.release('O-5');
      assert.equal(await status('u3', rewardCouponId('O-4')), 'REVOKED');
      assert.equal((await coupons.forOrder('O-4')).reward?.revocation, 'REVOKED');

      // Held by an unpaid order that is then paid: spent, so kept.
      await coupons.handlePaid(paid('O-6', 5_000, 'u4'));
      await coupons.forOrders.lock(rewardCouponId('O-6'), 'u4', 'O-7', 4_000);
      await coupons.handleRefunded(refunded('O-6', 5_000, 'u4'));
      await coupons.handlePaid({ ...paid('O-7', 3_500, 'u4'), couponId: rewardCouponId('O-6') });
      assert.equal((await coupons.forOrder('O-6')).reward?.revocation, 'NOT_REVOKED_ALREADY_USED');

      // A coupon that was not a reward (a welcome coupon released by a cancelled order) goes back to AVAILABLE as before.
      await coupons.handlePaid(paid('O-8', 5_000, 'u5'));
      await coupons.forOrders.lock(rewardCouponId('O-8'), 'u5', 'O-9', 4_000);
      await coupons.forOrders.release('O-9');
      assert.equal(await status('u5', rewardCouponId('O-8')), 'AVAILABLE');
    });

    test('coupons: a refund that overtakes the reward leaves a revoked placeholder, so the late order_paid grants nothing; a small order gets neither', async () => {
      const coupons = await createCouponsSystem({
        database: await target.open<CouponsDB>('coupons'),
        mq,
        clock: now,
        logger,
        consume: false,
        seedUsers: 0,
      });
      await coupons.handleRefunded(refunded('O-early', 6_000, 'v1'));
      await coupons.handlePaid(paid('O-early', 6_000, 'v1'));
      assert.deepEqual(
        (await coupons.listForUser('v1')).map((c) => c.status),
        ['REVOKED'],
        'no usable reward',
      );
      assert.equal((await coupons.forOrder('O-early')).reward?.revocation, 'REVOKED');

      const small = REWARD_MIN_TOTAL_CENTS - 1;
      await coupons.handlePaid(paid('O-small', small, 'v2'));
      await coupons.handleRefunded(refunded('O-small', small, 'v2'));
      assert.deepEqual(await coupons.listForUser('v2'), []);
      assert.equal((await coupons.forOrder('O-small')).reward, null);
    });
  });
}
