import { internalError, notFound } from '../../errors.js';
import type { MessageView, TransactionResolution } from '../../mq/index.js';
import { type OrderPaidEvent, Tags, Topics } from '../shared/topics.js';
import type { OrderContext } from './context.js';
import { type QueuedMessage, queueMessage } from './message-outbox.js';
import { findItems, findOrder, type OrderRow, settleReservation, transition } from './repository.js';
import { assertTransition, OrderStatus } from './states.js';

export interface PaidOrder {
  orderId: string;
  status: OrderStatus;
}

/**
 * The core flow. Async design with transactional messages (the default): the `order_paid` half
 * message is stored, then ONE local transaction makes the order PAID and turns its reserved stock
 * into sold stock; the message is committed only if that transaction committed (no paid order
 * without its message, no message for an unpaid order). With the message outbox
 * (ORDERFLOW_ORDER_MESSAGES=outbox) the message is a row of that same transaction, published by the
 * relay: the same guarantee, without the broker on the pay's path. Push, warehouse, points and
 * coupons react on their own.
 * Sync design (ORDERFLOW_FLOW=sync, the old way, for comparison): the same local transaction,
 * then every downstream system called inline — and through them the third parties.
 */
export async function payOrder(ctx: OrderContext, userId: string, orderId: string, paymentId?: string): Promise<PaidOrder> {
  const started = performance.now();
  // Both reads at once: on MySQL that is one round trip of waiting instead of two (SQLite runs them at once anyway).
  const [order, items] = await Promise.all([findOrder(ctx.database.db, orderId), findItems(ctx.database.db, orderId)]);
  if (!order || order.user_id !== userId) throw notFound('order', orderId);
  const payment = paymentId ?? `PAY-${orderId}`;
  if (order.status !== OrderStatus.WAIT_PAY) return alreadyPaid(order, payment);
  const event = paidEvent(ctx, order, payment, items);

  if (ctx.config.flow === 'sync') {
    if (!(await markPaid(ctx, event))) return alreadyPaid((await findOrder(ctx.database.db, orderId)) as OrderRow, payment);
    for (const handle of ctx.inline) await handle(event);
  } else if (ctx.config.orderMessages === 'outbox') {
    // The message is a row of the same transaction: the broker is not on the pay's path at all.
    if (!(await markPaid(ctx, event, paidMessage(event))))
      return alreadyPaid((await findOrder(ctx.database.db, orderId)) as OrderRow, payment);
  } else {
    let failure: unknown;
    const result = await ctx.producer().sendInTransaction(paidMessage(event), async (): Promise<TransactionResolution> => {
      try {
        return (await markPaid(ctx, event)) ? 'COMMIT' : 'ROLLBACK';
      } catch (error) {
        failure = error; // the local transaction rolled back: so does the message
        return 'ROLLBACK';
      }
    });
    if (failure) throw failure;
    if (result.resolution !== 'COMMIT') return alreadyPaid((await findOrder(ctx.database.db, orderId)) as OrderRow, payment);
  }
  ctx.metrics.ordersPaid.inc();
  ctx.metrics.payDuration.observe((performance.now() - started) / 1000);
  return { orderId, status: OrderStatus.PAID };
}

/** The check-back of `order_paid` half messages: committed if and only if the order was paid by that payment. */
export async function checkPaid(ctx: OrderContext, message: MessageView): Promise<TransactionResolution> {
  const event = JSON.parse(message.body.toString()) as OrderPaidEvent;
  const order = await findOrder(ctx.database.db, event.orderId);
  if (order && order.status !== OrderStatus.WAIT_PAY && order.payment_id === event.paymentId) return 'COMMIT';
  return 'ROLLBACK';
}

/** The one message of a pay (the async design; the sync design sends none). */
function paidMessage(event: OrderPaidEvent): QueuedMessage {
  return { topic: Topics.ORDER_PAID, tag: Tags.PAID, keys: [event.orderId], body: JSON.stringify(event) };
}

/** The local transaction of a pay: PAID, reserved stock sold, and (outbox) the `order_paid` message queued — all or nothing. */
async function markPaid(ctx: OrderContext, event: OrderPaidEvent, outboxMessage?: QueuedMessage): Promise<boolean> {
  const won = await ctx.transact(async (trx) => {
    const won = await transition(trx, event.orderId, OrderStatus.WAIT_PAY, OrderStatus.PAID, event.paidAt, { payment_id: event.paymentId });
    if (!won) return false;
    await settleReservation(
      trx,
      event.orderId,
      'sold',
      event.items.map((i) => ({ sku_id: i.skuId, quantity: i.quantity })),
    );
    if (outboxMessage) await queueMessage(trx, outboxMessage, event.paidAt);
    return true;
  });
  if (won) ctx.wakeRelays();
  return won;
}

/** A repeated pay with the same payment is answered like the first; anything else is a 409. */
function alreadyPaid(order: OrderRow, paymentId: string): PaidOrder {
  if (order.payment_id === paymentId && order.status !== OrderStatus.WAIT_PAY) return { orderId: order.order_id, status: order.status };
  assertTransition(order.order_id, order.status, OrderStatus.PAID);
  throw internalError('unreachable: WAIT_PAY can become PAID');
}

function paidEvent(ctx: OrderContext, order: OrderRow, paymentId: string, items: Awaited<ReturnType<typeof findItems>>): OrderPaidEvent {
  return {
    orderId: order.order_id,
    userId: order.user_id,
    phone: order.phone,
    paymentId,
    totalCents: Number(order.total_cents),
    couponId: order.coupon_id,
    items: items.map((i) => ({ skuId: i.sku_id, quantity: Number(i.quantity), priceCents: Number(i.price_cents) })),
    paidAt: ctx.clock(),
  };
}
