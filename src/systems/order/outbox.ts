import type { Transaction } from 'kysely';
import { changedRows, preparedQuery } from '../../db/index.js';
import type { Message } from '../../mq/index.js';
import { type OrderChangeEvent, Topics } from '../shared/topics.js';
import type { OrderOutboxTable } from './outbox-schema.js';
import type { OrderDB } from './schema.js';
import type { OrderStatus } from './states.js';
import { internalError } from '../../errors.js';

/**
 * Queues one status change for the change stream, inside the caller's transaction: it commits or
 * rolls back with the change itself, so no change is published that did not happen and none that
 * happened is lost. One INSERT … SELECT of the order's own row (its history_seq, user
 * and total), which the transaction already holds: the pay path pays one statement more, no read.
 */
export async function writeOutbox(
  db: Transaction<OrderDB>,
  orderId: string,
  from: OrderStatus | null,
  to: OrderStatus,
  at: number,
): Promise<void> {
  const result = await insertOutbox(db, { orderId, from, to, at });
  // No order row means nothing was queued: refuse, so the caller's transaction rolls back instead of committing an unpublished change.
  if (changedRows(result) !== 1)
    throw internalError(`order ${orderId} not found: its change ${from} → ${to} cannot be queued for the change stream`, { orderId });
}

// On every status change (the pay path among them): built once, see src/db/prepared-query.ts.
const insertOutbox = preparedQuery<OrderDB, { orderId: string; from: OrderStatus | null; to: OrderStatus; at: number }>((db, param) =>
  db
    .insertInto('order_outbox')
    .columns(['order_id', 'seq', 'from_status', 'to_status', 'at', 'user_id', 'total_cents'])
    .expression((eb) =>
      eb
        .selectFrom('orders')
        .select([
          'order_id',
          'history_seq',
          eb.val(param('from')).as('from_status'),
          eb.val(param('to')).as('to_status'),
          eb.val(param('at')).as('at'),
          'user_id',
          'total_cents',
        ])
        .where('order_id', '=', param('orderId')),
    ),
);

type OutboxRow = Pick<OrderOutboxTable, 'order_id' | 'seq' | 'from_status' | 'to_status' | 'at' | 'user_id' | 'total_cents'>;

/** An outbox row as its `order_changelog` message: FIFO per order (messageGroup), tagged with the new status. */
export function changelogMessage(row: OutboxRow): Message {
  const event: OrderChangeEvent = {
    orderId: row.order_id,
    seq: Number(row.seq),
    from: row.from_status,
    to: row.to_status,
    at: Number(row.at),
    userId: row.user_id,
    totalCents: Number(row.total_cents),
  };
  return {
    topic: Topics.ORDER_CHANGELOG,
    tag: row.to_status,
    keys: [row.order_id],
    messageGroup: row.order_id,
    body: JSON.stringify(event),
  };
}
