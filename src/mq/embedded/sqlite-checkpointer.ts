import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies WAL files back into their databases from one worker thread per thread that asks, each
 * file with the worker's own connection (PASSIVE: never blocks the writer). Done by the writer
 * itself (SQLite's auto-checkpoint), a checkpoint stalls the commit that crosses the threshold
 * for milliseconds — the p99 of a send or a payment would be that stall. Used by the embedded
 * broker's store and by every system database on SQLite.
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

/** One checkpointing thread per thread that opens SQLite files, shared by all of them. */
let shared: { worker: Worker; watches: Map<number, Watch>; nextId: number; stopping: number } | undefined;

function checkpointingThread() {
  if (shared) return shared;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const created = { worker: new Worker(WORKER, { eval: true, workerData: { driver } }), watches: new Map<number, Watch>(), nextId: 1, stopping: 0 };
  created.worker.on('message', ({ id, error, stopped }: { id: number; error?: string; stopped?: boolean }) => {
    const watch = created.watches.get(id);
    if (error) watch?.onError(error);
    if (!stopped) return;
    created.watches.delete(id);
    watch?.onStopped?.();
    if (--created.stopping === 0) created.worker.unref(); // idle again: never what keeps a process alive
  });
  created.worker.on('error', (error) => {
    for (const watch of created.watches.values()) watch.onError(error.message);
  });
  created.worker.unref();
  shared = created;
  return created;
}

/** Checkpoints `file` every `intervalMs` until stopped; the writer must run with `wal_autocheckpoint = 0`. */
export function startCheckpointer(file: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
  const thread = checkpointingThread();
  const id = thread.nextId++;
  const watch: Watch = { onError };
  thread.watches.set(id, watch);
  thread.worker.postMessage({ op: 'watch', id, file, intervalMs });
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        watch.onStopped = resolve;
        if (thread.stopping++ === 0) thread.worker.ref(); // keep the process alive until the last checkpoint is done
        thread.worker.postMessage({ op: 'stop', id });
      })),
  };
}
