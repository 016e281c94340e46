import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Database, openDatabase } from '../../src/db/index.js';
import type { Producer } from '../../src/mq/index.js';
import type { OrderDB } from '../../src/systems/order/index.js';
import { Topics } from '../../src/systems/shared/topics.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { embeddedStore } from '../support/embedded-store.js';
import { unique, waitUntil } from '../support/wait.js';

// The order system's producer group (src/systems/order/order-system.ts): the broker asks its transactionChecker,
// checkPaid for order_paid, about a half message whose end never came.
const ORDER_PRODUCER_GROUP = 'order-system';
// The embedded broker checks a half message back once it is 6 s old, every 5 s (src/mq/embedded/options.ts).
const CHECK_BACK_MS = 20_000;

/**
 * checkPaid, asked by the real broker: a half `order_paid` message is sent into the running app's broker in the
 * order system's producer group and left UNKNOWN, as a pay whose end was lost leaves it; the check-back must
 * commit it exactly when the order was paid by that payment, and roll it back otherwise.
 */
for (const db of ['sqlite', 'mysql'] as const) {
  describe(`the pay check-back (checkPaid) on ${db === 'sqlite' ? 'SQLite' : 'MariaDB/MySQL'}`, {
    skip: db === 'mysql' && !process.env.MYSQL_URL ? 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)' : false,
  }, () => {
    let t: TestApp;
    let producer: Producer;
    let paidEvent: Record<string, unknown>;
    let paidOrderId: string;
    let orders: Database<OrderDB>;
    before(async () => {
      t = await startTestApp({}, db);
      // A connection of the test's own to the order database, for the local transaction of a half message it sends.
      orders = await openDatabase<OrderDB>({ url: t.app.config.db, dataDir: t.app.config.dataDir, system: 'order' });
      // No checker of its own: the broker asks the order system's (the only one of the group).
      producer = await t.app.mq.producer({ group: ORDER_PRODUCER_GROUP, topics: [Topics.ORDER_PAID] });
      paidOrderId = await t.placePaidOrder('user1', 'SKU-1001', 1);
      paidEvent = await paidMessageOf(t, paidOrderId);
    });
    after(async () => {
      await orders?.close();
      await producer?.close();
      await t?.stop();
    });

    /** Sends `body` as a half order_paid message whose local transaction answers UNKNOWN; waits for the check-back's decision. */
    async function leftToTheCheckBack(
      body: Record<string, unknown>,
      localTransaction: (halfMessageId: string) => Promise<void> = async () => {},
    ): Promise<'COMMIT' | 'ROLLBACK'> {
      const store = embeddedStore(t.app.config.dataDir);
      const { messageId } = await producer.sendInTransaction(
        { topic: Topics.ORDER_PAID, keys: [String(body.orderId)], body: JSON.stringify(body) },
        async (half) => (await localTransaction(half.messageId), 'UNKNOWN' as const),
      );
      assert.ok(store.halfMessages(Topics.ORDER_PAID).includes(messageId), 'the half message waits for its end');
      assert.ok(
        await waitUntil(() => !store.halfMessages(Topics.ORDER_PAID).includes(messageId), CHECK_BACK_MS, 100),
        'the check-back never settled the half message',
      );
      return store.isStored(messageId) ? 'COMMIT' : 'ROLLBACK';
    }

    test('COMMIT: the half message whose local transaction paid the order (by that payment) is committed', async () => {
      const placed = await t.call('POST', '/api/orders', {
        as: 'user3',
        body: { userId: 'user3', items: [{ skuId: 'SKU-1001', quantity: 1 }] },
      });
      assert.equal(placed.status, 201);
      const orderId: string = placed.body.orderId;
      const event = { ...paidEvent, orderId, userId: 'user3', paymentId: `pi_test_${orderId}` };
      // What the pay's local transaction records (src/systems/order/pay-order.ts, markPaid), done here by the test.
      const pay = async (halfMessageId: string) => {
        const paid = await orders.db
          .updateTable('orders')
          .set({ status: 'PAID' as never, payment_id: event.paymentId, paid_message_id: halfMessageId })
          .where('order_id', '=', orderId)
          .where('status', '=', 'WAIT_PAY' as never)
          .executeTakeFirst();
        assert.equal(Number(paid.numUpdatedRows), 1);
      };
      assert.equal(await leftToTheCheckBack(event, pay), 'COMMIT');
    });

    test('ROLLBACK: another half message of the payment that paid the order (a settle that lost the race) is rolled back', async () => {
      // The pay of paidOrderId committed its own half message; this one carries the same order and payment.
      assert.equal(await leftToTheCheckBack(paidEvent), 'ROLLBACK');
    });

    test('ROLLBACK: for an order still unpaid, an order paid by another payment, and an order that does not exist', async () => {
      const placed = await t.call('POST', '/api/orders', {
        as: 'user2',
        body: { userId: 'user2', items: [{ skuId: 'SKU-1001', quantity: 1 }] },
      });
      assert.equal(placed.status, 201);
      const unpaid = { ...paidEvent, orderId: placed.body.orderId, userId: 'user2', paymentId: `PAY-${placed.body.orderId}` };
      const otherPayment = { ...paidEvent, paymentId: `${String(paidEvent.paymentId)}-OTHER` };
      const noOrder = { ...paidEvent, orderId: 'NO-SUCH-ORDER' };
      const [a, b, c] = await Promise.all([leftToTheCheckBack(unpaid), leftToTheCheckBack(otherPayment), leftToTheCheckBack(noOrder)]);
      assert.deepEqual({ unpaid: a, otherPayment: b, noOrder: c }, { unpaid: 'ROLLBACK', otherPayment: 'ROLLBACK', noOrder: 'ROLLBACK' });
      const order = await t.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user2' });
      assert.equal(order.body.status, 'WAIT_PAY', 'a check-back changes no order');
    });
  });
}

/** The body of the order_paid message the pay of `orderId` sent (read by a consumer group of the test's own). */
async function paidMessageOf(t: TestApp, orderId: string): Promise<Record<string, unknown>> {
  const pull = await t.app.mq.pullConsumer({ group: unique('check-back-reader'), subscriptions: { [Topics.ORDER_PAID]: '*' } });
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      for (const m of await pull.receive(32, 500)) {
        await pull.ack(m);
        if (m.keys.includes(orderId)) return JSON.parse(m.body.toString()) as Record<string, unknown>;
      }
    }
    throw new Error(`no order_paid message for ${orderId}`);
  } finally {
    await pull.close();
  }
}
