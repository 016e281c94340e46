import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Topics } from '../../src/systems/shared/topics.js';
import { inProcessOnly, sendLikeTheOrderSystem, startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

/** An order's message as its trace lists it. */
type Trace = { topic: string; deliveries: { state: string }[] };

/**
 * A half message whose transaction lost (the pay and the provider's callback raced to settle the payment, each with a
 * half message of its own on RocketMQ; one committed, the other rolled back) stays listed as HALF and is never
 * delivered: only delivered ones count.
 */
const delivered = (m: Trace) => !m.deliveries.every((d) => d.state === 'HALF');

/** The order system end to end through its HTTP API, on one database kind. */
export function orderFlowCases(db: 'sqlite' | 'mysql', env: Record<string, string> = {}): void {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(env, db);
  });
  after(async () => t?.stop());

  const place = (user: string, items: { skuId: string; quantity: number }[], couponId?: string) =>
    t.call('POST', '/api/orders', { as: user, body: { userId: user, items, couponId } });

  const stockOf = async (skuId: string) => (await t.call('GET', '/api/skus')).body.find((s: { skuId: string }) => s.skuId === skuId).stock;

  test('a new user logs in, orders, pays, and within seconds sees SMS sent, SHIPPED, points and a reward coupon', async () => {
    const stockBefore = await stockOf('SKU-1001');
    const placed = await place('user1', [{ skuId: 'SKU-1001', quantity: 2 }], 'WELCOME-user1');
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.status, 'WAIT_PAY');
    assert.equal(placed.body.totalCents, 2 * 2490 - 500);
    const paid = await t.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user1', body: {} });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.deepEqual(paid.body, { orderId: placed.body.orderId, status: 'PAID' });
    let order: any;
    const done = await waitUntil(
      async () => {
        order = (await t.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user1' })).body;
        return (
          order.status === 'SHIPPED' &&
          order.downstream.push.length === 1 &&
          order.downstream.points &&
          order.downstream.coupons.rewardCoupon
        );
      },
      10_000,
      100,
    );
    assert.ok(done, JSON.stringify(order, null, 1));
    assert.deepEqual(
      order.history.map((h: { to: string }) => h.to),
      ['WAIT_PAY', 'PAID', 'SHIPPED'],
    );
    assert.equal(order.downstream.points.points, Math.floor(order.totalCents / 100));
    assert.equal(order.downstream.coupons.usedCoupon, 'WELCOME-user1');
    assert.ok(order.downstream.warehouse.trackingNo);
    const paidMessage = order.messages.find((m: Trace) => m.topic === Topics.ORDER_PAID && delivered(m));
    assert.ok(
      await waitUntil(
        async () => {
          const o = (await t.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user1' })).body;
          const m = o.messages.find((x: Trace) => x.topic === Topics.ORDER_PAID && delivered(x));
          return (
            m !== undefined &&
            ['push', 'warehouse', 'points', 'coupons'].every((g) => m.deliveries.some((d: any) => d.group === g && d.state === 'CONSUMED'))
          );
        },
        5_000,
        100,
      ),
      JSON.stringify(paidMessage),
    );
    const timeout = order.messages.find((m: { topic: string }) => m.topic === Topics.ORDER_TIMEOUT);
    assert.equal(timeout?.deliveries.find((d: any) => d.group === 'order-closer')?.state, 'SCHEDULED');
    // Relative to before: a deployment under test may have sold some already (a fresh app starts at 500 / 0 / 0).
    assert.deepEqual(await stockOf('SKU-1001'), {
      available: stockBefore.available - 2,
      reserved: stockBefore.reserved,
      sold: stockBefore.sold + 2,
    });
  });

  test('no oversell: 200 concurrent orders for 50 units end with exactly 50 reserved and 150 × 409', async () => {
    const before = await stockOf('SKU-1004');
    assert.deepEqual(before, { available: 50, reserved: 0, sold: 0 }, 'SKU-1004 as seeded: nothing else orders it');
    const users = Array.from({ length: 100 }, (_, i) => `user${i + 1}`);
    await Promise.all(users.map((u) => t.token(u)));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => place(users[i % 100], [{ skuId: 'SKU-1004', quantity: 1 }])));
    const created = results.filter((r) => r.status === 201).length;
    const refused = results.filter((r) => r.status === 409);
    assert.equal(created, 50);
    assert.equal(refused.length, 150);
    assert.equal(refused[0].body.error.code, 'STOCK_INSUFFICIENT');
    const sku = (await t.call('GET', '/api/skus')).body.find((s: { skuId: string }) => s.skuId === 'SKU-1004');
    assert.deepEqual(sku.stock, { available: 0, reserved: 50, sold: 0 });
  });

  test('users see and act on only their own orders', async () => {
    const mine = await place('user3', [{ skuId: 'SKU-1003', quantity: 1 }]);
    assert.equal((await t.call('GET', `/api/orders/${mine.body.orderId}`, { as: 'user4' })).status, 404);
    assert.equal((await t.call('POST', `/api/orders/${mine.body.orderId}/pay`, { as: 'user4', body: {} })).status, 404);
    assert.equal(
      (await t.call('POST', '/api/orders', { as: 'user4', body: { userId: 'user3', items: [{ skuId: 'SKU-1003', quantity: 1 }] } })).status,
      403,
    );
    const list = await t.call('GET', '/api/orders?limit=100', { as: 'user4' });
    assert.ok(list.body.orders.every((o: { orderId: string }) => o.orderId !== mine.body.orderId));
    assert.equal((await t.call('GET', '/api/orders')).status, 401);
  });

  test('cancel gives the stock and the coupon back; paying a cancelled order is a 409 that changes nothing', async () => {
    const before = (await t.call('GET', '/api/skus')).body.find((s: { skuId: string }) => s.skuId === 'SKU-1002').stock;
    const placed = await place('user5', [{ skuId: 'SKU-1002', quantity: 3 }], 'WELCOME-user5');
    assert.equal(placed.status, 201);
    const cancelled = await t.call('POST', `/api/orders/${placed.body.orderId}/cancel`, { as: 'user5' });
    assert.deepEqual(cancelled.body, { orderId: placed.body.orderId, status: 'CANCELLED' });
    const after = (await t.call('GET', '/api/skus')).body.find((s: { skuId: string }) => s.skuId === 'SKU-1002').stock;
    assert.deepEqual(after, before);
    const pay = await t.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user5', body: {} });
    assert.equal(pay.status, 409);
    assert.equal(pay.body.error.code, 'INVALID_STATE');
    const again = await place('user5', [{ skuId: 'SKU-1002', quantity: 1 }], 'WELCOME-user5');
    assert.equal(again.status, 201, 'the coupon is usable again');
  });

  test('bad input gets a 4xx with {error:{code,message}} and changes nothing', async () => {
    const before = (await t.call('GET', '/api/skus')).body;
    const cases = [
      await place('user6', [{ skuId: 'SKU-1001', quantity: 0 }]),
      await place('user6', []),
      await place('user6', [{ skuId: 'NOPE', quantity: 1 }]),
      await place('user6', [{ skuId: 'SKU-1001', quantity: 1 }], 'WELCOME-user7'),
      await t.call('POST', '/api/orders/NOPE/pay', { as: 'user6', body: {} }),
      await t.call('POST', '/api/auth/login', { body: { userId: 'user6', password: 'wrong' } }),
      await t.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { latencyMs: -5 } }),
      await t.call('PUT', '/api/admin/third-parties/sms', { as: 'user6', body: { latencyMs: 5 } }),
    ];
    assert.deepEqual(
      cases.map((c) => c.status),
      [400, 400, 404, 409, 404, 401, 400, 403],
    );
    for (const c of cases) {
      assert.equal(typeof c.body.error.code, 'string');
      assert.equal(typeof c.body.error.message, 'string');
      assert.ok(!JSON.stringify(c.body).includes('    at '), 'no stack trace');
    }
    assert.deepEqual((await t.call('GET', '/api/skus')).body, before);
  });

  test('consumers are idempotent: the same order_paid delivered twice has one effect in every system', {
    skip: inProcessOnly("it sends the duplicate with the app's broker client and reads the SMS simulator's counters"),
  }, async () => {
    const placed = await place('user8', [{ skuId: 'SKU-1001', quantity: 2 }]);
    await t.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user8', body: {} });
    const details = async () => (await t.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user8' })).body;
    assert.ok(
      await waitUntil(async () => (await details()).status === 'SHIPPED' && (await details()).downstream.push.length === 1, 10_000, 100),
    );
    const smsBefore = (await t.app.thirdParties?.stats('sms'))?.successes ?? 0;
    const first = await details();
    // Deliver the same event again, as a redelivery would.
    const trace = first.messages.find((m: Trace) => m.topic === Topics.ORDER_PAID && delivered(m));
    const producer = await t.app.mq.producer({ group: 'test-duplicator', transactionChecker: () => 'COMMIT' });
    const event = {
      orderId: placed.body.orderId,
      userId: 'user8',
      phone: '+15550000008',
      paymentId: first.paymentId,
      totalCents: first.totalCents,
      couponId: null,
      items: first.items,
      paidAt: Date.now(),
    };
    await sendLikeTheOrderSystem(t.app.mq, producer, {
      topic: Topics.ORDER_PAID,
      tag: 'PAID',
      keys: [placed.body.orderId],
      body: JSON.stringify(event),
    });
    assert.ok(
      await waitUntil(
        async () => {
          const all = (await t.app.mq.admin.findMessagesByKey(Topics.ORDER_PAID, placed.body.orderId)).filter(delivered);
          return (
            all.length === 2 &&
            all.every((m) =>
              m.deliveries.filter((d) => ['push', 'warehouse', 'points', 'coupons'].includes(d.group)).every((d) => d.state === 'CONSUMED'),
            )
          );
        },
        10_000,
        100,
      ),
      `first trace ${JSON.stringify(trace)}`,
    );
    const second = await details();
    assert.deepEqual(second.downstream, first.downstream, 'no second SMS, shipment, points grant or reward coupon');
    assert.deepEqual(second.history, first.history);
    assert.equal((await t.app.thirdParties?.stats('sms'))?.successes, smsBefore, 'the SMS vendor was not called again');
    await producer.close();
  });
}
