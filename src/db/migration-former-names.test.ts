import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DbError, DbErrorCode } from './errors.js';
import { type Migration, migrate } from './migrate.js';
import { dbTestTargets } from './testing.js';

/** A migration that fails if it runs twice: its table exists after the first run. */
const createTable = (table: string): Migration => ({
  up: (db) =>
    db.schema
      .createTable(table)
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .execute(),
});

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`migrate: renamed migrations (formerNames) on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());

    it('a migration that ran under a former name is not run again, and later ones run', async () => {
      const database = await target.open('renamed');
      assert.deepEqual(await migrate(database, { '001_a': createTable('a'), '001_b': createTable('b') }), ['001_a', '001_b']);
      const renamed = { '001_a': createTable('a'), '002_b': { ...createTable('b'), formerNames: ['001_b'] }, '003_c': createTable('c') };
      assert.deepEqual(await migrate(database, renamed), ['003_c']);
      assert.deepEqual(await migrate(database, renamed), []);
    });

    it('a new database runs a renamed migration under its new name', async () => {
      const database = await target.open('renamed-fresh');
      assert.deepEqual(await migrate(database, { '002_b': { ...createTable('b'), formerNames: ['001_b'] } }), ['002_b']);
    });

    it("a former name that is still a migration's name is refused before anything runs", async () => {
      const database = await target.open('renamed-clash');
      const clash = { '001_a': createTable('a'), '002_a': { ...createTable('a2'), formerNames: ['001_a'] } };
      await assert.rejects(migrate(database, clash), (error: unknown) => {
        assert.ok(error instanceof DbError);
        assert.equal(error.code, DbErrorCode.INVALID_ARGUMENT);
        assert.match(error.message, /'002_a' .* lists '001_a' as a former name/);
        return true;
      });
      assert.deepEqual(await migrate(database, { '001_a': createTable('a') }), ['001_a'], 'nothing ran before the refusal');
    });
  });
}
