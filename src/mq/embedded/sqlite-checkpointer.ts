import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies WAL files back into their databases from a worker thread (CheckpointingThread below), each
 * file with the worker's own connection (PASSIVE: never blocks the writer). Done by the writer
 * itself (SQLite's auto-checkpoint), a checkpoint stalls the commit that crosses the threshold
 * for milliseconds — the p99 of a send or a payment would be that stall. Used by the embedded
 * broker's store and by every system database on SQLite. The worker's code:
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const watched = new Map(); // id → { db, intervalMs, timer }
const checkpoint = (id, entry) => {
  try { entry.db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ id, error: String(error && error.message) }); }
};
const tick = (id) => {
  const entry = watched.get(id);
  if (!entry) return;
  checkpoint(id, entry);
  entry.timer = setTimeout(tick, entry.intervalMs, id);
};
parentPort.on('message', ({ op, id, file, intervalMs }) => {
  if (op === 'watch') {
    try {
      const db = new Database(file);
      db.pragma('busy_timeout = 100');
      watched.set(id, { db, intervalMs, timer: setTimeout(tick, intervalMs, id) });
    } catch (error) { parentPort.postMessage({ id, error: String(error && error.message) }); }
    return;
  }
  const entry = watched.get(id);
  watched.delete(id);
  if (entry) { clearTimeout(entry.timer); checkpoint(id, entry); entry.db.close(); }
  parentPort.postMessage({ id, stopped: true });
});
`;

export interface Checkpointer {
  /** Last checkpoint, then the worker lets go of the file. */
  stop(): Promise<void>;
}

interface Watch {
  onError(message: string): void;
  onStopped?: () => void;
}

/**
 * A thread that checkpoints SQLite files, shared by the files its owner opens: the embedded broker has one for its
 * store, the app one per thread for the systems' databases. It starts with the first file watched and ends once the
 * last is stopped, so nothing of it outlives its files; while idle between checkpoints it keeps no process alive.
 */
export class CheckpointingThread {
  #worker: Worker | undefined;
  readonly #watches = new Map<number, Watch>();
  #nextId = 1;
  /** Stops asked for and not yet answered: the process stays alive for them. */
  #stopping = 0;

  /** Whether the thread runs: from the first watch until the last stop. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Checkpoints `file` every `intervalMs` until stopped; the writer must run with `wal_autocheckpoint = 0`. */
  watch(file: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
    this.#worker ??= this.#start();
    const worker = this.#worker;
    const id = this.#nextId++;
    const watch: Watch = { onError };
    this.#watches.set(id, watch);
    worker.postMessage({ op: 'watch', id, file, intervalMs });
    let stopped: Promise<void> | undefined;
    return {
      stop: () =>
        (stopped ??= new Promise<void>((resolve) => {
          watch.onStopped = resolve;
          if (this.#stopping++ === 0) worker.ref(); // keep the process alive until the last checkpoint is done
          worker.postMessage({ op: 'stop', id });
        })),
    };
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { driver } });
    worker.on('message', ({ id, error, stopped }: { id: number; error?: string; stopped?: boolean }) => {
      const watch = this.#watches.get(id);
      if (error) watch?.onError(error);
      if (!stopped) return;
      this.#watches.delete(id);
      if (--this.#stopping === 0) worker.unref(); // idle again: never what keeps a process alive
      if (this.#watches.size > 0) return watch?.onStopped?.();
      // The last file let go: the thread ends (the next watch starts another).
      this.#worker = undefined;
      void worker.terminate().then(() => watch?.onStopped?.());
    });
    worker.on('error', (error) => {
      for (const watch of this.#watches.values()) watch.onError(error.message);
    });
    worker.unref();
    return worker;
  }
}
