import type { Transaction } from 'kysely';
import { notFound } from '../../errors.js';
import type { MessageView, TransactionResolution } from '../../mq/index.js';
import { type OrderPaidEvent, Tags, Topics } from '../shared/topics.js';
import type { OrderContext } from './context.js';
import { type QueuedMessage, queueMessage } from './message-outbox.js';
import { PaymentSettledMeanwhile } from './payment-errors.js';
import { findItems, findOrder, type OrderItemRow, type OrderRow, settleReservation, transition } from './repository.js';
import type { OrderDB } from './schema.js';
import { OrderStatus } from './states.js';

export interface PaidOrder {
  orderId: string;
  status: OrderStatus;
}

/** The order's row and lines as the caller read them just before (each optional: what is missing is read). */
export interface KnownOrder {
  order?: OrderRow;
  items?: OrderItemRow[];
}

/** Runs inside the pay's local transaction: false rolls it back (the payment was settled meanwhile). */
export type PaymentClaim = (trx: Transaction<OrderDB>) => Promise<boolean>;

/**
 * The core flow, run once the payment provider has said a payment succeeded (payments.ts). Async design with
 * transactional messages (the default): the `order_paid` half message is stored, then ONE local transaction makes
 * the order PAID, turns its reserved stock into sold stock and claims the payment (`claim`: its outcome set, once);
 * the message is committed only if that transaction committed (no paid order without its message, no message for
 * an unpaid order). With the message outbox (ORDERFLOW_ORDER_MESSAGES=outbox) the message is a row of that same
 * transaction, published by the relay: the same guarantee, without the broker on the pay's path. Push, warehouse,
 * points and coupons react on their own.
 * Sync design (ORDERFLOW_FLOW=sync, the old way, for comparison): the same local transaction,
 * then every downstream system called inline — and through them the third parties.
 *
 * Returns false when the order was not WAIT_PAY any more or the claim failed: nothing was changed.
 */
export async function payWithPayment(
  ctx: OrderContext,
  orderId: string,
  paymentId: string,
  claim: PaymentClaim,
  known?: KnownOrder,
): Promise<boolean> {
  const started = performance.now();
  // Both reads at once: on MySQL that is one round trip of waiting instead of two (SQLite runs them at once anyway).
  // Rows the caller read already are not read again: a stale one only makes the guarded update below lose (false).
  const [order, items] = await Promise.all([
    known?.order ?? findOrder(ctx.database.db, orderId),
    known?.items ?? findItems(ctx.database.db, orderId),
  ]);
  if (!order) throw notFound('order', orderId);
  if (order.status !== OrderStatus.WAIT_PAY) return false;
  const event = paidEvent(ctx, order, paymentId, items);

  if (ctx.config.flow === 'sync') {
    if (!(await markPaid(ctx, event, claim))) return false;
    for (const handle of ctx.inline) await handle(event);
  } else if (ctx.config.orderMessages === 'outbox') {
    // The message is a row of the same transaction: the broker is not on the pay's path at all.
    if (!(await markPaid(ctx, event, claim, paidMessage(event)))) return false;
  } else {
    let failure: unknown;
    const result = await ctx.producer().sendInTransaction(paidMessage(event), async (half): Promise<TransactionResolution> => {
      try {
        return (await markPaid(ctx, event, claim, undefined, half.messageId)) ? 'COMMIT' : 'ROLLBACK';
      } catch (error) {
        failure = error; // the local transaction rolled back: so does the message
        return 'ROLLBACK';
      }
    });
    if (failure) throw failure;
    if (result.resolution !== 'COMMIT') return false;
  }
  ctx.metrics.ordersPaid.inc();
  ctx.metrics.payDuration.observe((performance.now() - started) / 1000);
  return true;
}

/**
 * The check-back of `order_paid` half messages: committed if and only if this half message's local transaction paid
 * the order. Several settles of one payment may each have stored a half message (the pay and the provider's callback
 * racing, a callback retried); only one local transaction wins, and after a crash that lost their ends the others
 * must not be committed as well. An order paid before the half message was recorded falls back to the payment.
 */
export async function checkPaid(ctx: OrderContext, message: MessageView): Promise<TransactionResolution> {
  const event = JSON.parse(message.body.toString()) as OrderPaidEvent;
  const order = await findOrder(ctx.database.db, event.orderId);
  if (!order || order.status === OrderStatus.WAIT_PAY || order.payment_id !== event.paymentId) return 'ROLLBACK';
  if (order.paid_message_id !== null && order.paid_message_id !== message.messageId) return 'ROLLBACK';
  return 'COMMIT';
}

/** The one message of a pay (the async design; the sync design sends none). */
function paidMessage(event: OrderPaidEvent): QueuedMessage {
  return { topic: Topics.ORDER_PAID, tag: Tags.PAID, keys: [event.orderId], body: JSON.stringify(event) };
}

/** The local transaction of a pay: PAID, reserved stock sold, and (outbox) the `order_paid` message queued — all or nothing. */
async function markPaid(
  ctx: OrderContext,
  event: OrderPaidEvent,
  claim: PaymentClaim,
  outboxMessage?: QueuedMessage,
  halfMessageId?: string,
): Promise<boolean> {
  const won = await ctx
    .transact(async (trx) => {
      const won = await transition(trx, event.orderId, OrderStatus.WAIT_PAY, OrderStatus.PAID, event.paidAt, {
        payment_id: event.paymentId,
        paid_message_id: halfMessageId,
      });
      if (!won) return false;
      // Rolls the whole transaction back: an error is the one way out of a shared (group) commit that undoes its writes.
      if (!(await claim(trx))) throw new PaymentSettledMeanwhile(event.paymentId);
      await settleReservation(
        trx,
        event.orderId,
        'sold',
        event.items.map((i) => ({ sku_id: i.skuId, quantity: i.quantity })),
      );
      if (outboxMessage) await queueMessage(trx, outboxMessage, event.paidAt);
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof PaymentSettledMeanwhile) return false;
      throw error;
    });
  if (won) ctx.wakeRelays();
  return won;
}

function paidEvent(ctx: OrderContext, order: OrderRow, paymentId: string, items: OrderItemRow[]): OrderPaidEvent {
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
