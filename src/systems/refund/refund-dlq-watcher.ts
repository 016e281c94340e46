import type { Logger } from 'pino';
import type { Admin, DeadLetter } from '../../mq/index.js';
import { OrderStatus } from '../order/index.js';
import { Groups, type OrderRefundEvent } from '../shared/topics.js';
import type { OrderRefunds } from './order-refunds.js';

/** How often the refund group's DLQ is looked at. One admin listing per sweep; only new letters cost a status lookup. */
export const REFUND_DLQ_WATCH_INTERVAL_MS = 5_000;
/** Letters listed per sweep (newest first); grows ×10 (up to 10,000) while every listed letter is new. */
export const REFUND_DLQ_WATCH_LIMIT = 100;
const MAX_LIMIT = 10_000;

/** The reason recorded on an order the watcher marks REFUND_FAILED (the order's `refund.lastError`). */
export const DEAD_LETTERED_REASON =
  'the refund message went to the dead-letter queue before its last delivery recorded an outcome (the attempt timed out or its worker crashed); replay it from the DLQ';

export interface RefundDlqWatcherDeps {
  admin: Pick<Admin, 'listDeadLetters'>;
  orders: OrderRefunds;
  logger: Logger;
  /** Default REFUND_DLQ_WATCH_INTERVAL_MS. */
  intervalMs?: number;
}

export interface SweepReport {
  /** Letters listed that are waiting for replay. */
  letters: number;
  /** Of those, looked at for the first time (an order status lookup each). */
  looked: number;
  /** Orders moved REFUNDING → REFUND_FAILED by this sweep. */
  marked: number;
}

export interface RefundDlqWatcher {
  /** One pass now (also what the timer runs); concurrent calls share one pass. */
  sweep(): Promise<SweepReport>;
  close(): Promise<void>;
}

/**
 * Closes the one gap the refund worker cannot: it marks an order REFUND_FAILED on a refund's last
 * delivery, but when that delivery never finishes (its lease expires, its process dies, the
 * order system refuses the write) the broker dead-letters the message anyway and the order would
 * stay REFUNDING forever. Every few seconds this lists `%DLQ%refund-worker` through the messaging
 * admin API (either engine) and, for each letter not yet replayed whose order is still REFUNDING,
 * marks it REFUND_FAILED through the order system's refunds API — visible, with the reason, and
 * replayable: replaying the letter ends the order REFUNDED (the provider is idempotent on the
 * refundId, so money moves at most once).
 *
 * Idempotent and cheap: an order already REFUNDED or REFUND_FAILED is left alone (its own worker
 * decided), a letter is looked at once (remembered by message id and dead-letter time while it is
 * listed), and a failed lookup is tried again on the next sweep.
 */
export function watchRefundDeadLetters(deps: RefundDlqWatcherDeps): RefundDlqWatcher {
  const logger = deps.logger;
  const intervalMs = deps.intervalMs ?? REFUND_DLQ_WATCH_INTERVAL_MS;
  /** Letters already settled: `${messageId}@${deadAt}` (a letter replayed and dead-lettered again is a new one). */
  let seen = new Set<string>();
  let running: Promise<SweepReport> | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const list = async (): Promise<DeadLetter[]> => {
    for (let limit = REFUND_DLQ_WATCH_LIMIT; ; limit *= 10) {
      const letters = await deps.admin.listDeadLetters({ group: Groups.REFUND_WORKER, limit });
      const allNew = letters.every((l) => !l.replayedAt && !seen.has(keyOf(l)));
      if (letters.length < limit || !allNew || limit >= MAX_LIMIT) return letters;
    }
  };

  const pass = async (): Promise<SweepReport> => {
    const report: SweepReport = { letters: 0, looked: 0, marked: 0 };
    const next = new Set<string>();
    for (const letter of await list()) {
      if (letter.replayedAt) continue; // the replayed delivery decides
      report.letters++;
      const key = keyOf(letter);
      if (seen.has(key)) {
        next.add(key);
        continue;
      }
      const refundId = refundIdOf(letter);
      if (refundId === undefined) {
        logger.error({ messageId: letter.messageId }, 'refund DLQ: a letter without a refundId; left for an operator');
        next.add(key);
        continue;
      }
      report.looked++;
      try {
        // Only a refund still REFUNDING was left without an outcome; REFUNDED / REFUND_FAILED were decided by the worker.
        if ((await deps.orders.status(refundId)) === OrderStatus.REFUNDING) {
          const status = await deps.orders.fail(refundId, DEAD_LETTERED_REASON);
          if (status === OrderStatus.REFUND_FAILED) report.marked++;
          logger.warn(
            { refundId, messageId: letter.messageId, deadAt: letter.deadAt },
            'refund dead-lettered without an outcome: order marked REFUND_FAILED (replay it from the DLQ)',
          );
        }
        next.add(key);
      } catch (error) {
        logger.warn(
          { err: error, refundId, messageId: letter.messageId },
          'refund DLQ: marking the order failed did not work; trying again on the next sweep',
        );
      }
    }
    seen = next;
    return report;
  };

  const sweep = (): Promise<SweepReport> => {
    running ??= pass().finally(() => (running = undefined));
    return running;
  };

  const schedule = (delayMs: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      sweep()
        .catch((error: Error) => logger.warn({ err: error }, 'refund DLQ: listing the dead letters failed; trying again later'))
        .finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  };
  schedule(0); // at start-up too: letters dead-lettered while no process was watching

  return {
    sweep,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

const keyOf = (letter: DeadLetter) => `${letter.messageId}@${letter.deadAt.getTime()}`;

function refundIdOf(letter: DeadLetter): string | undefined {
  try {
    const refundId = (JSON.parse(letter.body.toString()) as Partial<OrderRefundEvent>).refundId;
    return typeof refundId === 'string' && refundId !== '' ? refundId : undefined;
  } catch {
    return undefined;
  }
}
