import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Groups, Tags, Topics } from '../../src/systems/shared/topics.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sleep, waitUntil } from '../support/wait.js';

/**
 * A refunded order gives back what it earned, over real HTTP and the real consumers (in the
 * downstream worker thread): its points are taken back (the user's balance returns to what it was)
 * and its reward coupon is revoked (it can no longer be used), exactly once however often the
 * REFUNDED change is delivered.
 */
function refundReversalCases(db: 'sqlite' | 'mysql'): void {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({}, db);
  });
  after(async () => t?.stop());

  const order = async (user: string, orderId: string) => (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body;
  const placePaid = (user: string, skuId: string, quantity: number) => t.placePaidOrder(user, skuId, quantity);
  /** Waits until the order's downstream view satisfies `check`; returns the order. */
  async function waitForOrder(user: string, orderId: string, what: string, check: (o: any) => boolean, timeoutMs = 15_000) {
    let last: any;
    assert.ok(
      await waitUntil(async () => check((last = await order(user, orderId))), timeoutMs, 50),
      `${what}: ${JSON.stringify({ status: last?.status, downstream: last?.downstream })}`,
    );
    return last;
  }
  /** The user's points balance as the API shows it: what each order earned, less what was taken back. */
  async function balance(user: string): Promise<number> {
    const list = (await t.call('GET', '/api/orders?limit=100', { as: user })).body.orders as { orderId: string }[];
    let total = 0;
    for (const { orderId } of list) {
      const points = (await order(user, orderId)).downstream.points;
      total += (points?.points ?? 0) + (points?.reversal?.points ?? 0);
    }
    return total;
  }
  const granted = (o: any) => o.downstream.points !== null && o.downstream.coupons.reward?.status === 'AVAILABLE';

  test('pay → points and a reward coupon; refund → REFUNDED, the points taken back (balance as before), the reward coupon revoked and refused', async () => {
    const user = 'user31';
    const kept = await placePaid(user, 'SKU-1003', 1); // an order that stays paid: its points stay
    await waitForOrder(user, kept, 'points for the kept order', (o) => o.downstream.points !== null);
    const before = await balance(user);
    assert.ok(before > 0);

    const orderId = await placePaid(user, 'SKU-1001', 2);
    const paidOrder = await waitForOrder(user, orderId, 'points and reward granted', granted);
    const earned = paidOrder.downstream.points.points;
    assert.equal(earned, Math.floor(paidOrder.totalCents / 100));
    assert.ok(earned > 0);
    assert.equal(await balance(user), before + earned);
    const rewardId = paidOrder.downstream.coupons.rewardCoupon;

    const requested = await t.call('POST', `/api/orders/${orderId}/refund`, { as: user, body: { reason: 'changed my mind' } });
    assert.equal(requested.status, 202, JSON.stringify(requested.body));
    const done = await waitForOrder(
      user,
      orderId,
      'refunded and reversed',
      (o) => o.status === 'REFUNDED' && o.downstream.points?.reversal !== null && o.downstream.coupons.reward?.revocation === 'REVOKED',
    );
    assert.equal(done.downstream.points.reversal.points, -earned);
    assert.equal(done.downstream.points.points, earned, 'the grant stays in the ledger; the reversal is a separate negative entry');
    assert.equal(done.downstream.coupons.reward.couponId, rewardId);
    assert.equal(done.downstream.coupons.reward.status, 'REVOKED');
    assert.equal(await balance(user), before, 'the balance is back to what it was before the refunded order');

    // The revoked reward cannot be used any more.
    const withReward = await t.call('POST', '/api/orders', {
      as: user,
      body: { userId: user, items: [{ skuId: 'SKU-1001', quantity: 2 }], couponId: rewardId },
    });
    assert.equal(withReward.status, 409, JSON.stringify(withReward.body));
    assert.equal(withReward.body.error.code, 'COUPON_INVALID');
    assert.match(withReward.body.error.message, /revoked/);
    // The kept order keeps its points.
    const keptOrder = await order(user, kept);
    assert.ok(
      keptOrder.downstream.points.points > 0 && keptOrder.downstream.points.reversal === null,
      JSON.stringify(keptOrder.downstream),
    );
  });

  test('the REFUNDED change delivered again (as a redelivery would) takes nothing more back', async () => {
    const user = 'user32';
    const orderId = await placePaid(user, 'SKU-1002', 1);
    await waitForOrder(user, orderId, 'granted', granted);
    assert.equal((await t.call('POST', `/api/orders/${orderId}/refund`, { as: user, body: {} })).status, 202);
    const first = await waitForOrder(
      user,
      orderId,
      'reversed',
      (o) => o.status === 'REFUNDED' && o.downstream.points?.reversal !== null && o.downstream.coupons.reward?.revocation === 'REVOKED',
    );
    const balanceAfter = await balance(user);

    // The stored REFUNDED message, sent again under the same keys and message group: both groups must recognise it.
    const [original] = (await t.app.mq.admin.findMessagesByKey(Topics.ORDER_CHANGELOG, orderId)).filter((m) => m.tag === Tags.REFUNDED);
    assert.ok(original, 'the change stream carried REFUNDED');
    const refundedChange = first.history.find((h: { to: string }) => h.to === 'REFUNDED');
    const body = JSON.stringify({
      orderId,
      seq: first.history.length,
      from: 'REFUNDING',
      to: 'REFUNDED',
      at: Date.parse(refundedChange.at),
      userId: user,
      totalCents: first.totalCents,
    });
    const producer = await t.app.mq.producer({ group: 'test-changelog-duplicator' });
    try {
      await producer.send({ topic: Topics.ORDER_CHANGELOG, tag: Tags.REFUNDED, keys: [orderId], messageGroup: orderId, body });
      await producer.send({ topic: Topics.ORDER_CHANGELOG, tag: Tags.REFUNDED, keys: [orderId], messageGroup: orderId, body });
    } finally {
      await producer.close();
    }
    const consumedByBoth = async () => {
      const copies = (await t.app.mq.admin.findMessagesByKey(Topics.ORDER_CHANGELOG, orderId)).filter((m) => m.tag === Tags.REFUNDED);
      return (
        copies.length === 3 &&
        copies.every((m) =>
          [Groups.POINTS_REFUND, Groups.COUPONS_REFUND].every((g) => m.deliveries.find((d) => d.group === g)?.state === 'CONSUMED'),
        )
      );
    };
    assert.ok(await waitUntil(consumedByBoth, 10_000, 50), 'the duplicates were consumed by both groups');
    await sleep(200);
    const second = await order(user, orderId);
    assert.deepEqual(second.downstream.points, first.downstream.points, 'no second reversal');
    assert.deepEqual(second.downstream.coupons, first.downstream.coupons, 'the coupon revoked once (same time)');
    assert.equal(await balance(user), balanceAfter);
  });
}

describe('refunds take back points and reward coupons, on SQLite', () => refundReversalCases('sqlite'));

describe(
  'refunds take back points and reward coupons, on MariaDB/MySQL',
  { skip: process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)' },
  () => refundReversalCases('mysql'),
);
