import type { Transaction } from 'kysely';
import { guardedUpdate, insertIgnoreDuplicate, withTransaction, type Database } from '../../db/index.js';
import type { OrderChangeEvent } from '../shared/topics.js';
import type { AnalyticsDB } from './schema.js';
import { conflict, OrderflowError } from '../../errors.js';

/** The statuses whose arrival moves GMV (contract: docs/architecture.md, "Order states"). */
const PAID = 'PAID';
const REFUNDED = 'REFUNDED';

/**
 * A change that arrived before the one it follows (seq beyond last applied + 1). Applying it would
 * put the order in a state it never had; the listener answers RETRY_LATER and, FIFO keeping the
 * order's later changes behind it, the missing change gets its chance first. Past the retries it
 * lands in the DLQ, visibly, rather than being applied out of order.
 */
export class OutOfOrderChangeError extends OrderflowError<'ANALYTICS_OUT_OF_ORDER'> {
  override readonly name = 'OutOfOrderChangeError';
  constructor(
    readonly change: OrderChangeEvent,
    readonly lastApplied: number,
  ) {
    super('ANALYTICS_OUT_OF_ORDER', `change ${change.seq} of order ${change.orderId} arrived before change ${lastApplied + 1}`, {
      retriable: true,
      details: { orderId: change.orderId, seq: change.seq, lastApplied },
    });
  }
}

/** The UTC day of an instant: GMV is counted per day of payment. */
export const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * Applies one change to the analytics store, in one transaction, exactly once: a change already
 * applied (seq ≤ the order's last) is a no-op ('duplicate'), a change ahead of the next one throws
 * OutOfOrderChangeError, anything else updates the order's facts, GMV and the change log together.
 */
export async function applyChange(
  database: Database<AnalyticsDB>,
  change: OrderChangeEvent,
  receivedAt: number,
): Promise<'applied' | 'duplicate'> {
  return withTransaction(database, async (trx) => {
    const fact = await trx
      .selectFrom('analytics_orders')
      .select(['last_seq', 'paid_day', 'gmv_cents'])
      .where('order_id', '=', change.orderId)
      .executeTakeFirst();
    const last = fact ? Number(fact.last_seq) : 0;
    if (change.seq <= last) return 'duplicate';
    if (change.seq !== last + 1) throw new OutOfOrderChangeError(change, last);
    // The idempotency key: a concurrent delivery of the same change that got here first wins.
    const recorded = await insertIgnoreDuplicate(
      trx.insertInto('analytics_changes').values({
        order_id: change.orderId,
        seq: change.seq,
        from_status: change.from,
        to_status: change.to,
        at: change.at,
        received_at: receivedAt,
      }),
    );
    if (!recorded) return 'duplicate';

    const paid = change.to === PAID ? { paid_at: change.at, paid_day: utcDay(change.at), gmv_cents: change.totalCents } : {};
    const refunded = change.to === REFUNDED ? { gmv_cents: 0 } : {};
    if (fact) {
      const moved = await guardedUpdate(
        trx
          .updateTable('analytics_orders')
          .set({ status: change.to, total_cents: change.totalCents, last_seq: change.seq, last_event_at: change.at, ...paid, ...refunded })
          .where('order_id', '=', change.orderId)
          .where('last_seq', '=', last),
      );
      if (moved !== 1)
        throw conflict(`order ${change.orderId} moved past seq ${last} while change ${change.seq} was applied; retry`, {
          orderId: change.orderId,
        });
    } else {
      await trx
        .insertInto('analytics_orders')
        .values({
          order_id: change.orderId,
          user_id: change.userId,
          status: change.to,
          total_cents: change.totalCents,
          last_seq: change.seq,
          placed_at: change.at,
          paid_at: null,
          paid_day: null,
          gmv_cents: 0,
          last_event_at: change.at,
          ...paid,
        })
        .execute();
    }
    if (change.to === PAID) await addToDay(trx, utcDay(change.at), change.totalCents, 1);
    // Take back exactly what PAID added, on the day it was added to.
    if (change.to === REFUNDED && fact?.paid_day && Number(fact.gmv_cents) !== 0)
      await addToDay(trx, fact.paid_day, -Number(fact.gmv_cents), -1);
    return 'applied';
  });
}

/** gmv_cents += cents, orders += orders on `day`, creating the day's row if needed (portable: no upsert). */
async function addToDay(trx: Transaction<AnalyticsDB>, day: string, cents: number, orders: number): Promise<void> {
  const add = () =>
    guardedUpdate(
      trx
        .updateTable('analytics_gmv_daily')
        .set((eb) => ({ gmv_cents: eb('gmv_cents', '+', cents), orders: eb('orders', '+', orders) }))
        .where('day', '=', day),
    );
  if ((await add()) === 1) return;
  if (await insertIgnoreDuplicate(trx.insertInto('analytics_gmv_daily').values({ day, gmv_cents: cents, orders }))) return;
  if ((await add()) !== 1) throw conflict(`GMV row of ${day} neither updatable nor insertable`, { day }); // created concurrently, then gone: retry
}
