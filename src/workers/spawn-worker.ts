import { Worker } from 'node:worker_threads';
import { AppError, ErrorCode } from '../errors.js';
import { createRpc, type Procedures, type Rpc } from './rpc.js';

/**
 * The one way orderflow runs code in a worker thread (the downstream systems, the vendor simulators): the entry is
 * spawned here, both sides talk through createRpc with a procedure type per side, and the worker reports once that
 * it started (ready) or why it could not (failed).
 */

/** What a worker calls on its host once, at start: `ready` with what the host needs to know, or `failed` with why. */
export interface StartupProcedures<Ready> {
  ready(value: Ready): void;
  failed(message: string): void;
}

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

export interface StartedWorker<Remote extends Procedures<Remote>, Ready> {
  worker: Worker;
  /** Calls to the worker's procedures. */
  rpc: Rpc<Remote>;
  /** What the worker reported with `ready`. */
  ready: Ready;
}

/**
 * Spawns `entry`, serves it `serve(…)` (plus `ready` and `failed`), and resolves once it reports ready. A worker
 * that reports failed, fails or exits while starting is terminated and the promise rejects saying so.
 */
export async function startWorker<Local extends Procedures<Local>, Remote extends Procedures<Remote>, Ready>(options: {
  entry: URL;
  data: unknown;
  /** Names the worker in errors: 'the downstream worker'. */
  what: string;
  /** The host's procedures; `worker()` calls the worker's (available once this returns). */
  serve(worker: () => Rpc<Remote>): Local;
}): Promise<StartedWorker<Remote, Ready>> {
  const worker = spawnWorker(options.entry, options.data);
  let rpc: Rpc<Remote> | undefined;
  const remote = () => rpc as Rpc<Remote>;
  let onError: ((error: Error) => void) | undefined;
  let onExit: ((code: number) => void) | undefined;
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      onError = (error) =>
        reject(new AppError(ErrorCode.INTERNAL, `${options.what} failed while starting: ${error.message}`, { cause: error }));
      onExit = (code) => reject(new AppError(ErrorCode.INTERNAL, `${options.what} exited (code ${code}) while starting`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      const startup: StartupProcedures<Ready> = {
        ready: (value) => resolve(value),
        failed: (message) => reject(new AppError(ErrorCode.INTERNAL, `${options.what} did not start: ${message}`)),
      };
      rpc = createRpc<Local & StartupProcedures<Ready>, Remote>(worker, { ...options.serve(remote), ...startup });
    });
    return { worker, rpc: remote(), ready };
  } catch (error) {
    await worker.terminate();
    throw error;
  } finally {
    if (onError) worker.off('error', onError);
    if (onExit) worker.off('exit', onExit);
  }
}
