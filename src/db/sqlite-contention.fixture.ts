/**
 * Worker thread for sqlite-contention.test.ts: a second connection to the same SQLite file, as a
 * second process of the same system would have. Increments a counter `increments` times with a
 * read-then-write transaction — the pattern that fails with SQLITE_BUSY under deferred BEGIN.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './open-database.js';
import { withTransaction } from './transaction.js';
import type { TestTables } from './test-migrations.fixture.js';

const { dataDir, system, increments } = workerData as { dataDir: string; system: string; increments: number };
const database = await openDatabase<TestTables>({ url: 'sqlite', dataDir, system });
// Start together: loading a worker takes about a second, which would otherwise serialise them.
await new Promise((resolve) => {
  parentPort?.once('message', resolve);
  parentPort?.postMessage('ready');
});
try {
  for (let i = 0; i < increments; i++) await readThenIncrement();
  parentPort?.postMessage({ ok: true });
} catch (error) {
  parentPort?.postMessage({ ok: false, code: (error as { code?: string }).code, message: (error as Error).message });
} finally {
  await database.close();
}

async function readThenIncrement(): Promise<void> {
  await withTransaction(database, async (trx) => {
    const { value } = await trx.selectFrom('counters').select('value').where('name', '=', 'c').executeTakeFirstOrThrow();
    await new Promise((resolve) => setImmediate(resolve)); // let the other connections run in between
    await trx
      .updateTable('counters')
      .set({ value: value + 1 })
      .where('name', '=', 'c')
      .execute();
  });
}
