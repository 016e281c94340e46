import type { OrderContext } from './context.js';
import { completeSurplusRefund, failSurplusRefund, surplusRefundStatus } from './payments.js';
import { findOrder, restock, transition } from './repository.js';

/** No order refund has this id: it may be a surplus payment's. */
const SURPLUS = Symbol('surplus payment refund');
import { REFUND_TEXT_MAX } from './refund-schema.js';
import { OrderStatus } from './states.js';

/**
 * The order system's public API for the refund worker: it reports what the payment provider did,
 * and the order system alone changes the order. Every call is idempotent (guarded transitions),
 * because the worker's messages are delivered at least once and may be replayed from the DLQ.
 */

/** The order's status for this refund, or undefined if the order system recorded no such refund. */
export async function refundStatus(ctx: OrderContext, refundId: string): Promise<OrderStatus | undefined> {
  const row = await ctx.database.db
    .selectFrom('order_refunds')
    .innerJoin('orders', 'orders.order_id', 'order_refunds.order_id')
    .select('orders.status')
    .where('order_refunds.refund_id', '=', refundId)
    .executeTakeFirst();
  return row ? row.status : surplusRefundStatus(ctx, refundId);
}

/**
 * The provider paid the money back: REFUNDING (or REFUND_FAILED, after a DLQ replay) → REFUNDED,
 * the sold stock goes back to available, the provider's id is recorded — in one transaction, so
 * the stock comes back exactly once however often this is called. Returns the order's status.
 */
export async function completeRefund(
  ctx: OrderContext,
  refundId: string,
  providerRefundId: string | null,
): Promise<OrderStatus | undefined> {
  const now = ctx.clock();
  const status = await ctx.transact(async (trx) => {
    const refund = await trx.selectFrom('order_refunds').select('order_id').where('refund_id', '=', refundId).executeTakeFirst();
    if (!refund) return SURPLUS;
    const note = `refund ${refundId} paid back${providerRefundId ? ` (${providerRefundId})` : ' (nothing to pay)'}`;
    for (const from of [OrderStatus.REFUNDING, OrderStatus.REFUND_FAILED]) {
      if (!(await transition(trx, refund.order_id, from, OrderStatus.REFUNDED, now, {}, note))) continue;
      await restock(trx, refund.order_id);
      await trx
        .updateTable('order_refunds')
        .set({ provider_refund_id: providerRefundId, refunded_at: now, last_error: null })
        .where('refund_id', '=', refundId)
        .execute();
      return OrderStatus.REFUNDED;
    }
    return (await findOrder(trx, refund.order_id))?.status;
  });
  ctx.wakeRelays(); // committed: the change stream publishes the new status now (a no-op if nothing changed)
  // Not an order's refund: a surplus payment's (payments.ts), which changes the payment, never the order.
  return status === SURPLUS ? completeSurplusRefund(ctx, refundId, providerRefundId) : status;
}

/**
 * The refund could not be made (retries exhausted, or the provider refused it): REFUNDING →
 * REFUND_FAILED, visibly, with the reason. The message sits in the DLQ; replaying it after the
 * provider recovers ends the order REFUNDED. A no-op if the order is not REFUNDING any more.
 */
export async function failRefund(ctx: OrderContext, refundId: string, reason: string): Promise<OrderStatus | undefined> {
  const now = ctx.clock();
  const error = reason.slice(0, REFUND_TEXT_MAX);
  const result = await ctx.transact(async (trx) => {
    const refund = await trx.selectFrom('order_refunds').select('order_id').where('refund_id', '=', refundId).executeTakeFirst();
    if (!refund) return SURPLUS;
    const note = `refund ${refundId} failed: ${error}`.slice(0, REFUND_TEXT_MAX);
    await transition(trx, refund.order_id, OrderStatus.REFUNDING, OrderStatus.REFUND_FAILED, now, {}, note);
    const status = (await findOrder(trx, refund.order_id))?.status;
    // Also when it was REFUND_FAILED already (a replay failed again): the operator sees the latest cause.
    if (status === OrderStatus.REFUND_FAILED)
      await trx.updateTable('order_refunds').set({ last_error: error }).where('refund_id', '=', refundId).execute();
    return status;
  });
  ctx.wakeRelays();
  return result === SURPLUS ? failSurplusRefund(ctx, refundId, error) : result;
}

/** What the order view shows about its refund (null when none was requested). */
export async function refundView(ctx: OrderContext, orderId: string) {
  const row = await ctx.database.db.selectFrom('order_refunds').selectAll().where('order_id', '=', orderId).executeTakeFirst();
  if (!row) return null;
  return {
    refundId: row.refund_id,
    amountCents: Number(row.amount_cents),
    reason: row.reason,
    requestedAt: new Date(Number(row.requested_at)).toISOString(),
    providerRefundId: row.provider_refund_id,
    refundedAt: row.refunded_at === null ? null : new Date(Number(row.refunded_at)).toISOString(),
    lastError: row.last_error,
  };
}
