/** MySQL/MariaDB: the isolation level of every session, and transactions that InnoDB chose as deadlock victims run again. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Transaction } from 'kysely';
import { MAX_LOCK_CONFLICT_ATTEMPTS, transactionsFor } from './group-commit.js';
import { migrate } from './migrate.js';
import type { Database } from './open-database.js';
import { testMigrations, type TestTables } from './test-migrations.fixture.js';
import { dbTestTargets } from './testing.js';

const [, mysql] = dbTestTargets(process.env.MYSQL_URL);
const row = (id: string) => ({
  id,
  business_key: `bk-${id}`,
  status: 'WAIT_PAY',
  amount_cents: 0,
  created_at: 1,
  note: null,
  payload: null,
});

describe('lock conflicts on MySQL/MariaDB', { skip: mysql.skip }, () => {
  let database: Database<TestTables>;
  before(async () => {
    database = await mysql.open<TestTables>('order');
    await migrate(database, testMigrations);
    await database.db
      .insertInto('orders')
      .values([row('a'), row('b')])
      .execute();
  });
  after(() => mysql.cleanup());

  it('every session reads committed data (READ COMMITTED: no gap locks for reads and scans)', async () => {
    // MySQL 8 and MariaDB ≥ 11.1 call it transaction_isolation; MariaDB before 11.1 only tx_isolation.
    const level = await sql<{ level: string }>`SELECT @@SESSION.transaction_isolation AS level`
      .execute(database.db)
      .catch(() => sql<{ level: string }>`SELECT @@SESSION.tx_isolation AS level`.execute(database.db));
    assert.equal(level.rows[0].level, 'READ-COMMITTED');
  });

  it('two transactions locking two rows in opposite orders both commit: the deadlock victim is run again', async () => {
    const commits = transactionsFor(database);
    let runs = 0;
    // Each holds its first row until the other holds its own, then asks for the other's: a deadlock, every time.
    let holding = 0;
    const bothHold = () =>
      new Promise<void>((resolve) => {
        holding++;
        const check = () => (holding >= 2 ? resolve() : setTimeout(check, 5));
        check();
      });
    const bump = (first: string, second: string) => async (trx: Transaction<TestTables>) => {
      runs++;
      await trx
        .updateTable('orders')
        .set((eb) => ({ amount_cents: eb('amount_cents', '+', 1) }))
        .where('id', '=', first)
        .execute();
      if (runs <= 2) await bothHold(); // only the first attempts meet; the rerun goes straight through
      await trx
        .updateTable('orders')
        .set((eb) => ({ amount_cents: eb('amount_cents', '+', 1) }))
        .where('id', '=', second)
        .execute();
    };
    await Promise.all([commits.run(bump('a', 'b')), commits.run(bump('b', 'a'))]);
    assert.equal(runs, 3, 'one of the two was run again');
    const amounts = await database.db.selectFrom('orders').select(['id', 'amount_cents']).orderBy('id').execute();
    assert.deepEqual(
      amounts.map((r) => Number(r.amount_cents)),
      [2, 2],
      'each committed exactly once',
    );
  });

  it('gives up after MAX_LOCK_CONFLICT_ATTEMPTS and rethrows the deadlock', async () => {
    const commits = transactionsFor(database);
    let runs = 0;
    const deadlock = Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
      code: 'ER_LOCK_DEADLOCK',
      errno: 1213,
    });
    await assert.rejects(
      commits.run(async () => {
        runs++;
        throw deadlock;
      }),
      { code: 'ER_LOCK_DEADLOCK' },
    );
    assert.equal(runs, MAX_LOCK_CONFLICT_ATTEMPTS);
  });
});
