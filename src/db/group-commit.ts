import { sql, type Kysely, type Transaction } from 'kysely';
import { isLockConflict } from './error-predicates.js';

interface Job<DB> {
  work(trx: Transaction<DB>): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Transactions that share one commit: see groupCommitter. */
export interface GroupCommitter<DB> {
  /** Runs `work` as its own transaction (all or nothing), committed together with those asked for meanwhile. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
}

/** Most transactions one commit carries: bounds how long the first of them waits. */
export const MAX_GROUP = 256;

/**
 * Group commit for a database with one writer (SQLite): the transactions asked for while one is
 * committing run together in ONE database transaction, each inside its own SAVEPOINT — a transaction
 * that throws is rolled back to its savepoint alone and rejects; the others commit. Every caller's
 * promise settles only after the shared COMMIT, so nothing is acknowledged before it is durable.
 * On SQLite a commit (writing the WAL frames, taking and releasing its locks) costs more than the
 * few statements of a payment; under load dozens of payments share it.
 *
 * `work` must touch only `trx` and must not wait for anything outside the database: the others of
 * its group wait for it.
 *
 * @example
 * const commits = groupCommitter(database.db);
 * const won = await commits.run((trx) => transition(trx, orderId, 'WAIT_PAY', 'PAID', now));
 */
export function groupCommitter<DB>(db: Kysely<DB>): GroupCommitter<DB> {
  let queue: Job<DB>[] = [];
  let running = false;

  const runGroup = async (group: Job<DB>[]) => {
    const settled: { ok: boolean; value: unknown }[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (const job of group) {
          if (group.length === 1) {
            // Alone: no savepoint needed, a throw rolls back the whole (one-job) transaction.
            settled.push({ ok: true, value: await job.work(trx) });
            continue;
          }
          await sql`savepoint orderflow_job`.execute(trx);
          try {
            settled.push({ ok: true, value: await job.work(trx) });
          } catch (error) {
            await sql`rollback to savepoint orderflow_job`.execute(trx);
            settled.push({ ok: false, value: error });
          }
          await sql`release savepoint orderflow_job`.execute(trx);
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed (or the lone job threw): nothing of this group was committed.
      for (const job of group) job.reject(error);
      return;
    }
    group.forEach((job, i) => (settled[i].ok ? job.resolve(settled[i].value) : job.reject(settled[i].value)));
  };

  const drain = async () => {
    running = true;
    try {
      while (queue.length > 0) {
        const group = queue.slice(0, MAX_GROUP);
        queue = queue.slice(group.length);
        await runGroup(group);
      }
    } finally {
      running = false;
    }
  };

  return {
    run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        // Not running: start on the next turn, so that what this turn asks for joins the group.
        if (!running) {
          running = true;
          setImmediate(() => void drain());
        }
      });
    },
  };
}

/** Attempts of one transaction that MySQL chose as a deadlock victim (or whose lock wait timed out). */
export const MAX_LOCK_CONFLICT_ATTEMPTS = 5;

/**
 * Group commit where it pays (SQLite's one writer); on MySQL every transaction runs on its own pooled
 * connection, and one that InnoDB rolled back to break a deadlock is run again (after a short, growing,
 * jittered pause), as MySQL documents: `work` touches only the database, so running it again is safe.
 */
export function transactionsFor<DB>(database: { db: Kysely<DB>; dialect: string }): GroupCommitter<DB> {
  if (database.dialect === 'sqlite') return groupCommitter(database.db);
  return {
    async run(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await database.db.transaction().execute(work);
        } catch (error) {
          if (attempt >= MAX_LOCK_CONFLICT_ATTEMPTS || !isLockConflict(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, attempt * (1 + Math.random() * 4)));
        }
      }
    },
  };
}
