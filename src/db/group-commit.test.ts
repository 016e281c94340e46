/** Group commit (SQLite): one transaction per group, a savepoint per job. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely, Transaction } from 'kysely';
import { groupCommitter } from './group-commit.js';
import { migrate } from './migrate.js';
import type { Database } from './open-database.js';
import { testMigrations, type TestTables } from './test-migrations.fixture.js';
import { dbTestTargets } from './testing.js';

const row = (id: string, businessKey = `bk-${id}`) => ({
  id,
  business_key: businessKey,
  status: 'WAIT_PAY',
  amount_cents: 1,
  created_at: 1,
  note: null,
  payload: null,
});
const ids = async (db: Kysely<TestTables>) => (await db.selectFrom('orders').select('id').orderBy('id').execute()).map((r) => r.id);

const [sqlite] = dbTestTargets(undefined);
describe('groupCommitter on SQLite', () => {
  let database: Database<TestTables>;
  before(async () => {
    database = await sqlite.open<TestTables>('order');
    await migrate(database, testMigrations);
  });
  after(() => sqlite.cleanup());

  it('runs the jobs asked for in one turn as one transaction: each job all or nothing, a failing one alone rolled back', async () => {
    const commits = groupCommitter(database.db);
    let transactions = 0;
    const counted = async (trx: Transaction<TestTables>, id: string, businessKey?: string) => {
      transactions += trx.isTransaction ? 1 : 0;
      await trx.insertInto('orders').values(row(id, businessKey)).execute();
      await trx.updateTable('orders').set({ note: 'second statement' }).where('id', '=', id).execute();
      return id;
    };
    const results = await Promise.allSettled([
      commits.run((trx) => counted(trx, 'a')),
      // Its second row breaks the unique business key: its first statement must be undone too.
      commits.run(async (trx) => {
        await counted(trx, 'b');
        return counted(trx, 'b2', 'bk-a');
      }),
      commits.run((trx) => counted(trx, 'c')),
      commits.run(async () => {
        throw new Error('refused by the job itself');
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    assert.match(String((results[3] as PromiseRejectedResult).reason), /refused by the job itself/);
    assert.deepEqual(await ids(database.db), ['a', 'c']);
    const notes = await database.db.selectFrom('orders').select('note').execute();
    assert.ok(
      notes.every((n) => n.note === 'second statement'),
      'every statement of a committed job is kept',
    );
    assert.ok(transactions >= 4, 'every job ran inside the transaction');
  });

  it('acknowledges a job only once its group is committed', async () => {
    const commits = groupCommitter(database.db);
    let committedWhenAcknowledged: boolean | undefined;
    await commits
      .run((trx) => trx.insertInto('orders').values(row('d')).execute())
      .then(async () => {
        // Another connection sees the row only if the COMMIT happened: reading through the same one would also see an open transaction's rows.
        const other = await sqlite.open<TestTables>('order');
        committedWhenAcknowledged = (await ids(other.db)).includes('d');
        await other.close();
      });
    assert.equal(committedWhenAcknowledged, true);
  });

  it('a lone job that fails rolls back and rejects; the committer keeps working', async () => {
    const commits = groupCommitter(database.db);
    await assert.rejects(commits.run((trx) => trx.insertInto('orders').values(row('e', 'bk-a')).execute()));
    assert.equal(await commits.run(async (trx) => (await trx.insertInto('orders').values(row('f')).execute()).length), 1);
    assert.deepEqual(await ids(database.db), ['a', 'c', 'd', 'f']);
  });
});
