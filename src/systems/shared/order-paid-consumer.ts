import type { Logger } from 'pino';
import type { ConsumingMessaging, PushConsumer } from '../../mq/index.js';
import { type OrderPaidEvent, Topics } from './topics.js';

/**
 * Consumers that mostly wait for a vendor need many messages in flight to keep up: at 100 ms a
 * call, 256 in flight is ~2,500 messages/s; waiting costs no CPU.
 */
export const VENDOR_BOUND_CONCURRENCY = 256;

/**
 * Subscribes a downstream system's handler to `order_paid` under its own consumer group. A throw
 * (a vendor down, a timeout) becomes RETRY_LATER, so the MQ retries with back-off and, past the
 * retries, dead-letters the message where an admin can see and replay it.
 */
export function consumeOrderPaid(
  mq: ConsumingMessaging,
  group: string,
  handle: (event: OrderPaidEvent) => Promise<void>,
  logger: Logger,
  concurrency = 32,
): Promise<PushConsumer> {
  return mq.pushConsumer({
    group,
    subscriptions: { [Topics.ORDER_PAID]: '*' },
    concurrency,
    listener: async (message) => {
      const event = JSON.parse(message.body.toString()) as OrderPaidEvent;
      try {
        await handle(event);
        return 'SUCCESS';
      } catch (error) {
        logger.warn(
          { err: error, orderId: event.orderId, attempt: message.deliveryAttempt },
          `${group}: handling order_paid failed, will retry`,
        );
        return 'RETRY_LATER';
      }
    },
  });
}
