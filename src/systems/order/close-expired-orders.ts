import type { ConsumeResult, MessageView } from '../../mq/index.js';
import type { OrderContext } from './context.js';
import { endUnpaidOrder } from './end-unpaid-order.js';
import { findOrder } from './repository.js';
import { OrderStatus } from './states.js';

/** A timeout message this early is waited out in the listener rather than retried (a retry takes ≥ 10 s). */
export const MAX_EARLY_WAIT_MS = 2_000;

/** How long after the timeout message was sent a missing order may still be committing. */
export const ORDER_COMMIT_GRACE_MS = 60_000;

/**
 * Closing expired orders without scanning (docs/architecture.md, "Order states"): the `order_timeout` message of an order
 * arrives at its pay deadline and only that one order is looked at. Paid or cancelled orders
 * make it a no-op; redelivery is harmless (the guarded update lets one close win).
 */
export async function onOrderTimeout(ctx: OrderContext, message: MessageView): Promise<ConsumeResult> {
  const { orderId } = JSON.parse(message.body.toString()) as { orderId: string };
  const order = await findOrder(ctx.database.db, orderId);
  // The message is sent just before the order's commit: an order not there yet may still be
  // committing (give it a minute); after that it never was (its placement failed).
  if (!order) return ctx.clock() - message.bornAt.getTime() < ORDER_COMMIT_GRACE_MS ? 'RETRY_LATER' : 'SUCCESS';
  if (order.status === OrderStatus.CLOSED || order.status === OrderStatus.CANCELLED) {
    // A redelivery after a crash between the close and the coupon's release: release again (guarded).
    if (order.coupon_id) await ctx.coupons.release(orderId);
    return 'SUCCESS';
  }
  if (order.status !== OrderStatus.WAIT_PAY) return 'SUCCESS';
  const early = Number(order.pay_deadline) - ctx.clock();
  if (early > MAX_EARLY_WAIT_MS) return 'RETRY_LATER'; // far too early: clocks disagree; look again later
  if (early > 0) await new Promise((resolve) => setTimeout(resolve, early)); // a little early (RocketMQ's 1 s timer): wait it out
  await endUnpaidOrder(ctx, orderId, OrderStatus.CLOSED, 'pay deadline passed');
  return 'SUCCESS';
}

const SCAN_BATCH = 500;

/**
 * The old way (ORDERFLOW_CLOSE=scan), kept for comparison: every interval, query unpaid orders
 * past their deadline and close them. Its cost grows with the orders table; the delayed message
 * looks at one order each. Returns how many it closed.
 */
export async function closeExpiredByScan(ctx: OrderContext): Promise<number> {
  const due = await ctx.database.db
    .selectFrom('orders')
    .select('order_id')
    .where('status', '=', OrderStatus.WAIT_PAY)
    .where('pay_deadline', '<=', ctx.clock())
    .limit(SCAN_BATCH)
    .execute();
  let closed = 0;
  for (const { order_id } of due) {
    try {
      if (await endUnpaidOrder(ctx, order_id, OrderStatus.CLOSED, 'pay deadline passed (scan)')) closed++;
    } catch (error) {
      ctx.logger.error({ err: error, orderId: order_id }, 'closing an expired order failed; the next scan tries again');
    }
  }
  return closed;
}
