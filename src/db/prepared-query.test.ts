/** preparedQuery on every dialect: SQLite always, MySQL/MariaDB when MYSQL_URL is set. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate } from './migrate.js';
import type { Database } from './open-database.js';
import { changedRows, preparedQuery } from './prepared-query.js';
import { directRunnerOf } from './sqlite.js';
import { testMigrations, type TestTables } from './test-migrations.fixture.js';
import { dbTestTargets } from './testing.js';

const insert = preparedQuery<TestTables, { id: string; status: string; amount: number }>((db, param) =>
  db.insertInto('orders').values({
    id: param('id'),
    business_key: param('id'),
    status: param('status'),
    amount_cents: param('amount'),
    created_at: 1,
    note: null,
    payload: null,
  }),
);
const byId = preparedQuery<TestTables, { id: string }, { id: string; status: string; amount_cents: number }>((db, param) =>
  db.selectFrom('orders').select(['id', 'status', 'amount_cents']).where('id', '=', param('id')),
);
// A constant (the 'PAID' guard, the + 1) stays as compiled; only the marked values change.
const payMore = preparedQuery<TestTables, { id: string; by: number }>((db, param) =>
  db
    .updateTable('orders')
    .set((eb) => ({ amount_cents: eb('amount_cents', '+', param('by')), note: 'bumped' }))
    .where('id', '=', param('id'))
    .where('status', '=', 'PAID'),
);
const setStatus = preparedQuery<TestTables, { id: string; status: string }>((db, param) =>
  db
    .updateTable('orders')
    .set({ status: param('status') })
    .where('id', '=', param('id')),
);

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`preparedQuery on ${target.dialect}`, { skip: target.skip }, () => {
    let database: Database<TestTables>;
    before(async () => {
      database = await target.open<TestTables>('order');
      await migrate(database, testMigrations);
    });
    after(() => target.cleanup());

    it("runs the same compiled statement with each call's values, constants kept", async () => {
      for (const [id, status] of [
        ['a', 'PAID'],
        ['b', 'WAIT_PAY'],
        ['c', 'PAID'],
      ])
        await insert(database.db, { id, status, amount: 100 });
      assert.equal(changedRows(await payMore(database.db, { id: 'a', by: 5 })), 1);
      assert.equal(changedRows(await payMore(database.db, { id: 'b', by: 5 })), 0, 'the constant guard still applies');
      assert.equal(changedRows(await payMore(database.db, { id: 'c', by: 7 })), 1);
      const amounts = await Promise.all(['a', 'b', 'c'].map(async (id) => (await byId(database.db, { id })).rows[0]));
      assert.deepEqual(
        amounts.map((r) => [r.id, r.status, Number(r.amount_cents)]),
        [
          ['a', 'PAID', 105],
          ['b', 'WAIT_PAY', 100],
          ['c', 'PAID', 107],
        ],
      );
      const note = await database.db.selectFrom('orders').select('note').where('id', '=', 'a').executeTakeFirstOrThrow();
      assert.equal(note.note, 'bumped');
    });

    it("runs inside a transaction, on the transaction's connection", async () => {
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await insert(trx, { id: 'rolled-back', status: 'PAID', amount: 1 });
          assert.equal((await byId(trx, { id: 'rolled-back' })).rows.length, 1, 'visible inside');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal((await byId(database.db, { id: 'rolled-back' })).rows.length, 0, 'gone after the rollback');
    });

    it('outside a transaction, never reads what an open transaction has not committed', async () => {
      // On SQLite the statements run on the one connection without Kysely's executor while they can (sqlite.ts,
      // DirectRunner): a read outside the transaction must then wait for it instead of reading its rows.
      assert.equal(directRunnerOf(database.db.getExecutor().adapter) !== undefined, target.dialect === 'sqlite');
      await insert(database.db, { id: 'isolated', status: 'WAIT_PAY', amount: 1 });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inside: string | undefined;
      const transaction = database.db
        .transaction()
        .execute(async (trx) => {
          await setStatus(trx, { id: 'isolated', status: 'PAID' });
          inside = (await byId(trx, { id: 'isolated' })).rows[0].status;
          await held;
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      while (inside === undefined) await new Promise((resolve) => setImmediate(resolve));
      const outside = byId(database.db, { id: 'isolated' });
      release();
      assert.equal(await transaction, 'roll back');
      assert.equal(inside, 'PAID', 'the transaction sees its own write');
      assert.equal((await outside).rows[0].status, 'WAIT_PAY', 'the read outside saw only committed rows');
      assert.equal(
        changedRows(await setStatus(database.db, { id: 'isolated', status: 'CLOSED' })),
        1,
        'a write outside a transaction counts its rows',
      );
    });
  });
}
