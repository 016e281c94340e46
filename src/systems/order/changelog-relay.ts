import type { Logger } from 'pino';
import type { Database } from '../../db/index.js';
import type { Producer } from '../../mq/index.js';
import { changelogMessage } from './outbox.js';
import { type OutboxRelay, startOutboxRelay } from './outbox-relay.js';
import type { OrderDB } from './schema.js';

export interface ChangelogRelayOptions {
  database: Database<OrderDB>;
  producer: Pick<Producer, 'sendBatch'>;
  logger: Pick<Logger, 'warn'>;
  pollMs?: number;
  batchSize?: number;
  /** False while another process publishes the changelog (outbox-relay.ts). */
  active?: () => boolean;
}

export type ChangelogRelay = OutboxRelay;

/**
 * Publishes the order outbox on `order_changelog`, oldest row first, and deletes rows only once the
 * broker has stored them. A crash between the two re-sends those rows on the next start:
 * at-least-once, and analytics drops duplicates by (orderId, seq). Per-order order holds because one
 * relay sends one batch at a time in id order, the messages of one order (its messageGroup) are stored
 * in the order given, and a failed batch is retried from its first row (later rows never overtake it).
 *
 * @example
 * const relay = startChangelogRelay({ database, producer, logger });
 * await database.db.transaction().execute((trx) => transition(trx, …)); relay.wake();
 * await relay.close();
 */
export function startChangelogRelay(options: ChangelogRelayOptions): ChangelogRelay {
  return startOutboxRelay({
    what: 'the order changelog',
    logger: options.logger,
    pollMs: options.pollMs,
    batchSize: options.batchSize,
    active: options.active,
    publishRound: (limit) => publishOutbox(options.database, options.producer, limit),
  });
}

/** One round: the oldest rows, sent as one batch, then deleted. Returns how many rows it published. */
export async function publishOutbox(database: Database<OrderDB>, producer: Pick<Producer, 'sendBatch'>, limit: number): Promise<number> {
  const { db } = database;
  const rows = await db.selectFrom('order_outbox').selectAll().orderBy('id').limit(limit).execute();
  if (rows.length === 0) return 0;
  await producer.sendBatch(rows.map(changelogMessage));
  // Only now that the broker has them: deleting first could lose changes in a crash.
  await db
    .deleteFrom('order_outbox')
    .where(
      'id',
      'in',
      rows.map((row) => row.id),
    )
    .execute();
  return rows.length;
}
