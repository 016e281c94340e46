import { randomBytes } from 'node:crypto';
import { AppError, ErrorCode, internalError, notFound } from '../../errors.js';
import type { MessageView, TransactionResolution } from '../../mq/index.js';
import { type OrderRefundEvent, Tags, Topics } from '../shared/topics.js';
import type { OrderContext } from './context.js';
import { type QueuedMessage, queueMessage } from './message-outbox.js';
import { surplusRefundRecorded } from './payments.js';
import { findOrder, type OrderRow, transition } from './repository.js';
import { REFUND_TEXT_MAX } from './refund-schema.js';
import { assertTransition, OrderStatus } from './states.js';

export interface RefundAnswer {
  orderId: string;
  status: OrderStatus;
  refundId: string;
}

/** The statuses of an order whose refund was accepted: asking again is answered, not refused. */
export const REFUND_STATUSES: readonly OrderStatus[] = [OrderStatus.REFUNDING, OrderStatus.REFUNDED, OrderStatus.REFUND_FAILED];

/** PAID → SHIPPED may overtake a refund request once; more lost races than this mean something is wrong. */
const MAX_TRANSITION_RACES = 3;

/** Sortable refund ids, like order ids: time first, then randomness. Also the provider's idempotency key. */
export function newRefundId(now: number): string {
  return `R${now.toString(36).toUpperCase().padStart(9, '0')}${randomBytes(5).toString('hex').toUpperCase()}`;
}

/**
 * Refunds that cannot fail half-way. The `order_refund` half message is stored (or, with the message
 * outbox, queued as a row of the same local transaction), then
 * ONE local transaction makes the order REFUNDING and records the refund; the message is committed
 * only if that transaction committed — never a REFUNDING order without its message (stuck), never
 * a message for an order that is not being refunded (money paid back for nothing). The refund
 * worker then pays the money back, retrying; the order ends REFUNDED (or REFUND_FAILED, replayable).
 *
 * Idempotent: asking again answers the refund already accepted, with the order's current status.
 */
export async function refundOrder(ctx: OrderContext, userId: string, orderId: string, reason?: string): Promise<RefundAnswer> {
  for (let race = 0; race < MAX_TRANSITION_RACES; race++) {
    const order = await findOrder(ctx.database.db, orderId);
    if (!order || order.user_id !== userId) throw notFound('order', orderId);
    if (REFUND_STATUSES.includes(order.status)) return accepted(ctx, order);
    assertTransition(orderId, order.status, OrderStatus.REFUNDING); // 409 for an unpaid, closed, completed … order
    const event = refundEvent(ctx, order, reason);
    if (await requestRefund(ctx, order.status, event)) return { orderId, status: OrderStatus.REFUNDING, refundId: event.refundId };
    // Lost a race: the warehouse shipped it meanwhile, or a concurrent request refunded it. Look again.
  }
  throw new AppError(ErrorCode.CONFLICT, `order ${orderId} kept changing while its refund was requested; try again`, { retriable: true });
}

/** The check-back of `order_refund` half messages: committed iff that refund was recorded and the order is being (or was) refunded. */
export async function checkRefund(ctx: OrderContext, message: MessageView): Promise<TransactionResolution> {
  const event = JSON.parse(message.body.toString()) as OrderRefundEvent;
  const db = ctx.database.db;
  const refund = await db.selectFrom('order_refunds').select('order_id').where('refund_id', '=', event.refundId).executeTakeFirst();
  // A surplus payment's refund (payments.ts): committed iff the payment was claimed for it.
  if (!refund) return (await surplusRefundRecorded(ctx, event.refundId)) ? 'COMMIT' : 'ROLLBACK';
  if (refund.order_id !== event.orderId) return 'ROLLBACK';
  const order = await findOrder(db, event.orderId);
  return order && REFUND_STATUSES.includes(order.status) ? 'COMMIT' : 'ROLLBACK';
}

async function requestRefund(ctx: OrderContext, from: OrderStatus, event: OrderRefundEvent): Promise<boolean> {
  const message = { topic: Topics.ORDER_REFUND, tag: Tags.REFUND, keys: [event.refundId, event.orderId], body: JSON.stringify(event) };
  // With the message outbox the message is a row of the local transaction itself (see pay-order.ts).
  if (ctx.config.orderMessages === 'outbox') return markRefunding(ctx, from, event, message);
  let failure: unknown;
  const result = await ctx.producer().sendInTransaction(message, async (): Promise<TransactionResolution> => {
    try {
      return (await markRefunding(ctx, from, event)) ? 'COMMIT' : 'ROLLBACK';
    } catch (error) {
      failure = error; // the local transaction rolled back: so does the message
      return 'ROLLBACK';
    }
  });
  if (failure) throw failure;
  return result.resolution === 'COMMIT';
}

async function markRefunding(
  ctx: OrderContext,
  from: OrderStatus,
  event: OrderRefundEvent,
  outboxMessage?: QueuedMessage,
): Promise<boolean> {
  const note = `refund ${event.refundId} requested${event.reason ? `: ${event.reason}` : ''}`.slice(0, REFUND_TEXT_MAX);
  const won = await ctx.transact(async (trx) => {
    if (!(await transition(trx, event.orderId, from, OrderStatus.REFUNDING, event.requestedAt, {}, note))) return false;
    await trx
      .insertInto('order_refunds')
      .values({
        refund_id: event.refundId,
        order_id: event.orderId,
        amount_cents: event.amountCents,
        reason: event.reason,
        requested_at: event.requestedAt,
        provider_refund_id: null,
        refunded_at: null,
        last_error: null,
      })
      .execute();
    if (outboxMessage) await queueMessage(trx, outboxMessage, event.requestedAt);
    return true;
  });
  if (won) ctx.wakeRelays(); // committed: the change stream publishes REFUNDING now
  return won;
}

async function accepted(ctx: OrderContext, order: OrderRow): Promise<RefundAnswer> {
  const refund = await ctx.database.db
    .selectFrom('order_refunds')
    .select('refund_id')
    .where('order_id', '=', order.order_id)
    .executeTakeFirst();
  if (!refund) throw internalError(`order ${order.order_id} is ${order.status} without a refund record`); // a bug: they commit together
  return { orderId: order.order_id, status: order.status, refundId: refund.refund_id };
}

function refundEvent(ctx: OrderContext, order: OrderRow, reason: string | undefined): OrderRefundEvent {
  const now = ctx.clock();
  return {
    refundId: newRefundId(now),
    orderId: order.order_id,
    userId: order.user_id,
    paymentId: order.payment_id ?? `PAY-${order.order_id}`,
    amountCents: Number(order.total_cents),
    reason: reason ? reason.slice(0, REFUND_TEXT_MAX) : null,
    requestedAt: now,
  };
}
