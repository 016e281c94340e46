/**
 * SQLite under concurrency: many transactions at once in one process, and several connections
 * (threads standing in for processes) writing the same file, end without SQLITE_BUSY and
 * without a lost update.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { migrate } from './migrate.js';
import { openDatabase } from './open-database.js';
import type { Database } from './open-database.js';
import { withTransaction } from './transaction.js';
import { testMigrations } from './test-migrations.fixture.js';
import type { TestTables } from './test-migrations.fixture.js';

describe('sqlite contention', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-db-contention-'));
  let database: Database<TestTables>;
  before(async () => {
    database = await openDatabase<TestTables>({ url: 'sqlite', dataDir, system: 'counter' });
    await migrate(database, testMigrations);
  });
  after(async () => {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const reset = () => database.db.replaceInto('counters').values({ name: 'c', value: 0 }).execute();
  const value = async () =>
    (await database.db.selectFrom('counters').select('value').where('name', '=', 'c').executeTakeFirstOrThrow()).value;

  it('50 concurrent read-then-write transactions in one process end at 50', async () => {
    await reset();
    await Promise.all(
      Array.from({ length: 50 }, () =>
        withTransaction(database, async (trx) => {
          const row = await trx.selectFrom('counters').select('value').where('name', '=', 'c').executeTakeFirstOrThrow();
          await new Promise((resolve) => setImmediate(resolve));
          await trx
            .updateTable('counters')
            .set({ value: row.value + 1 })
            .where('name', '=', 'c')
            .execute();
        }),
      ),
    );
    assert.equal(await value(), 50);
  });

  it('3 connections on the same file, 20 read-then-write transactions each at the same time, end at 60', async () => {
    await reset();
    const workers = Array.from({ length: 3 }, () => startWorker({ dataDir, system: 'counter', increments: 20 }));
    await Promise.all(workers.map((worker) => worker.ready));
    const results = await Promise.all(workers.map((worker) => worker.go()));
    assert.deepEqual(results, Array(3).fill({ ok: true }));
    assert.equal(await value(), 60);
    // Each worker closes its connection (last checkpoint) after reporting: wait, so cleanup never races its files.
    await Promise.all(workers.map((worker) => worker.exited));
  });
});

/** A worker that opens the file, reports ready, and runs its transactions on go(), resolving with its result. */
function startWorker(workerData: { dataDir: string; system: string; increments: number }) {
  // The fixture is TypeScript: register tsx in the worker first (Node 20 workers do not load a .ts
  // entry even with `--import tsx` in execArgv), then import it.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const fixture = JSON.stringify(new URL('./sqlite-contention.fixture.ts', import.meta.url).href);
  const worker = new Worker(`import(${tsx}).then((api) => { api.register(); return import(${fixture}); })`, { eval: true, workerData });
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
  });
  const nextMessage = () => Promise.race([new Promise<unknown>((resolve) => worker.once('message', resolve)), failed]);
  const ready = nextMessage();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    ready,
    exited,
    go: () => {
      const result = nextMessage();
      worker.postMessage('go');
      return result;
    },
  };
}
