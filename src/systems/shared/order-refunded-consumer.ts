import type { Logger } from 'pino';
import type { ConsumingMessaging, PushConsumer } from '../../mq/index.js';
import { type OrderChangeEvent, Tags, Topics } from './topics.js';

/** Refunds are few: a handful in flight is plenty (one order's changes are delivered one at a time anyway, FIFO). */
export const REFUND_REVERSAL_CONCURRENCY = 8;

/**
 * Subscribes a downstream system's reversal to the change stream (`order_changelog`, FIFO per order)
 * under its own consumer group, filtered on the REFUNDED tag: the system hears of every completed
 * refund without the order system knowing it exists. At-least-once, so `handle` must be idempotent;
 * a throw is RETRY_LATER (retried in place: FIFO), past the retries the message goes to the group's DLQ.
 * Works unchanged in the downstream worker thread (its messaging offers `pushConsumer` only).
 */
export function consumeOrderRefunded(
  mq: ConsumingMessaging,
  group: string,
  handle: (event: OrderChangeEvent) => Promise<void>,
  logger: Logger,
): Promise<PushConsumer> {
  return mq.pushConsumer({
    group,
    subscriptions: { [Topics.ORDER_CHANGELOG]: Tags.REFUNDED },
    concurrency: REFUND_REVERSAL_CONCURRENCY,
    listener: async (message) => {
      let event: OrderChangeEvent;
      try {
        event = JSON.parse(message.body.toString()) as OrderChangeEvent;
      } catch {
        event = {} as OrderChangeEvent;
      }
      if (typeof event.orderId !== 'string' || typeof event.userId !== 'string' || typeof event.totalCents !== 'number') {
        // Retrying cannot fix it; the retries end in the DLQ, where an operator sees it.
        logger.error({ messageId: message.messageId, group }, `${group}: malformed order_changelog message`);
        return 'RETRY_LATER';
      }
      if (event.to !== Tags.REFUNDED) return 'SUCCESS'; // the filter is on the tag; the body decides
      try {
        await handle(event);
        return 'SUCCESS';
      } catch (error) {
        logger.warn(
          { err: error, orderId: event.orderId, attempt: message.deliveryAttempt },
          `${group}: reversing a refunded order failed, will retry`,
        );
        return 'RETRY_LATER';
      }
    },
  });
}
