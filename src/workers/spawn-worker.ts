import { Worker } from 'node:worker_threads';

/**
 * The module `name` beside `here` (an import.meta.url), with the caller's own extension: `.ts`
 * when orderflow runs from its sources (tsx), `.js` when built.
 */
export function siblingModule(here: string, name: string): URL {
  return new URL(`./${name}${here.endsWith('.ts') ? '.ts' : '.js'}`, here);
}

/**
 * Starts a worker thread running `entry`. Workers do not inherit tsx's loader, so a `.ts` entry
 * goes through tsx-entry.mjs, which registers tsx in the new thread first.
 */
export function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  return new Worker(new URL('./tsx-entry.mjs', import.meta.url), { workerData: { entry: entry.href, data: workerData } });
}

/** Inside a worker: the data given to spawnWorker, whichever way the worker was started. */
export function workerDataOf<T>(raw: unknown): T {
  const wrapped = raw as { entry?: string; data?: T } | undefined;
  return (wrapped && typeof wrapped.entry === 'string' && 'data' in wrapped ? wrapped.data : raw) as T;
}
