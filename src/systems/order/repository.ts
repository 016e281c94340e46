import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { changedRows, preparedQuery } from '../../db/index.js';
import { internalError, stockInsufficient } from '../../errors.js';
import { writeOutbox } from './outbox.js';
import type { OrderDB } from './schema.js';
import type { OrderStatus } from './states.js';

export type OrderTx = Transaction<OrderDB> | Kysely<OrderDB>;
export type OrderRow = Selectable<OrderDB['orders']>;

/** Sortable order ids: time first (newest last), then randomness. */
export function newOrderId(now: number): string {
  return `O${now.toString(36).toUpperCase().padStart(9, '0')}${randomBytes(5).toString('hex').toUpperCase()}`;
}

// The statements of placing, paying and shipping (the hot path) are built once (preparedQuery): see src/db/prepared-query.ts.
const selectOrder = preparedQuery<OrderDB, { orderId: string }, OrderRow>((db, param) =>
  db.selectFrom('orders').selectAll().where('order_id', '=', param('orderId')),
);
/** One line of an order: SKU, quantity, unit price. */
export type OrderItemRow = { sku_id: string; quantity: number; price_cents: number };

const selectItems = preparedQuery<OrderDB, { orderId: string }, OrderItemRow>((db, param) =>
  db.selectFrom('order_items').select(['sku_id', 'quantity', 'price_cents']).where('order_id', '=', param('orderId')),
);

export async function findOrder(db: OrderTx, orderId: string): Promise<OrderRow | undefined> {
  return (await selectOrder(db, { orderId })).rows[0];
}

/** The order's lines (SKU, quantity, unit price). */
export async function findItems(db: OrderTx, orderId: string): Promise<OrderItemRow[]> {
  return (await selectItems(db, { orderId })).rows;
}

type TransitionParams = {
  orderId: string;
  from: OrderStatus;
  to: OrderStatus;
  at: number;
  payment_id: string | null;
  paid_message_id: string | null;
  tracking_no: string | null;
};
type PatchedColumn = 'payment_id' | 'paid_message_id' | 'tracking_no';
const PATCHABLE: readonly PatchedColumn[] = ['payment_id', 'paid_message_id', 'tracking_no'];
/** One prepared UPDATE per set of patched columns, built up front: none, payment_id (with its half message or not), tracking_no, both. */
const TRANSITION_QUERIES: ReadonlyMap<string, ReturnType<typeof preparedQuery<OrderDB, TransitionParams>>> = new Map(
  ([[], ['payment_id'], ['payment_id', 'paid_message_id'], ['tracking_no'], ['payment_id', 'tracking_no']] as PatchedColumn[][]).map(
    (patched) => [
      patched.join(','),
      preparedQuery<OrderDB, TransitionParams>((db, param) =>
        db
          .updateTable('orders')
          .set((eb) => ({
            status: param('to'),
            updated_at: param('at'),
            history_seq: eb('history_seq', '+', 1),
            ...Object.fromEntries(patched.map((column) => [column, param(column)])),
          }))
          .where('order_id', '=', param('orderId'))
          .where('status', '=', param('from')),
      ),
    ],
  ),
);
function transitionQuery(patched: PatchedColumn[]) {
  return TRANSITION_QUERIES.get(patched.join(',')) as ReturnType<typeof preparedQuery<OrderDB, TransitionParams>>;
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
  patch: Partial<Pick<OrderRow, 'payment_id' | 'paid_message_id' | 'tracking_no'>> = {},
  note: string | null = null,
): Promise<boolean> {
  const patched = PATCHABLE.filter((column) => patch[column] !== undefined);
  const result = await transitionQuery(patched)(db, {
    orderId,
    from,
    to,
    at,
    payment_id: patch.payment_id ?? null,
    paid_message_id: patch.paid_message_id ?? null,
    tracking_no: patch.tracking_no ?? null,
  });
  if (changedRows(result) !== 1) return false;
  await addHistory(db, orderId, from, to, at, note);
  return true;
}

/**
 * Appends the order's latest change to its history, numbered by the order row's history_seq (1 when
 * placed, bumped by `transition`). Every status change comes through here, inside its transaction,
 * so it also queues the change for the change stream (`order_changelog`, docs/architecture.md, "The change stream"): the outbox
 * row commits with the change or not at all.
 *
 * Both inserts read only the order's own row, which the transaction already holds: no read of the
 * history table, whose range locks on MySQL (INSERT … SELECT MAX(seq) locks neighbouring orders'
 * rows and gaps) deadlocked placing against cancelling, stock being locked in the opposite order.
 */
export async function addHistory(
  db: Transaction<OrderDB>,
  orderId: string,
  from: OrderStatus | null,
  to: OrderStatus,
  at: number,
  note: string | null,
): Promise<void> {
  await insertHistory(db, { orderId, from, to, at, note });
  await writeOutbox(db, orderId, from, to, at);
}

const insertHistory = preparedQuery<
  OrderDB,
  { orderId: string; from: OrderStatus | null; to: OrderStatus; at: number; note: string | null }
>((db, param) =>
  db
    .insertInto('order_history')
    .columns(['order_id', 'seq', 'from_status', 'to_status', 'at', 'note'])
    .expression((eb) =>
      eb
        .selectFrom('orders')
        .select([
          'order_id',
          'history_seq',
          eb.val(param('from')).as('from_status'),
          eb.val(param('to')).as('to_status'),
          eb.val(param('at')).as('at'),
          eb.val(param('note')).as('note'),
        ])
        .where('order_id', '=', param('orderId')),
    ),
);

/** available → reserved, refused (409) if there is not enough: never negative, never oversold. */
export async function reserveStock(db: OrderTx, skuId: string, quantity: number): Promise<void> {
  if (changedRows(await reserve(db, { skuId, quantity })) === 1) return;
  const sku = await db.selectFrom('skus').select('available').where('sku_id', '=', skuId).executeTakeFirst();
  throw stockInsufficient(skuId, quantity, Number(sku?.available ?? 0));
}

const reserve = preparedQuery<OrderDB, { skuId: string; quantity: number }>((db, param) =>
  db
    .updateTable('skus')
    .set((eb) => ({ available: eb('available', '-', param('quantity')), reserved: eb('reserved', '+', param('quantity')) }))
    .where('sku_id', '=', param('skuId'))
    .where('available', '>=', param('quantity')),
);

const settle = {
  sold: preparedQuery<OrderDB, { skuId: string; quantity: number }>((db, param) =>
    db
      .updateTable('skus')
      .set((eb) => ({ reserved: eb('reserved', '-', param('quantity')), sold: eb('sold', '+', param('quantity')) }))
      .where('sku_id', '=', param('skuId'))
      .where('reserved', '>=', param('quantity')),
  ),
  released: preparedQuery<OrderDB, { skuId: string; quantity: number }>((db, param) =>
    db
      .updateTable('skus')
      .set((eb) => ({ reserved: eb('reserved', '-', param('quantity')), available: eb('available', '+', param('quantity')) }))
      .where('sku_id', '=', param('skuId'))
      .where('reserved', '>=', param('quantity')),
  ),
};

/** reserved → sold (payment) or reserved → available (close, cancel); guarded so it never goes negative. */
export async function settleReservation(
  db: OrderTx,
  orderId: string,
  outcome: 'sold' | 'released',
  known?: { sku_id: string; quantity: number }[],
): Promise<void> {
  const items = known ?? (await findItems(db, orderId));
  for (const { sku_id, quantity } of items) {
    const result = await settle[outcome](db, { skuId: sku_id, quantity: Number(quantity) });
    if (changedRows(result) !== 1)
      throw internalError(`stock of ${sku_id} has less reserved than order ${orderId} holds`, { skuId: sku_id, orderId });
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
