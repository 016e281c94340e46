import type { ConsumeResult, MessageView } from '../../mq/index.js';
import type { OrderContext } from './context.js';
import { endUnpaidOrder } from './end-unpaid-order.js';
import { findOrder } from './repository.js';
import { OrderStatus } from './states.js';

/**
 * Closing expired orders without scanning (problem #3): the `order_timeout` message of an order
 * arrives at its pay deadline and only that one order is looked at. Paid or cancelled orders
 * make it a no-op; redelivery is harmless (the guarded update lets one close win).
 */
export async function onOrderTimeout(ctx: OrderContext, message: MessageView): Promise<ConsumeResult> {
  const { orderId } = JSON.parse(message.body.toString()) as { orderId: string };
  const order = await findOrder(ctx.database.db, orderId);
  if (!order || order.status !== OrderStatus.WAIT_PAY) return 'SUCCESS';
  if (ctx.clock() < Number(order.pay_deadline)) return 'RETRY_LATER'; // early (clock skew between machines)
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
  for (const { order_id } of due) if (await endUnpaidOrder(ctx, order_id, OrderStatus.CLOSED, 'pay deadline passed (scan)')) closed++;
  return closed;
}
