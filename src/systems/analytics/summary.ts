import type { Kysely } from 'kysely';
import type { AnalyticsDB } from './schema.js';

export interface AnalyticsSummary {
  /** GMV per UTC day of payment, oldest first; days whose every order was refunded are left out. */
  gmvByDay: { day: string; gmvCents: number; orders: number }[];
  /** Orders per current status, as far as the change stream has told. */
  countsByStatus: Record<string, number>;
  orders: number;
  /** The time of the newest change applied (ISO), or null before the first. */
  lastEventAt: string | null;
}

/** What the analytics store holds now: read from analytics tables only. */
export async function summarize(db: Kysely<AnalyticsDB>): Promise<AnalyticsSummary> {
  const [days, statuses] = await Promise.all([
    db
      .selectFrom('analytics_gmv_daily')
      .selectAll()
      .where((eb) => eb.or([eb('orders', '!=', 0), eb('gmv_cents', '!=', 0)]))
      .orderBy('day')
      .execute(),
    db
      .selectFrom('analytics_orders')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n'), eb.fn.max('last_event_at').as('last')])
      .groupBy('status')
      .orderBy('status')
      .execute(),
  ]);
  const countsByStatus: Record<string, number> = {};
  let orders = 0;
  let last: number | null = null;
  for (const row of statuses) {
    countsByStatus[row.status] = Number(row.n);
    orders += Number(row.n);
    if (row.last !== null && (last === null || Number(row.last) > last)) last = Number(row.last);
  }
  return {
    gmvByDay: days.map((d) => ({ day: d.day, gmvCents: Number(d.gmv_cents), orders: Number(d.orders) })),
    countsByStatus,
    orders,
    lastEventAt: last === null ? null : new Date(last).toISOString(),
  };
}

/** The facts of one order, or null if no change of it has been applied. */
export async function orderFacts(db: Kysely<AnalyticsDB>, orderId: string) {
  const row = await db.selectFrom('analytics_orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
  if (!row) return null;
  return {
    orderId: row.order_id,
    userId: row.user_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    lastSeq: Number(row.last_seq),
    paidAt: row.paid_at === null ? null : new Date(Number(row.paid_at)).toISOString(),
    gmvCents: Number(row.gmv_cents),
  };
}
