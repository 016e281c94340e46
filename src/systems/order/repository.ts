import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { stockInsufficient } from '../../errors.js';
import { writeOutbox } from './outbox.js';
import type { OrderDB } from './schema.js';
import type { OrderStatus } from './states.js';

export type OrderTx = Transaction<OrderDB> | Kysely<OrderDB>;
export type OrderRow = Selectable<OrderDB['orders']>;

/** Sortable order ids: time first (newest last), then randomness. */
export function newOrderId(now: number): string {
  return `O${now.toString(36).toUpperCase().padStart(9, '0')}${randomBytes(5).toString('hex').toUpperCase()}`;
}

export async function findOrder(db: OrderTx, orderId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

/**
 * The guarded update every transition goes through: `… WHERE status = from`, so two racing
 * transitions cannot both win. Records the history row when it wins; returns whether it did.
 * The same statement numbers the change (history_seq + 1), so the history row needs no read of the
 * history table. Takes a transaction (not the database): the status, its history row and its
 * changelog outbox row must commit together.
 */
export async function transition(
  db: Transaction<OrderDB>,
  orderId: string,
  from: OrderStatus,
  to: OrderStatus,
  at: number,
  patch: Partial<Pick<OrderRow, 'payment_id' | 'tracking_no'>> = {},
  note: string | null = null,
): Promise<boolean> {
  const result = await db
    .updateTable('orders')
    .set((eb) => ({ status: to, updated_at: at, history_seq: eb('history_seq', '+', 1), ...patch }))
    .where('order_id', '=', orderId)
    .where('status', '=', from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await addHistory(db, orderId, from, to, at, note);
  return true;
}

/**
 * Appends the order's latest change to its history, numbered by the order row's history_seq (1 when
 * placed, bumped by `transition`). Every status change comes through here, inside its transaction,
 * so it also queues the change for the change stream (`order_changelog`, problem #5): the outbox
 * row commits with the change or not at all.
 *
 * Both inserts read only the order's own row, which the transaction already holds: no read of the
 * history table, whose range locks on MySQL (INSERT … SELECT MAX(seq) locks neighbouring orders'
 * rows and gaps) deadlocked placing against cancelling, stock being locked in the opposite order.
 */
export async function addHistory(db: Transaction<OrderDB>, orderId: string, from: OrderStatus | null, to: OrderStatus, at: number, note: string | null): Promise<void> {
  await db
    .insertInto('order_history')
    .columns(['order_id', 'seq', 'from_status', 'to_status', 'at', 'note'])
    .expression((eb) =>
      eb
        .selectFrom('orders')
        .select(['order_id', 'history_seq', eb.val(from).as('from_status'), eb.val(to).as('to_status'), eb.val(at).as('at'), eb.val(note).as('note')])
        .where('order_id', '=', orderId),
    )
    .execute();
  await writeOutbox(db, orderId, from, to, at);
}

/** available → reserved, refused (409) if there is not enough: never negative, never oversold. */
export async function reserveStock(db: OrderTx, skuId: string, quantity: number): Promise<void> {
  const result = await db
    .updateTable('skus')
    .set((eb) => ({ available: eb('available', '-', quantity), reserved: eb('reserved', '+', quantity) }))
    .where('sku_id', '=', skuId)
    .where('available', '>=', quantity)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return;
  const sku = await db.selectFrom('skus').select('available').where('sku_id', '=', skuId).executeTakeFirst();
  throw stockInsufficient(skuId, quantity, Number(sku?.available ?? 0));
}

/** reserved → sold (payment) or reserved → available (close, cancel); guarded so it never goes negative. */
export async function settleReservation(
  db: OrderTx,
  orderId: string,
  outcome: 'sold' | 'released',
  known?: { sku_id: string; quantity: number }[],
): Promise<void> {
  const items = known ?? (await db.selectFrom('order_items').select(['sku_id', 'quantity']).where('order_id', '=', orderId).execute());
  for (const { sku_id, quantity } of items) {
    const result = await db
      .updateTable('skus')
      .set((eb) =>
        outcome === 'sold'
          ? { reserved: eb('reserved', '-', quantity), sold: eb('sold', '+', quantity) }
          : { reserved: eb('reserved', '-', quantity), available: eb('available', '+', quantity) },
      )
      .where('sku_id', '=', sku_id)
      .where('reserved', '>=', quantity)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new Error(`stock of ${sku_id} has less reserved than order ${orderId} holds`);
  }
}

/** sold → available, for a refunded order. */
export async function restock(db: OrderTx, orderId: string): Promise<void> {
  const items = await db.selectFrom('order_items').select(['sku_id', 'quantity']).where('order_id', '=', orderId).execute();
  for (const { sku_id, quantity } of items) {
    await db
      .updateTable('skus')
      .set((eb) => ({ sold: eb('sold', '-', quantity), available: eb('available', '+', quantity) }))
      .where('sku_id', '=', sku_id)
      .where('sold', '>=', quantity)
      .execute();
  }
}
