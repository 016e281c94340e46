import { Worker } from 'node:worker_threads';
import { applyKnobsPatch, parseKnobsPatch } from './knobs.js';
import type { ThirdPartiesOptions } from './start-third-parties.js';
import { knownThirdParty, type ThirdPartiesHandle } from './third-parties-handle.js';
import type { Knobs, ThirdPartyName, ThirdPartyStats } from './types.js';

export type { ThirdPartiesHandle } from './third-parties-handle.js';

export type HostMessage =
  | { type: 'setKnobs'; name: ThirdPartyName; patch: Partial<Knobs> }
  | { type: 'stats'; id: number; name: ThirdPartyName }
  | { type: 'close' };

type WorkerMessage =
  | { type: 'ready'; urls: Record<ThirdPartyName, string>; knobs: Record<ThirdPartyName, Knobs> }
  | { type: 'failed'; message: string }
  | { type: 'stats'; id: number; stats: ThirdPartyStats }
  | { type: 'closed' };

/**
 * Starts the SMS vendor, logistics company and payment provider in a worker thread.
 * Options are those of startThirdParties, less the logger and random source (functions do not
 * cross threads): the worker logs nothing.
 */
export async function startThirdPartiesInWorker(options: Omit<ThirdPartiesOptions, 'logger' | 'random'> = {}): Promise<ThirdPartiesHandle> {
  // Run from source (tsx) the entry is the .ts file; built, the .js beside this one.
  const entry = new URL(import.meta.url.endsWith('.ts') ? './simulators-worker-dev.mjs' : './simulators-worker.js', import.meta.url);
  const worker = new Worker(entry, { workerData: options });
  const pending = new Map<number, (stats: ThirdPartyStats) => void>();
  let nextId = 0;
  let onClosed: (() => void) | undefined;
  const ready = await new Promise<Extract<WorkerMessage, { type: 'ready' }>>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'failed') reject(new Error(`third-party simulators did not start: ${message.message}`));
      else if (message.type === 'stats') pending.get(message.id)?.(message.stats);
      else if (message.type === 'closed') onClosed?.();
    });
  });
  const knobs = new Map(Object.entries(ready.knobs) as [ThirdPartyName, Knobs][]);
  const known = knownThirdParty;
  let closing: Promise<void> | undefined;
  return {
    urls: Object.freeze(ready.urls),
    knobsAt: 'in-process',
    // Knobs are mirrored here (the worker applies what the host sends), so reading them needs no round trip.
    getKnobs: async (name) => ({ ...(knobs.get(known(name)) as Knobs) }),
    async setKnobs(name, patch) {
      const next = applyKnobsPatch(knobs.get(known(name)) as Knobs, parseKnobsPatch(patch));
      knobs.set(name, next);
      worker.postMessage({ type: 'setKnobs', name, patch } satisfies HostMessage);
      return { ...next };
    },
    async stats(name) {
      known(name);
      const id = ++nextId;
      return new Promise((resolve) => {
        pending.set(id, (stats) => {
          pending.delete(id);
          resolve(stats);
        });
        worker.postMessage({ type: 'stats', id, name } satisfies HostMessage);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        onClosed = () => void worker.terminate().then(() => resolve());
        worker.postMessage({ type: 'close' } satisfies HostMessage);
      });
      return closing;
    },
  };
}
