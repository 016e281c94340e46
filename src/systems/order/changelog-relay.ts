import type { Logger } from 'pino';
import type { Database } from '../../db/index.js';
import type { Producer } from '../../mq/index.js';
import { changelogMessage } from './outbox.js';
import type { OrderDB } from './schema.js';

/** How often the relay looks at the outbox when nobody woke it: the worst added lag of the change stream. */
export const DEFAULT_RELAY_POLL_MS = 50;
/** Outbox rows published per batch (one sendBatch, one DELETE). */
export const DEFAULT_RELAY_BATCH = 256;
/**
 * A wake publishes this much later, not at once: the changes committed meanwhile go in the same
 * batch. Under load (problem #1: 1,000 payments/s) a wake per payment would otherwise cost one
 * outbox query, one send and one DELETE per payment on the order system's thread. 20 ms: each round
 * has a fixed cost (~0.2–0.3 ms on a 2-core VM) worth sharing among ~40 changes at that rate, and a
 * change stream read by the big-data team loses nothing by arriving 20 ms later.
 */
export const RELAY_WAKE_DELAY_MS = 20;
/** Longest wait between attempts while the broker or the database keeps failing. */
export const MAX_RELAY_BACKOFF_MS = 2_000;

export interface ChangelogRelayOptions {
  database: Database<OrderDB>;
  producer: Pick<Producer, 'sendBatch'>;
  logger: Pick<Logger, 'warn'>;
  pollMs?: number;
  batchSize?: number;
}

export interface ChangelogRelay {
  /** Publish now rather than at the next poll: call it once a transaction that wrote outbox rows has committed. */
  wake(): void;
  /** Stops polling and waits for a batch in flight. Unpublished rows stay in the outbox for the next start. */
  close(): Promise<void>;
}

/**
 * Publishes the order outbox on `order_changelog` (problem #5), oldest row first, and deletes rows
 * only once the broker has stored them. A crash between the two re-sends those rows on the next
 * start: at-least-once, and analytics drops duplicates by (orderId, seq). Per-order order holds
 * because one relay sends one batch at a time in id order, a batch is stored whole or not at all,
 * and a failed batch is retried from its first row (later rows never overtake it).
 *
 * @example
 * const relay = startChangelogRelay({ database, producer, logger });
 * await database.db.transaction().execute((trx) => transition(trx, …)); relay.wake();
 * await relay.close();
 */
export function startChangelogRelay(options: ChangelogRelayOptions): ChangelogRelay {
  const pollMs = options.pollMs ?? DEFAULT_RELAY_POLL_MS;
  const batchSize = options.batchSize ?? DEFAULT_RELAY_BATCH;
  if (!(pollMs > 0)) throw new Error(`pollMs must be greater than 0 (got ${pollMs})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a whole number greater than 0 (got ${batchSize})`);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  /** The pending timer is a wake's (due within RELAY_WAKE_DELAY_MS), not the poll's. */
  let woken = false;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    woken = ms === wakeDelay;
    timer = setTimeout(run, ms);
    timer.unref(); // never what keeps a process alive
  };
  const wakeDelay = Math.min(RELAY_WAKE_DELAY_MS, pollMs);
  // One publishing loop at a time (that is what keeps the order); a wake during it asks for one more round, a wake delay later.
  function run(): void {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    woken = false;
    again = false;
    running = (async () => {
      try {
        while (!closed && (await publishOutbox(options.database, options.producer, batchSize)) === batchSize);
        failures = 0;
      } catch (error) {
        failures++;
        options.logger.warn({ err: error, failures }, 'publishing the order changelog failed; the rows stay in the outbox and are retried');
      } finally {
        running = undefined;
        if (!closed) schedule(failures > 0 ? Math.min(pollMs * 2 ** failures, MAX_RELAY_BACKOFF_MS) : again ? wakeDelay : pollMs);
      }
    })();
  }
  schedule(0);
  return {
    // While failing, the back-off decides: a wake per commit would hammer a broker that is down.
    wake: () => {
      if (failures > 0 || closed) return;
      if (running) again = true;
      else if (!woken) schedule(wakeDelay);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** One round: the oldest rows, sent as one batch, then deleted. Returns how many rows it published. */
export async function publishOutbox(database: Database<OrderDB>, producer: Pick<Producer, 'sendBatch'>, limit: number): Promise<number> {
  const { db } = database;
  const rows = await db.selectFrom('order_outbox').selectAll().orderBy('id').limit(limit).execute();
  if (rows.length === 0) return 0;
  await producer.sendBatch(rows.map(changelogMessage));
  // Only now that the broker has them: deleting first could lose changes in a crash.
  await db.deleteFrom('order_outbox').where('id', 'in', rows.map((row) => row.id)).execute();
  return rows.length;
}
