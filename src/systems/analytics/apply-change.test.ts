/**
 * The analytics store (docs/architecture.md, "The change stream"): built from changes alone, exactly once and in order per order,
 * in a database of its own. SQLite always, MySQL/MariaDB when MYSQL_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrate, type Database } from '../../db/index.js';
import { dbTestTargets } from '../../db/testing.js';
import { orderMigrations } from '../order/index.js';
import type { OrderChangeEvent } from '../shared/topics.js';
import { applyChange, OutOfOrderChangeError, utcDay } from './apply-change.js';
import { type AnalyticsDB, analyticsMigrations } from './schema.js';
import { orderFacts, summarize } from './summary.js';

const DAY1 = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
const DAY2 = Date.UTC(2026, 1, 1, 0, 0, 0, 0);

/** The changes of one order: seq 1, 2, … along `path`. */
function changes(orderId: string, totalCents: number, path: { to: string; at: number }[]): OrderChangeEvent[] {
  return path.map((step, i) => ({
    orderId,
    seq: i + 1,
    from: i === 0 ? null : path[i - 1].to,
    to: step.to,
    at: step.at,
    userId: 'u1',
    totalCents,
  }));
}

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`analytics store on ${target.dialect}`, { skip: target.skip }, () => {
    let database: Database<AnalyticsDB>;
    const apply = (change: OrderChangeEvent) => applyChange(database, change, Date.now());
    before(async () => {
      database = await target.open<AnalyticsDB>('analytics');
      await migrate(database, analyticsMigrations);
    });
    after(() => target.cleanup());

    it('its database holds no order table: a query for orders fails there, while the order database answers it', async () => {
      const orders = await target.open('order');
      await migrate(orders, orderMigrations);
      await sql`SELECT count(*) AS n FROM orders`.execute(orders.db); // the table exists, in the order system's database
      await assert.rejects(sql`SELECT count(*) AS n FROM orders`.execute(database.db), /no such table|doesn't exist/i);
    });

    it('GMV per UTC day of payment, counts per status; a refund takes the order back out of its paid day', async () => {
      const a = changes('A', 1_000, [
        { to: 'WAIT_PAY', at: DAY1 - 10 },
        { to: 'PAID', at: DAY1 },
        { to: 'SHIPPED', at: DAY2 + 5 },
      ]);
      const b = changes('B', 2_500, [
        { to: 'WAIT_PAY', at: DAY1 },
        { to: 'PAID', at: DAY2 },
        { to: 'REFUNDING', at: DAY2 + 1 },
        { to: 'REFUNDED', at: DAY2 + 2 },
      ]);
      const c = changes('C', 4_000, [
        { to: 'WAIT_PAY', at: DAY2 },
        { to: 'PAID', at: DAY2 + 3 },
      ]);
      const d = changes('D', 9_999, [
        { to: 'WAIT_PAY', at: DAY2 },
        { to: 'CLOSED', at: DAY2 + 900 },
      ]);
      for (const change of [a[0], b[0], a[1], b[1], c[0], d[0], a[2], b[2], c[1], b[3], d[1]]) assert.equal(await apply(change), 'applied');
      assert.equal(utcDay(DAY1), '2026-01-31');
      assert.deepEqual(await summarize(database.db), {
        gmvByDay: [
          { day: '2026-01-31', gmvCents: 1_000, orders: 1 },
          { day: '2026-02-01', gmvCents: 4_000, orders: 1 },
        ],
        countsByStatus: { CLOSED: 1, PAID: 1, REFUNDED: 1, SHIPPED: 1 },
        orders: 4,
        lastEventAt: new Date(DAY2 + 900).toISOString(),
      });
      assert.deepEqual(await orderFacts(database.db, 'B'), {
        orderId: 'B',
        userId: 'u1',
        status: 'REFUNDED',
        totalCents: 2_500,
        lastSeq: 4,
        paidAt: new Date(DAY2).toISOString(),
        gmvCents: 0,
      });
    });

    it('a change delivered again changes nothing; a change ahead of the next one is refused until the missing one came', async () => {
      const e = changes('E', 700, [
        { to: 'WAIT_PAY', at: DAY1 - 2 },
        { to: 'PAID', at: DAY1 - 1 },
        { to: 'SHIPPED', at: DAY1 },
      ]);
      const before = await summarize(database.db);
      assert.equal(await apply(e[0]), 'applied');
      await assert.rejects(apply(e[2]), (error: unknown) => error instanceof OutOfOrderChangeError && error.lastApplied === 1);
      assert.equal((await orderFacts(database.db, 'E'))?.status, 'WAIT_PAY', 'the refused change left no trace');
      assert.equal(await apply(e[1]), 'applied');
      assert.equal(await apply(e[1]), 'duplicate');
      assert.equal(await apply(e[0]), 'duplicate');
      assert.equal(await apply(e[2]), 'applied');
      assert.equal(await apply(e[2]), 'duplicate');
      const now = await summarize(database.db);
      assert.deepEqual(
        now.gmvByDay.find((d) => d.day === '2026-01-31'),
        { day: '2026-01-31', gmvCents: 1_700, orders: 2 },
        'paid once',
      );
      assert.equal(now.countsByStatus.SHIPPED, (before.countsByStatus.SHIPPED ?? 0) + 1);
      assert.equal(now.orders, before.orders + 1);
      const recorded = await database.db.selectFrom('analytics_changes').select('seq').where('order_id', '=', 'E').orderBy('seq').execute();
      assert.deepEqual(
        recorded.map((r) => Number(r.seq)),
        [1, 2, 3],
      );
    });

    it('the same change applied concurrently counts once', async () => {
      const f = changes('F', 300, [
        { to: 'WAIT_PAY', at: DAY2 },
        { to: 'PAID', at: DAY2 + 7 },
      ]);
      assert.equal(await apply(f[0]), 'applied');
      const results = await Promise.allSettled([apply(f[1]), apply(f[1]), apply(f[1])]);
      const applied = results.filter((r) => r.status === 'fulfilled' && r.value === 'applied').length;
      assert.equal(applied, 1, JSON.stringify(results));
      const day = (await summarize(database.db)).gmvByDay.find((d) => d.day === '2026-02-01');
      assert.deepEqual(day, { day: '2026-02-01', gmvCents: 4_300, orders: 2 });
    });
  });
}
