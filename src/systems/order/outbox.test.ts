/**
 * The change-stream outbox (docs/architecture.md, "The change stream"): every status change and its outbox row commit together or
 * not at all. Run on SQLite always, on MySQL/MariaDB when MYSQL_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate, type Database } from '../../db/index.js';
import { dbTestTargets } from '../../db/testing.js';
import { outboxOf, placeTestOrder, T0 } from './outbox.fixture.js';
import { addHistory, transition } from './repository.js';
import { type OrderDB, orderMigrations } from './schema.js';
import { OrderStatus } from './states.js';

const clean = <T extends Record<string, unknown>>(rows: T[]) =>
  rows.map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at), total_cents: Number(r.total_cents) }));

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`order outbox on ${target.dialect}`, { skip: target.skip }, () => {
    let database: Database<OrderDB>;
    before(async () => {
      database = await target.open<OrderDB>('order');
      await migrate(database, orderMigrations);
    });
    after(() => target.cleanup());

    it('placing and a transition each queue their change, with the seq of their history row and the order total', async () => {
      await placeTestOrder(database, 'O-1', 4_990, 'user7');
      const won = await database.db
        .transaction()
        .execute((trx) => transition(trx, 'O-1', OrderStatus.WAIT_PAY, OrderStatus.PAID, T0 + 5, { payment_id: 'P-1' }));
      assert.equal(won, true);
      assert.deepEqual(clean(await outboxOf(database, 'O-1')), [
        { order_id: 'O-1', seq: 1, from_status: null, to_status: 'WAIT_PAY', at: T0, user_id: 'user7', total_cents: 4_990 },
        { order_id: 'O-1', seq: 2, from_status: 'WAIT_PAY', to_status: 'PAID', at: T0 + 5, user_id: 'user7', total_cents: 4_990 },
      ]);
    });

    it('a transaction that fails after the transition leaves neither the change, its history nor its outbox row', async () => {
      await placeTestOrder(database, 'O-2');
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          assert.equal(await transition(trx, 'O-2', OrderStatus.WAIT_PAY, OrderStatus.CANCELLED, T0 + 1), true);
          throw new Error('stock update failed'); // what a failing later step (settleReservation) does
        }),
        /stock update failed/,
      );
      const order = await database.db.selectFrom('orders').select('status').where('order_id', '=', 'O-2').executeTakeFirstOrThrow();
      assert.equal(order.status, OrderStatus.WAIT_PAY);
      const history = await database.db.selectFrom('order_history').select('seq').where('order_id', '=', 'O-2').execute();
      assert.equal(history.length, 1);
      assert.deepEqual(
        (await outboxOf(database, 'O-2')).map((r) => r.to_status),
        ['WAIT_PAY'],
      );
    });

    it('a lost race queues nothing: only the winning transition is published', async () => {
      await placeTestOrder(database, 'O-3');
      const race = (to: OrderStatus) =>
        database.db.transaction().execute((trx) => transition(trx, 'O-3', OrderStatus.WAIT_PAY, to, T0 + 2));
      const won = await Promise.all([race(OrderStatus.PAID), race(OrderStatus.CLOSED)]);
      assert.deepEqual(won.filter(Boolean).length, 1);
      const rows = await outboxOf(database, 'O-3');
      assert.deepEqual(
        rows.map((r) => Number(r.seq)),
        [1, 2],
      );
      assert.equal(rows[1].to_status, won[0] ? 'PAID' : 'CLOSED');
    });

    it('history for an order that does not exist cannot be committed without its outbox row: the transaction fails', async () => {
      await assert.rejects(
        database.db.transaction().execute((trx) => addHistory(trx, 'O-missing', null, OrderStatus.WAIT_PAY, T0, null)),
        /O-missing not found/,
      );
      const history = await database.db.selectFrom('order_history').select('seq').where('order_id', '=', 'O-missing').execute();
      assert.deepEqual(history, []);
    });

    it('the migration queues the whole history of orders placed before it, in seq order, and their next change follows it', async () => {
      const old = await target.open<OrderDB>('order-before-outbox');
      await migrate(old, { '001_orders': orderMigrations['001_orders'] });
      await old.db
        .insertInto('orders')
        .values({
          order_id: 'O-old',
          user_id: 'u9',
          phone: '+1555',
          status: OrderStatus.PAID,
          total_cents: 700,
          discount_cents: 0,
          coupon_id: null,
          payment_id: 'P',
          tracking_no: null,
          pay_deadline: T0,
          created_at: T0,
          updated_at: T0,
        })
        .execute();
      await old.db
        .insertInto('order_history')
        .values([
          { order_id: 'O-old', seq: 2, from_status: OrderStatus.WAIT_PAY, to_status: OrderStatus.PAID, at: T0 + 9, note: null },
          { order_id: 'O-old', seq: 1, from_status: null, to_status: OrderStatus.WAIT_PAY, at: T0, note: null },
        ])
        .execute();
      await migrate(old, orderMigrations);
      await old.db.transaction().execute((trx) => transition(trx, 'O-old', OrderStatus.PAID, OrderStatus.SHIPPED, T0 + 20));
      assert.deepEqual(clean(await outboxOf(old, 'O-old')), [
        { order_id: 'O-old', seq: 1, from_status: null, to_status: 'WAIT_PAY', at: T0, user_id: 'u9', total_cents: 700 },
        { order_id: 'O-old', seq: 2, from_status: 'WAIT_PAY', to_status: 'PAID', at: T0 + 9, user_id: 'u9', total_cents: 700 },
        { order_id: 'O-old', seq: 3, from_status: 'PAID', to_status: 'SHIPPED', at: T0 + 20, user_id: 'u9', total_cents: 700 },
      ]);
    });
  });
}
