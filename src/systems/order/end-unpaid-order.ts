import { AppError, ErrorCode, notFound } from '../../errors.js';
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

/** What a shipment report answers: the order's status now and the tracking number it shipped under. */
export interface ShipmentReport {
  orderId: string;
  status: OrderStatus;
  trackingNo: string;
  /** True when the order had been reported shipped before (a repeated report, as at-least-once delivery makes). */
  alreadyShipped: boolean;
}

/**
 * The warehouse reports the shipment (the order system's public API): PAID → SHIPPED. Idempotent, because the
 * warehouse's delivery is at least once: a report repeated with the same tracking number answers as the first
 * did, whatever the order became since (a shipped order may be refunding). Refused, changing nothing: an unknown
 * order (404 ORDER_NOT_FOUND), one never paid or that left PAID without shipping — refunded first — (409
 * INVALID_STATE: there is nothing to ship), and one shipped under another tracking number (409 CONFLICT).
 */
export async function markShipped(ctx: OrderContext, orderId: string, trackingNo: string): Promise<ShipmentReport> {
  // Two rounds at most: a first guarded update that finds the order not PAID, then a read that finds it PAID, means
  // it was paid in between, and the second update wins or another report did.
  for (let round = 0; round < 2; round++) {
    // A transaction: the status, its history row and its changelog outbox row commit together.
    const won = await ctx.transact((trx) =>
      transition(trx, orderId, OrderStatus.PAID, OrderStatus.SHIPPED, ctx.clock(), { tracking_no: trackingNo }, `tracking ${trackingNo}`),
    );
    if (won) {
      ctx.wakeRelays();
      return { orderId, status: OrderStatus.SHIPPED, trackingNo, alreadyShipped: false };
    }
    const order = await findOrder(ctx.database.db, orderId);
    if (!order) throw notFound('order', orderId);
    if (order.tracking_no !== null) {
      if (order.tracking_no !== trackingNo) {
        throw new AppError(ErrorCode.CONFLICT, `order '${orderId}' was shipped under another tracking number`, {
          details: { orderId, trackingNo: order.tracking_no },
        });
      }
      return { orderId, status: order.status, trackingNo, alreadyShipped: true };
    }
    assertTransition(orderId, order.status, OrderStatus.SHIPPED);
  }
  throw new AppError(ErrorCode.CONFLICT, `order '${orderId}' changed while its shipment was being recorded: report it again`, {
    details: { orderId },
    retriable: true,
  });
}
