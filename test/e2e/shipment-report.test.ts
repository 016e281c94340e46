import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Topics } from '../../src/systems/shared/topics.js';
import { sendLikeTheOrderSystem, startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

/**
 * `POST /api/admin/orders/:id/shipped`, the route the warehouse reports shipments through from another process:
 * 404 for an unknown order, 409 for one there is nothing to ship for, idempotent for a repeated report (the
 * warehouse's delivery is at least once), and never a change to an order it refuses.
 */
describe('shipment reports', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t?.stop());

  const report = (orderId: string, trackingNo: string) =>
    t.call('POST', `/api/admin/orders/${encodeURIComponent(orderId)}/shipped`, { as: 'admin', body: { trackingNo } });
  const order = async (orderId: string, user = 'user1') => (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body;
  const place = async (user: string) => {
    const placed = await t.call('POST', '/api/orders', { as: user, body: { userId: user, items: [{ skuId: 'SKU-1003', quantity: 1 }] } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    return placed.body.orderId as string;
  };

  test('an unknown order: 404 ORDER_NOT_FOUND', async () => {
    const res = await report('NO-SUCH-ORDER', 'T-1');
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'ORDER_NOT_FOUND');
  });

  test('an unpaid order, and a cancelled one: 409 INVALID_STATE, the order unchanged', async () => {
    const unpaid = await place('user1');
    const res = await report(unpaid, 'T-2');
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'INVALID_STATE');
    const after = await order(unpaid);
    assert.equal(after.status, 'WAIT_PAY');
    assert.equal(after.trackingNo, null);
    assert.equal((await t.call('POST', `/api/orders/${unpaid}/cancel`, { as: 'user1', body: {} })).status, 200);
    assert.equal((await report(unpaid, 'T-2')).status, 409);
    assert.equal((await order(unpaid)).status, 'CANCELLED');
  });

  test('a shipped order reported again: 200 with the same tracking number (at-least-once delivery), 409 CONFLICT with another', async () => {
    const orderId = await t.placePaidOrder('user2', 'SKU-1003', 1);
    assert.ok(await waitUntil(async () => (await order(orderId, 'user2')).status === 'SHIPPED', 15_000, 50), 'the warehouse ships it');
    const { trackingNo } = await order(orderId, 'user2');
    const again = await report(orderId, trackingNo);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { orderId, status: 'SHIPPED', trackingNo, alreadyShipped: true });
    const other = await report(orderId, 'SOMEONE-ELSES');
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'CONFLICT');
    assert.equal((await order(orderId, 'user2')).trackingNo, trackingNo);
  });

  /** The warehouse's backlog on order_paid: settled when nothing is waiting or in flight. */
  const warehouseSettled = async () => {
    const queues = (await t.call('GET', '/api/admin/queues', { as: 'admin' })).body.queues as {
      topic: string;
      group: string;
      backlog: number;
      inFlight: number;
    }[];
    const warehouse = queues.find((q) => q.topic === 'order_paid' && q.group === 'warehouse');
    return warehouse !== undefined && warehouse.backlog === 0 && warehouse.inFlight === 0;
  };

  test('an order_paid for an order the order system does not know: the warehouse settles it instead of retrying it into the DLQ', async () => {
    const producer = await t.app.mq.producer({ group: 'test-stray-order-paid', transactionChecker: () => 'COMMIT' });
    try {
      const orderId = 'O-NOT-IN-THIS-DATABASE';
      const body = JSON.stringify({
        orderId,
        userId: 'user9',
        phone: '+15550000009',
        paymentId: 'P-1',
        totalCents: 100,
        couponId: null,
        items: [{ skuId: 'SKU-1003', quantity: 1, priceCents: 100 }],
        paidAt: Date.now(),
      });
      await sendLikeTheOrderSystem(t.app.mq, producer, { topic: Topics.ORDER_PAID, keys: [orderId], body });
      assert.ok(await waitUntil(async () => (await t.app.mq.admin.findMessagesByKey(Topics.ORDER_PAID, orderId)).length === 1, 5_000, 50));
      assert.ok(await waitUntil(warehouseSettled, 15_000, 100), 'settled, not retried');
      const dlq = (await t.call('GET', '/api/admin/dlq?group=warehouse', { as: 'admin' })).body as unknown[];
      assert.deepEqual(dlq, []);
    } finally {
      await producer.close();
    }
  });

  test('an order refunded before it shipped: 409 for a report, and the warehouse, once its logistics company answers, drops its shipment report instead of retrying it', async () => {
    const down = await t.call('PUT', '/api/admin/third-parties/logistics', { as: 'admin', body: { down: true } });
    assert.equal(down.status, 200, JSON.stringify(down.body));
    let orderId = '';
    try {
      orderId = await t.placePaidOrder('user3', 'SKU-1003', 1);
      const refund = await t.call('POST', `/api/orders/${orderId}/refund`, { as: 'user3', body: {} });
      assert.equal(refund.status, 202, JSON.stringify(refund.body));
      assert.ok(await waitUntil(async () => (await order(orderId, 'user3')).status === 'REFUNDED', 15_000, 50), 'refunded');
      const res = await report(orderId, 'T-REFUNDED');
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'INVALID_STATE');
    } finally {
      await t.call('PUT', '/api/admin/third-parties/logistics', { as: 'admin', body: { down: false } });
    }
    // The warehouse books the shipment on its next try, is told the order cannot ship, and settles the message.
    assert.ok(
      await waitUntil(async () => (await order(orderId, 'user3')).downstream?.warehouse != null, 30_000, 100),
      'the warehouse booked it',
    );
    const settled = await waitUntil(warehouseSettled, 15_000, 100);
    assert.ok(settled, 'the order_paid message is settled, not retried');
    const final = await order(orderId, 'user3');
    assert.equal(final.status, 'REFUNDED');
    assert.equal(final.trackingNo, null);
  });
});
