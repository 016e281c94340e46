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
