import type { Logger } from 'pino';
import type { ConsumeResult, Messaging, MessageView, PushConsumer } from '../../mq/index.js';
import { isVendorError, type Refund, type VendorClient } from '../../third-parties/index.js';
import { OrderStatus } from '../order/index.js';
import { Groups, type OrderRefundEvent, Tags, Topics } from '../shared/topics.js';
import { watchRefundDeadLetters } from './refund-dlq-watcher.js';
import type { OrderRefunds } from './order-refunds.js';

/**
 * Redeliveries of a refund before it is dead-lettered and its order marked REFUND_FAILED. With
 * RocketMQ's back-off (10 s, 30 s, 1 min, 2 min, 3 min) the provider gets ~7 minutes to come back;
 * with ORDERFLOW_RETRY_SCALE=0.01 the retries are exhausted in ~4 s, which the tests rely on.
 */
export const REFUND_MAX_RECONSUME_TIMES = 5;

/** Refunds mostly wait for the provider: many in flight cost no CPU. */
export const REFUND_CONCURRENCY = 32;

export type { OrderRefunds } from './order-refunds.js';

export interface RefundWorkerDeps {
  /** `admin` and `capabilities`: the DLQ watcher lists the group's dead letters (refund-dlq-watcher.ts). */
  mq: Pick<Messaging, 'pushConsumer' | 'admin' | 'capabilities'>;
  payment: VendorClient;
  orders: OrderRefunds;
  logger: Logger;
  /** How often the DLQ watcher looks at the group's dead letters (default REFUND_DLQ_WATCH_INTERVAL_MS, 5 s). */
  dlqWatchIntervalMs?: number;
  /** How long one delivery may run before the broker takes it back and redelivers it (default: the engine's, 15 min). */
  consumeTimeoutMs?: number;
}

/**
 * The refund worker (docs/architecture.md, "Refunds"): consumes `order_refund` (group `refund-worker`), asks the
 * payment provider to pay the order's total back, and reports the outcome to the order system.
 *
 * It keeps no table of its own: the provider is idempotent on idempotencyKey = refundId (a retry
 * after a timeout gets the refund that already happened, the money moves once) and the order
 * system's transitions are guarded (the order becomes REFUNDED and its stock comes back once).
 * A failure is RETRY_LATER — the MQ retries with back-off; on the last delivery the order is
 * marked REFUND_FAILED before the message goes to the DLQ, where an operator can replay it. A
 * last delivery that never finishes (lease expired, process killed) is dead-lettered by the broker
 * without that mark: the DLQ watcher started here marks such orders REFUND_FAILED within seconds.
 * The returned consumer's `close` stops both.
 */
export async function createRefundWorker(deps: RefundWorkerDeps): Promise<PushConsumer> {
  const logger = deps.logger.child({ system: 'refund' });
  const consumer = await deps.mq.pushConsumer({
    group: Groups.REFUND_WORKER,
    subscriptions: { [Topics.ORDER_REFUND]: Tags.REFUND },
    concurrency: REFUND_CONCURRENCY,
    maxReconsumeTimes: REFUND_MAX_RECONSUME_TIMES,
    ...(deps.consumeTimeoutMs === undefined ? {} : { consumeTimeoutMs: deps.consumeTimeoutMs }),
    listener: (message) => onRefund(deps, logger, message),
  });
  if (!deps.mq.capabilities.deadLetterAdmin) {
    logger.warn(
      'this messaging engine cannot list dead letters: a refund whose last delivery never finished stays REFUNDING until an operator looks',
    );
    return consumer;
  }
  const watcher = watchRefundDeadLetters({ admin: deps.mq.admin, orders: deps.orders, logger, intervalMs: deps.dlqWatchIntervalMs });
  return {
    group: consumer.group,
    async close() {
      await watcher.close();
      await consumer.close();
    },
  };
}

export async function onRefund(deps: RefundWorkerDeps, logger: Logger, message: MessageView): Promise<ConsumeResult> {
  const event = JSON.parse(message.body.toString()) as OrderRefundEvent;
  try {
    const status = await deps.orders.status(event.refundId);
    if (status === undefined) {
      // Cannot happen through the transactional send (no record → ROLLBACK); nothing to pay back.
      logger.error({ refundId: event.refundId, orderId: event.orderId }, 'refund unknown to the order system: dropped');
      return 'SUCCESS';
    }
    if (status === OrderStatus.REFUNDED) return 'SUCCESS'; // a redelivery after success
    const refund = await payBack(deps.payment, event);
    await deps.orders.complete(event.refundId, refund?.refundId ?? null);
    return 'SUCCESS';
  } catch (error) {
    const last = message.deliveryAttempt > REFUND_MAX_RECONSUME_TIMES;
    // A 4xx will be refused again however often we retry: show the failure now, not in minutes.
    const hopeless = isVendorError(error) && !error.retriable;
    const log = { err: error, refundId: event.refundId, orderId: event.orderId, attempt: message.deliveryAttempt };
    if (last || hopeless) {
      logger.error(
        log,
        last ? 'refund failed on its last attempt: REFUND_FAILED, to the DLQ' : 'refund refused by the provider: REFUND_FAILED',
      );
      await deps.orders.fail(event.refundId, (error as Error)?.message ?? String(error));
    } else {
      logger.warn(log, 'refund failed, will retry');
    }
    return 'RETRY_LATER'; // even when hopeless: it still ends in the DLQ, replayable once the cause is fixed
  }
}

/** Pays the order's total back (amount in currency units, as the provider takes it); nothing to pay for a free order. */
async function payBack(payment: VendorClient, event: OrderRefundEvent): Promise<Refund | undefined> {
  if (event.amountCents <= 0) return undefined;
  return payment.post<Refund>(
    '/refunds',
    { paymentId: event.paymentId, amount: event.amountCents / 100, orderId: event.orderId },
    { idempotencyKey: event.refundId },
  );
}
