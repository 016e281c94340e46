import type { Logger } from 'pino';
import { z } from 'zod';
import { isTransientDbError, migrate, type Database } from '../../db/index.js';
import type { Messaging, MessageView, PushConsumer } from '../../mq/index.js';
import { Groups, type OrderChangeEvent, Topics } from '../shared/topics.js';
import { applyChange, OutOfOrderChangeError } from './apply-change.js';
import { type AnalyticsDB, analyticsMigrations } from './schema.js';
import { type AnalyticsSummary, orderFacts, summarize } from './summary.js';
import { AppError, ErrorCode } from '../../errors.js';

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
  mq: Pick<Messaging, 'pushConsumer'>;
  clock: () => number;
  logger: Logger;
}

/**
 * Test seam: fail the first delivery of about one change in `firstDeliveryFailsOneIn`, as a crash or an
 * outage would (never set in production). Plain data, so that it reaches the system in its worker thread.
 */
export interface FaultSpec {
  firstDeliveryFailsOneIn: number;
}

/** What the rest of orderflow may ask of the analytics system, wherever it runs (this thread or a worker). */
export interface AnalyticsSystem {
  summary(): Promise<AnalyticsSummary>;
  forOrder(orderId: string): Promise<Awaited<ReturnType<typeof orderFacts>>>;
  /** Test seam (see FaultSpec); undefined turns it off. */
  injectFaults(spec: FaultSpec | undefined): Promise<void>;
  /** How many deliveries the seam failed so far. */
  faultsInjected(): Promise<number>;
  close(): Promise<void>;
}

const hash = (text: string) => Math.abs([...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7));

/**
 * The analytics system (docs/architecture.md, "The change stream"): the big-data team's own store, built from the
 * `order_changelog` FIFO stream alone — facts per order, GMV per day, counts per status.
 * Delivery is at-least-once; applying is exactly-once by (orderId, seq) and in order per order.
 *
 * @example
 * const analytics = await createAnalyticsSystem({ database: await openDatabase({ …, system: 'analytics' }), mq, clock, logger });
 * await analytics.summary(); // { gmvByDay: [{ day: '2025-01-31', gmvCents, orders }], countsByStatus: { PAID: 3, … }, orders, lastEventAt }
 */
export async function createAnalyticsSystem(deps: AnalyticsSystemDeps): Promise<AnalyticsSystem> {
  const { database } = deps;
  const logger = deps.logger.child({ system: 'analytics' });
  await migrate(database, analyticsMigrations);
  let faults: FaultSpec | undefined;
  let faulted = 0;
  const injectFault = (change: OrderChangeEvent, attempt: number) =>
    faults !== undefined &&
    attempt === 1 &&
    hash(`${change.orderId}/${change.seq}`) % faults.firstDeliveryFailsOneIn === 0 &&
    ++faulted > 0;
  const listener = async (message: MessageView) => {
    const parsed = ChangeBody.safeParse(safeJson(message.body.toString()));
    if (!parsed.success) {
      // Retrying cannot fix it; the retries end in the DLQ, where an operator sees it.
      logger.error({ messageId: message.messageId, issues: parsed.error.issues }, 'analytics: malformed order_changelog message');
      return 'RETRY_LATER';
    }
    const change = parsed.data;
    try {
      if (injectFault(change, message.deliveryAttempt))
        throw new AppError(ErrorCode.INTERNAL, 'injected fault (test)', { retriable: true });
      await applyChange(database, change, deps.clock());
      return 'SUCCESS';
    } catch (error) {
      const expected = error instanceof OutOfOrderChangeError || isTransientDbError(error);
      logger[expected ? 'warn' : 'error'](
        { err: error, orderId: change.orderId, seq: change.seq, attempt: message.deliveryAttempt },
        'analytics: applying a change failed, will retry',
      );
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
    summary: () => summarize(database.db),
    forOrder: (orderId: string) => orderFacts(database.db, orderId),
    async injectFaults(spec) {
      faults = spec;
    },
    faultsInjected: async () => faulted,
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
