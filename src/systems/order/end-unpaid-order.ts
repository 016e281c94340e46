import { notFound } from '../../errors.js';
import type { OrderContext } from './context.js';
import { findOrder, settleReservation, transition } from './repository.js';
import { assertTransition, OrderStatus } from './states.js';

/**
 * Ends an unpaid order — CANCELLED by its user or CLOSED at its pay deadline — giving its
 * reserved stock and its coupon back. Returns false if the order was not WAIT_PAY any more
 * (paid, or ended by the other path first): the guarded update lets only one win.
 */
export async function endUnpaidOrder(ctx: OrderContext, orderId: string, to: 'CANCELLED' | 'CLOSED', note: string): Promise<boolean> {
  const now = ctx.clock();
  const won = await ctx.transact(async (trx) => {
    if (!(await transition(trx, orderId, OrderStatus.WAIT_PAY, to, now, {}, note))) return false;
    await settleReservation(trx, orderId, 'released');
    const order = await trx.selectFrom('orders').select('coupon_id').where('order_id', '=', orderId).executeTakeFirst();
    return { couponId: order?.coupon_id ?? null };
  });
  if (!won) return false;
  ctx.wakeRelays();
  // After the commit (another system's database); a failure here is retried by the timeout
  // message's redelivery, which releases again for a CLOSED order (onOrderTimeout).
  if (won.couponId) await ctx.coupons.release(orderId);
  return true;
}

export async function cancelOrder(ctx: OrderContext, userId: string, orderId: string): Promise<{ orderId: string; status: string }> {
  const order = await findOrder(ctx.database.db, orderId);
  if (!order || order.user_id !== userId) throw notFound('order', orderId);
  if (order.status === OrderStatus.CANCELLED) return { orderId, status: order.status };
  assertTransition(orderId, order.status, OrderStatus.CANCELLED);
  if (!(await endUnpaidOrder(ctx, orderId, OrderStatus.CANCELLED, 'cancelled by the user'))) {
    const now = await findOrder(ctx.database.db, orderId);
    assertTransition(orderId, now?.status ?? order.status, OrderStatus.CANCELLED);
  }
  return { orderId, status: OrderStatus.CANCELLED };
}

/** The warehouse reports the shipment (the order system's public API): PAID → SHIPPED, idempotent. */
export async function markShipped(ctx: OrderContext, orderId: string, trackingNo: string): Promise<boolean> {
  // A transaction: the status, its history row and its changelog outbox row commit together.
  const won = await ctx.transact((trx) => transition(trx, orderId, OrderStatus.PAID, OrderStatus.SHIPPED, ctx.clock(), { tracking_no: trackingNo }, `tracking ${trackingNo}`));
  if (won) ctx.wakeRelays();
  return won;
}
