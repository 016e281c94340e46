import { Worker } from 'node:worker_threads';
import { ThirdPartyError, ThirdPartyErrorCode } from './errors.js';
import { applyKnobsPatch, parseKnobsPatch } from './knobs.js';
import type { ThirdPartiesOptions } from './start-third-parties.js';
import { isThirdPartyName, THIRD_PARTY_NAMES, type Knobs, type ThirdPartyName, type ThirdPartyStats } from './types.js';

export type HostMessage =
  | { type: 'setKnobs'; name: ThirdPartyName; patch: Partial<Knobs> }
  | { type: 'stats'; id: number; name: ThirdPartyName }
  | { type: 'close' };

type WorkerMessage =
  | { type: 'ready'; urls: Record<ThirdPartyName, string>; knobs: Record<ThirdPartyName, Knobs> }
  | { type: 'failed'; message: string }
  | { type: 'stats'; id: number; stats: ThirdPartyStats }
  | { type: 'closed' };

/** The simulators running in a worker thread, driven from here: knobs are applied at once, counters are asked for. */
export interface ThirdPartiesHandle {
  readonly urls: Readonly<Record<ThirdPartyName, string>>;
  getKnobs(name: ThirdPartyName): Knobs;
  /** Validated here (a bad value throws THIRD_PARTY_INVALID_KNOB naming the field), then sent to the worker. */
  setKnobs(name: ThirdPartyName, patch: Partial<Knobs>): Knobs;
  stats(name: ThirdPartyName): Promise<ThirdPartyStats>;
  close(): Promise<void>;
}

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
  const known = (name: ThirdPartyName) => {
    if (!isThirdPartyName(name)) {
      throw new ThirdPartyError(ThirdPartyErrorCode.NOT_FOUND, 'name', `no third party '${String(name)}': expected ${THIRD_PARTY_NAMES.join(', ')}`);
    }
    return name;
  };
  let closing: Promise<void> | undefined;
  return {
    urls: Object.freeze(ready.urls),
    getKnobs: (name) => ({ ...(knobs.get(known(name)) as Knobs) }),
    setKnobs(name, patch) {
      const next = applyKnobsPatch(knobs.get(known(name)) as Knobs, parseKnobsPatch(patch));
      knobs.set(name, next);
      worker.postMessage({ type: 'setKnobs', name, patch } satisfies HostMessage);
      return { ...next };
    },
    stats(name) {
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
