/** Test support for the outbox and relay tests: orders placed the way placeOrder writes them. */
import type { Database } from '../../db/index.js';
import { addHistory } from './repository.js';
import type { OrderDB } from './schema.js';
import { OrderStatus } from './states.js';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/** Inserts an order and its placing (history seq 1 + outbox row), as placeOrder does. */
export async function placeTestOrder(database: Database<OrderDB>, orderId: string, totalCents = 1_000, userId = 'u1'): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('orders')
      .values({
        order_id: orderId,
        user_id: userId,
        phone: '+1555',
        status: OrderStatus.WAIT_PAY,
        total_cents: totalCents,
        discount_cents: 0,
        coupon_id: null,
        payment_id: null,
        tracking_no: null,
        pay_deadline: T0 + 60_000,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await addHistory(trx, orderId, null, OrderStatus.WAIT_PAY, T0, null);
  });
}

export const outboxOf = (database: Database<OrderDB>, orderId: string) =>
  database.db
    .selectFrom('order_outbox')
    .select(['order_id', 'seq', 'from_status', 'to_status', 'at', 'user_id', 'total_cents'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
