import type { Logger } from 'pino';
import { z } from 'zod';
import { isTransientDbError, migrate, type Database } from '../../db/index.js';
import type { Messaging, MessageView, PushConsumer } from '../../mq/index.js';
import { Groups, type OrderChangeEvent, Topics } from '../topics.js';
import { applyChange, OutOfOrderChangeError } from './apply-change.js';
import { type AnalyticsDB, analyticsMigrations } from './schema.js';
import { orderFacts, summarize } from './summary.js';

/** Orders whose changes are applied at once; one order's changes are still applied one by one, in order (FIFO). */
export const ANALYTICS_CONCURRENCY = 16;

const ChangeBody = z.object({
  orderId: z.string().min(1).max(64),
  seq: z.number().int().min(1),
  from: z.string().min(1).max(16).nullable(),
  to: z.string().min(1).max(16),
  at: z.number().int().min(0),
  userId: z.string().min(1).max(64),
  totalCents: z.number().int(),
});

export interface AnalyticsSystemDeps {
  /** The analytics system's own database (system 'analytics'): it holds no order table. */
  database: Database<AnalyticsDB>;
  mq: Messaging;
  clock: () => number;
  logger: Logger;
}

/** Test seam: true makes the listener fail this delivery as a crash or an outage would (never set in production). */
export type FaultInjector = (change: OrderChangeEvent, deliveryAttempt: number) => boolean;

export type AnalyticsSystem = Awaited<ReturnType<typeof createAnalyticsSystem>>;

/**
 * The analytics system (problem #5): the big-data team's own store, built from the
 * `order_changelog` FIFO stream alone — facts per order, GMV per day, counts per status.
 * Delivery is at-least-once; applying is exactly-once by (orderId, seq) and in order per order.
 *
 * @example
 * const analytics = await createAnalyticsSystem({ database: await openDatabase({ …, system: 'analytics' }), mq, clock, logger });
 * await analytics.summary(); // { gmvByDay: [{ day: '2025-01-31', gmvCents, orders }], countsByStatus: { PAID: 3, … }, orders, lastEventAt }
 */
export async function createAnalyticsSystem(deps: AnalyticsSystemDeps) {
  const { database } = deps;
  const logger = deps.logger.child({ system: 'analytics' });
  await migrate(database, analyticsMigrations);
  let fault: FaultInjector | undefined;

  const handleChange = (change: OrderChangeEvent) => applyChange(database, change, deps.clock());
  const listener = async (message: MessageView) => {
    const parsed = ChangeBody.safeParse(safeJson(message.body.toString()));
    if (!parsed.success) {
      // Retrying cannot fix it; the retries end in the DLQ, where an operator sees it.
      logger.error({ messageId: message.messageId, issues: parsed.error.issues }, 'analytics: malformed order_changelog message');
      return 'RETRY_LATER';
    }
    const change = parsed.data;
    try {
      if (fault?.(change, message.deliveryAttempt)) throw new Error('injected fault (test)');
      await handleChange(change);
      return 'SUCCESS';
    } catch (error) {
      const expected = error instanceof OutOfOrderChangeError || isTransientDbError(error);
      logger[expected ? 'warn' : 'error']({ err: error, orderId: change.orderId, seq: change.seq, attempt: message.deliveryAttempt }, 'analytics: applying a change failed, will retry');
      return 'RETRY_LATER';
    }
  };
  const consumer: PushConsumer = await deps.mq.pushConsumer({
    group: Groups.ANALYTICS,
    subscriptions: { [Topics.ORDER_CHANGELOG]: '*' },
    concurrency: ANALYTICS_CONCURRENCY,
    listener,
  });

  return {
    /** Applies one change (what the listener does), for callers that already hold one. */
    handleChange,
    summary: () => summarize(database.db),
    forOrder: (orderId: string) => orderFacts(database.db, orderId),
    /** Test seam (see FaultInjector); undefined turns it off. */
    injectFaults(injector: FaultInjector | undefined) {
      fault = injector;
    },
    close: () => consumer.close(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
