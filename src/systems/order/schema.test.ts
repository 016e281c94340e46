import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type Database, type Migration, migrate } from '../../db/index.js';
import { dbTestTargets } from '../../db/testing.js';
import { type OrderDB, orderMigrations } from './schema.js';

/** The order system's migrations as they were named before two of them stopped sharing 002: former name → name now. */
const FORMER_NAMES: Record<string, string> = {
  '001_orders': '001_orders',
  '002_outbox': '002_outbox',
  '002_outbox_history_seq': '003_outbox_history_seq',
  '003_refunds': '004_refunds',
  '004_message_outbox': '005_message_outbox',
};

/** The migrations added after the renumbering: they never had another name. */
const ADDED_SINCE = Object.keys(orderMigrations).filter((name) => !Object.values(FORMER_NAMES).includes(name));

/** The first `count` migrations under their former names: what the code before the renumbering ran. */
function formerMigrations(count: number): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(FORMER_NAMES)
      .slice(0, count)
      .map(([former, now]) => [former, { up: orderMigrations[now].up }]),
  );
}

async function recordedNames(database: Database<OrderDB>): Promise<string[]> {
  const table = sql.table(`${database.system.replaceAll('-', '_')}_migrations`);
  const { rows } = await sql<{ name: string }>`SELECT name FROM ${table} ORDER BY name`.execute(database.db);
  return rows.map((row) => row.name);
}

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`order system migrations on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());

    it('are numbered once each, in the order they always ran', () => {
      const names = Object.keys(orderMigrations);
      assert.deepEqual(names, [...Object.values(FORMER_NAMES), ...ADDED_SINCE], 'the renamed ones first, in their order');
      assert.deepEqual(names, [...names].sort(), 'numbered in the order they run');
      assert.equal(new Set(names.map((name) => name.slice(0, 3))).size, names.length, 'no two share a number');
    });

    it('a database migrated under the former names keeps its data and history: nothing runs again, the records take the new names', async () => {
      const database = await target.open<OrderDB>('order');
      assert.deepEqual(await migrate(database, formerMigrations(5)), Object.keys(FORMER_NAMES));
      await database.db.insertInto('users').values({ user_id: 'u1', phone: '100', password_hash: 'x', created_at: 1 }).execute();

      assert.deepEqual(
        await migrate(database, orderMigrations),
        ADDED_SINCE,
        'no migration runs twice (a second CREATE TABLE would fail): only those added since',
      );
      assert.deepEqual(await recordedNames(database), Object.keys(orderMigrations));
      assert.deepEqual(await migrate(database, orderMigrations), []);
      assert.equal((await database.db.selectFrom('users').select('user_id').execute()).length, 1);
    });

    it('one migrated part way under the former names gets only the migrations it lacks', async () => {
      const database = await target.open<OrderDB>('order-part-way');
      await migrate(database, formerMigrations(3)); // up to the second 002
      assert.deepEqual(await migrate(database, orderMigrations), ['004_refunds', '005_message_outbox', ...ADDED_SINCE]);
      assert.deepEqual(await recordedNames(database), Object.keys(orderMigrations));
    });
  });
}
