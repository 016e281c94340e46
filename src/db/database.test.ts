/**
 * The storage contract, run on every dialect: SQLite always, MySQL/MariaDB when MYSQL_URL is set.
 * Each dialect gets its own sandbox (temp dir / database base name), dropped afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { dbTestTargets } from './testing.js';
import { testMigrations } from './test-migrations.fixture.js';
import type { TestTables } from './test-migrations.fixture.js';
import { migrate } from './migrate.js';
import type { Database } from './open-database.js';
import { guardedUpdate } from './guarded-update.js';
import { insertIgnoreDuplicate } from './insert-ignore-duplicate.js';
import { isUniqueViolation } from './error-predicates.js';
import { withTransaction } from './transaction.js';
import { isDbError } from './errors.js';

const order = (id: string, over: Partial<TestTables['orders']> = {}): TestTables['orders'] => ({
  id,
  business_key: `bk-${id}`,
  status: 'WAIT_PAY',
  amount_cents: 12_345,
  created_at: 1_700_000_000_123,
  note: null,
  payload: null,
  ...over,
});

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`storage on ${target.dialect}`, { skip: target.skip }, () => {
    let database: Database<TestTables>;
    before(async () => {
      database = await target.open<TestTables>('order');
      await migrate(database, testMigrations);
    });
    after(() => target.cleanup());

    it('migrate: applies each migration once, a second run is a no-op', async () => {
      const fresh = await target.open<TestTables>('migrate-once');
      assert.deepEqual(await migrate(fresh, testMigrations), Object.keys(testMigrations));
      assert.deepEqual(await migrate(fresh, testMigrations), []);
      const tables = (await fresh.db.introspection.getTables()).map((table) => table.name).sort();
      assert.deepEqual(tables, ['counters', 'events', 'migrate_once_migrations', 'migrate_once_migrations_lock', 'order_items', 'orders']);
      await fresh.close();
    });

    it('migrate: a failing migration is reported by name, the earlier ones stay applied', async () => {
      const fresh = await target.open('migrate-fail');
      const failing = {
        ...testMigrations,
        '0004-broken': {
          up: async (db: Kysely<unknown>) => {
            await sql`this is not sql`.execute(db);
          },
        },
      };
      await assert.rejects(migrate(fresh, failing), (error: unknown) => {
        assert.ok(isDbError(error, 'DB_MIGRATION_FAILED'));
        assert.match(error.message, /migration '0004-broken' of system 'migrate-fail' failed/);
        return true;
      });
      assert.deepEqual(await migrate(fresh, testMigrations), []);
    });

    it('round-trip: epoch ms, cents, text and bytes come back with the same JS types', async () => {
      const payload = Buffer.from([0, 1, 2, 255]);
      const big = Number.MAX_SAFE_INTEGER;
      await database.db
        .insertInto('orders')
        .values(order('rt-1', { created_at: big, amount_cents: 999, note: 'héllo ✓', payload }))
        .execute();
      const row = await database.db.selectFrom('orders').selectAll().where('id', '=', 'rt-1').executeTakeFirstOrThrow();
      assert.equal(row.created_at, big);
      assert.equal(row.amount_cents, 999);
      assert.equal(row.note, 'héllo ✓');
      assert.ok(Buffer.isBuffer(row.payload));
      assert.deepEqual(row.payload, payload);
      const totals = await database.db
        .selectFrom('orders')
        .select((eb) => [eb.fn.sum<number>('amount_cents').as('sum'), eb.fn.countAll<number>().as('count')])
        .where('id', '=', 'rt-1')
        .executeTakeFirstOrThrow();
      assert.deepEqual(totals, { sum: 999, count: 1 }); // numbers on both, not DECIMAL strings / bigints
    });

    it('round-trip: strings compare byte for byte, as on SQLite', async () => {
      await database.db
        .insertInto('orders')
        .values([order('case-a', { business_key: 'abc' }), order('case-b', { business_key: 'ABC' })])
        .execute();
      const rows = await database.db.selectFrom('orders').select('id').where('business_key', '=', 'abc').execute();
      assert.deepEqual(rows, [{ id: 'case-a' }]);
    });

    it('auto-increment id: insertId is the new row id', async () => {
      const first = await database.db
        .insertInto('events')
        .values({ body: 'x'.repeat(70_000) })
        .executeTakeFirstOrThrow();
      const second = await database.db.insertInto('events').values({ body: 'y' }).executeTakeFirstOrThrow();
      assert.equal(Number(second.insertId), Number(first.insertId) + 1);
      const row = await database.db.selectFrom('events').select('body').where('id', '=', Number(first.insertId)).executeTakeFirstOrThrow();
      assert.equal(row.body.length, 70_000); // longText holds more than MySQL's 64 KB TEXT
    });

    it('unique violation: detected for a unique index and for a composite primary key', async () => {
      await database.db.insertInto('orders').values(order('dup-1')).execute();
      await assert.rejects(
        database.db
          .insertInto('orders')
          .values(order('dup-2', { business_key: 'bk-dup-1' }))
          .execute(),
        isUniqueViolation,
      );
      await assert.rejects(
        database.db
          .insertInto('orders')
          .values(order('dup-1', { business_key: 'other' }))
          .execute(),
        isUniqueViolation,
      );
      const item = { order_id: 'dup-1', sku_id: 'sku-1', quantity: 1, price_cents: 100 };
      await database.db.insertInto('order_items').values(item).execute();
      await assert.rejects(database.db.insertInto('order_items').values(item).execute(), isUniqueViolation);
      // another constraint is not a duplicate: a foreign key pointing nowhere
      await assert.rejects(
        database.db
          .insertInto('order_items')
          .values({ ...item, order_id: 'nope' })
          .execute(),
        (error) => !isUniqueViolation(error),
      );
    });

    it('insertIgnoreDuplicate: true once, then false, and the transaction goes on', async () => {
      const committed = await withTransaction(database, async (trx) => {
        const first = await insertIgnoreDuplicate(trx.insertInto('orders').values(order('idem-1')));
        const again = await insertIgnoreDuplicate(trx.insertInto('orders').values(order('idem-2', { business_key: 'bk-idem-1' })));
        await trx.insertInto('orders').values(order('idem-3')).execute();
        return [first, again];
      });
      assert.deepEqual(committed, [true, false]);
      const ids = await database.db.selectFrom('orders').select('id').where('id', 'like', 'idem-%').orderBy('id').execute();
      assert.deepEqual(
        ids.map((row) => row.id),
        ['idem-1', 'idem-3'],
      );
    });

    it('guarded update: counts 1 when the guard holds, then 0', async () => {
      await database.db.insertInto('orders').values(order('g-1')).execute();
      const pay = () =>
        guardedUpdate(database.db.updateTable('orders').set({ status: 'PAID' }).where('id', '=', 'g-1').where('status', '=', 'WAIT_PAY'));
      assert.equal(await pay(), 1);
      assert.equal(await pay(), 0);
      // matched rows, not changed rows: setting the current value still counts (FOUND_ROWS on MySQL)
      assert.equal(await guardedUpdate(database.db.updateTable('orders').set({ status: 'PAID' }).where('id', '=', 'g-1')), 1);
    });

    it('guarded update: of two racing transitions exactly one wins', async () => {
      await database.db.insertInto('orders').values(order('race-1')).execute();
      const transition = (to: string) =>
        withTransaction(database, (trx) =>
          guardedUpdate(trx.updateTable('orders').set({ status: to }).where('id', '=', 'race-1').where('status', '=', 'WAIT_PAY')),
        );
      const won = await Promise.all([transition('PAID'), transition('CANCELLED')]);
      assert.deepEqual(won.sort(), [0, 1]);
    });

    it('withTransaction: a throw rolls everything back; a nested call joins the outer transaction', async () => {
      await assert.rejects(
        withTransaction(database, async (trx) => {
          await trx.insertInto('orders').values(order('tx-1')).execute();
          await withTransaction(trx, (inner) => inner.insertInto('orders').values(order('tx-2')).execute());
          throw new Error('boom');
        }),
        /boom/,
      );
      const rows = await database.db.selectFrom('orders').select('id').where('id', 'in', ['tx-1', 'tx-2']).execute();
      assert.deepEqual(rows, []);
    });

    it('withTransaction: 50 concurrent increments end at 50 (no SQLITE_BUSY, no lost update)', async () => {
      await database.db.insertInto('counters').values({ name: 'c', value: 0 }).execute();
      await Promise.all(
        Array.from({ length: 50 }, () =>
          withTransaction(database, (trx) =>
            trx
              .updateTable('counters')
              .set((eb) => ({ value: eb('value', '+', 1) }))
              .where('name', '=', 'c')
              .execute(),
          ),
        ),
      );
      const row = await database.db.selectFrom('counters').select('value').where('name', '=', 'c').executeTakeFirstOrThrow();
      assert.equal(row.value, 50);
    });

    it("isolation: two systems get separate databases; one cannot see the other's tables", async () => {
      const push = await target.open<TestTables>('push');
      assert.notEqual(push.location, database.location);
      await assert.rejects(push.db.selectFrom('orders').selectAll().execute(), /no such table|doesn't exist/);
      assert.deepEqual(await push.db.introspection.getTables(), []);
    });

    it('slow-query log: a statement at least slowQueryMs long is logged at warn with its SQL, a quick one is not', async () => {
      const warnings: { sql: string; durationMs: number; system: string }[] = [];
      const logger = {
        debug() {},
        info() {},
        error() {},
        warn: (obj: object | string) => void warnings.push(obj as (typeof warnings)[number]),
      };
      const slowDb = await target.open<TestTables>('slow-log', { logger, slowQueryMs: 40 });
      await migrate(slowDb, testMigrations);
      await slowDb.db.selectFrom('orders').selectAll().execute();
      assert.equal(warnings.length, 0, 'a query on an empty table is not slow');
      // SQLite has no sleep(): a recursive CTE counting to 3 million takes well over 40 ms there.
      const slow =
        target.dialect === 'mysql'
          ? sql<{ n: number }>`select sleep(0.1) as n`
          : sql<{
              n: number;
            }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) as n from c`;
      await slow.execute(slowDb.db);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0].sql, target.dialect === 'mysql' ? /sleep/ : /with recursive c/);
      assert.ok(warnings[0].durationMs >= 40, `durationMs ${warnings[0].durationMs}`);
      assert.equal(warnings[0].system, 'slow-log');
      const quiet = await target.open<TestTables>('slow-log-off', { logger, slowQueryMs: 0 });
      await slow.execute(quiet.db);
      assert.equal(warnings.length, 1, 'slowQueryMs 0 turns the log off');
    });
  });
}
