/**
 * plainjobs 0.0.4: a SQLite (better-sqlite3) job queue, the "no Redis" choice a Node user might make.
 *
 *   npx tsx bench/peers/plainjobs.ts [--messages=50000 --bodyBytes=1024 --concurrency=64 --delayed=10000 --delayMs=5000] [--json]
 *
 * Each run uses a fresh SQLite file in a new temp directory, removed afterwards.
 *
 * What the library offers, read from node_modules/plainjobs/dist (the code that actually runs):
 *  - queue.add(type, data) is synchronous: one INSERT, autocommit (one transaction per job).
 *  - The published 0.0.4 build has no addMany (its src/ has one, its dist/ and .d.ts do not).
 *  - defineWorker() processes one job at a time; there is no concurrency option. Each loop turn runs
 *    BEGIN IMMEDIATE for cron schedules, BEGIN IMMEDIATE select+mark for the next job, then an UPDATE to 'done'.
 *  - No delayed jobs: add() takes no delay/run-at, only cron schedule() exists. No lateness figure.
 *  - defineQueue() itself sets journal_mode=WAL and synchronous=1 (NORMAL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defineQueue, defineWorker, type Logger, type Worker } from 'plainjobs';
import { PHASE_BUDGET_MS, isMain, makeBody, packageVersion, progress, runStandalone } from './common.js';
import { round, summarize } from './stats.js';
import type { Figure, PeerOptions, PeerResult } from './types.js';

const BULK_CHUNK = 1000;
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

function latencyFields(lat: number[], extra: string[]): { p50Ms: number; p99Ms: number; note: string } {
  const s = summarize(lat);
  const note = [`p99.9 ${round(s.p999)} ms, max ${round(s.max)} ms`, ...extra].join('; ');
  return { p50Ms: round(s.p50), p99Ms: round(s.p99), note };
}

function budgetNote(done: number, total: number): string[] {
  return done < total ? [`stopped at the ${PHASE_BUDGET_MS / 1000}s phase budget after ${done} of ${total}`] : [];
}

export async function benchPlainjobs(opts: PeerOptions): Promise<PeerResult> {
  const { messages, bodyBytes, concurrency } = opts;
  const log = opts.onProgress ?? (() => {});
  const body = makeBody(bodyBytes);
  const figures: Figure[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-plainjobs-'));
  const file = join(dir, 'queue.db');

  // plainjobs logs every job at debug level through console by default; keep only problems.
  const logger: Logger = {
    error: (m: string, ...meta: unknown[]) => log(`plainjobs error: ${m} ${meta.map(String).join(' ')}`),
    warn: (m: string, ...meta: unknown[]) => log(`plainjobs warn: ${m} ${meta.map(String).join(' ')}`),
    info: () => {},
    debug: () => {},
  };

  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const queue = defineQueue({ connection: db, logger });
  try {
    // Observed after defineQueue (which sets its own pragmas), not assumed.
    const journal = String(db.pragma('journal_mode', { simple: true }));
    const syncLevel = Number(db.pragma('synchronous', { simple: true }));
    const sqliteVersion = String((db.prepare('select sqlite_version() as v').get() as { v: string }).v);
    const syncName = SYNCHRONOUS[syncLevel] ?? String(syncLevel);
    let durability = `SQLite ${sqliteVersion} file, journal_mode=${journal}, synchronous=${syncLevel} (${syncName}), as set by plainjobs' defineQueue -> `;
    if (journal === 'wal' && syncLevel === 1) {
      durability +=
        'every add() is its own committed transaction, so jobs survive a process crash; the WAL is fsynced only at checkpoints, so an OS crash or power loss can roll back the most recent adds.';
    } else if (syncLevel >= 2) {
      durability += 'every add() commit is fsynced: an acknowledged add survives a process crash, OS crash and power loss.';
    } else {
      durability +=
        'commits are not fsynced: an OS crash or power loss can lose or corrupt recent adds; a process crash keeps committed adds.';
    }
    log(`plainjobs: ${file}; ${durability}`);

    // (a) one add at a time. add() is synchronous (better-sqlite3), so "awaited" has nothing to await.
    {
      const tick = progress(log, 'plainjobs add one by one', messages);
      const lat: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < messages; i++) {
        if (performance.now() - t0 > PHASE_BUDGET_MS) break;
        const s = performance.now();
        queue.add('add1', { body });
        lat.push(performance.now() - s);
        tick(i + 1);
      }
      const secs = (performance.now() - t0) / 1000;
      const held = queue.countJobs({ type: 'add1' });
      const extra = [...budgetNote(lat.length, messages), 'add() is synchronous, one autocommit INSERT each'];
      if (held !== lat.length) extra.push(`SQLite holds ${held}, expected ${lat.length}`);
      figures.push({ name: 'add one by one', unit: 'msg/s', value: lat.length / secs, ...latencyFields(lat, extra) });
    }

    // (b) `concurrency` async callers. add() blocks the thread, so they run one after another:
    // nothing is ever really "in flight"; the figure is reported for comparison, with that caveat.
    {
      const tick = progress(log, `plainjobs add with ${concurrency} in flight`, messages);
      const lat: number[] = [];
      let next = 0;
      const t0 = performance.now();
      const lane = async () => {
        while (next < messages && performance.now() - t0 <= PHASE_BUDGET_MS) {
          next++;
          await Promise.resolve();
          const s = performance.now();
          queue.add('addc', { body });
          lat.push(performance.now() - s);
          tick(lat.length);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
      const secs = (performance.now() - t0) / 1000;
      const held = queue.countJobs({ type: 'addc' });
      const extra = [
        ...budgetNote(lat.length, messages),
        `add() is synchronous: ${concurrency} async callers serialize on the one thread, so at most one add is ever in flight`,
      ];
      if (held !== lat.length) extra.push(`SQLite holds ${held}, expected ${lat.length}`);
      figures.push({ name: `add with ${concurrency} in flight`, unit: 'msg/s', value: lat.length / secs, ...latencyFields(lat, extra) });
    }

    // (c) pre-fill N jobs, then `concurrency` workers (the library has no per-worker concurrency) drain them.
    {
      const fillTick = progress(log, 'plainjobs pre-fill (add() in transactions of 1000)', messages);
      const fill = db.transaction((n: number) => {
        for (let k = 0; k < n; k++) queue.add('process', { body });
      });
      for (let i = 0; i < messages; i += BULK_CHUNK) {
        const n = Math.min(BULK_CHUNK, messages - i);
        fill(n);
        fillTick(i + n);
      }
      const pending = queue.countJobs({ type: 'process', status: 'pending' });

      const tick = progress(log, `plainjobs process (${concurrency} workers)`, messages);
      let completed = 0;
      let failed = 0;
      let lastAt = 0;
      let timedOut = false;
      let resolveDone!: () => void;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      let t0 = 0;
      const finishIfDone = () => {
        if (completed + failed >= messages) resolveDone();
        else if (performance.now() - t0 > PHASE_BUDGET_MS) {
          // The worker loops only yield to microtasks while jobs remain, so a timer could not fire: check here.
          timedOut = true;
          resolveDone();
        }
      };
      const workers: Worker[] = [];
      for (let w = 0; w < Math.max(1, concurrency); w++) {
        workers.push(
          defineWorker('process', async () => {}, {
            queue,
            logger,
            onCompleted: () => {
              completed++;
              lastAt = performance.now();
              tick(completed);
              finishIfDone();
            },
            onFailed: () => {
              failed++;
              finishIfDone();
            },
          }),
        );
      }
      t0 = performance.now();
      const loops = workers.map((w) => w.start().catch((err: unknown) => log(`plainjobs worker stopped: ${String(err)}`)));
      await done;
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(loops);
      const secs = ((lastAt || performance.now()) - t0) / 1000;
      const doneInDb = queue.countJobs({ type: 'process', status: 'done' });
      const notes = [
        `N / (workers start -> last completion); ${concurrency} defineWorker() loops in one process sharing one connection (a worker runs one job at a time)`,
        'done rows are kept (no removeOnComplete; maintenance deletes them after 7 days by default)',
      ];
      if (pending !== messages) notes.push(`pre-fill: ${pending} pending, expected ${messages}`);
      if (doneInDb !== completed) notes.push(`SQLite has ${doneInDb} done, callbacks counted ${completed}`);
      if (failed) notes.push(`${failed} failed`);
      if (timedOut) notes.push(`stopped at the ${PHASE_BUDGET_MS / 1000}s phase budget after ${completed} of ${messages}`);
      notes.push(
        'delayed-job lateness: not measured - plainjobs 0.0.4 has no delayed jobs (add() takes no delay or run-at; only cron schedule())',
      );
      figures.push({ name: 'process', unit: 'msg/s', value: completed / secs, note: notes.join('; ') });
    }
    if (opts.delayed > 0) log('plainjobs: no delayed jobs in this library, skipping the delayed-job lateness phase');

    const version = `${packageVersion(import.meta.url, 'plainjobs')} (better-sqlite3 ${packageVersion(import.meta.url, 'better-sqlite3')}, SQLite ${sqliteVersion})`;
    return { peer: 'plainjobs', version, durability, figures };
  } finally {
    queue.close(); // stops its maintenance timer and closes the connection
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  await runStandalone(benchPlainjobs);
}
