import { siblingModule, startWorker } from '../workers/spawn-worker.js';
import { applyKnobsPatch, parseKnobsPatch } from './knobs.js';
import type { ThirdPartiesOptions } from './start-third-parties.js';
import { knownThirdParty, type ThirdPartiesHandle } from './third-parties-handle.js';
import type { Knobs, ThirdPartyName, ThirdPartyStats } from './types.js';

export type { ThirdPartiesHandle } from './third-parties-handle.js';

/** What the simulators' worker reports once started: where each vendor listens, and its starting knobs. */
export interface SimulatorsReady {
  urls: Record<ThirdPartyName, string>;
  knobs: Record<ThirdPartyName, Knobs>;
}

/** What the simulators' worker serves its host. */
export interface SimulatorsProcedures {
  setKnobs(name: ThirdPartyName, patch: Partial<Knobs>): Knobs;
  stats(name: ThirdPartyName): ThirdPartyStats;
  close(): Promise<void>;
}

/**
 * Starts the SMS vendor, logistics company and payment provider in a worker thread (simulators-worker.ts).
 * Options are those of startThirdParties, less the logger and random source (functions do not
 * cross threads): the worker logs nothing.
 */
export async function startThirdPartiesInWorker(options: Omit<ThirdPartiesOptions, 'logger' | 'random'> = {}): Promise<ThirdPartiesHandle> {
  const { worker, rpc, ready } = await startWorker<Record<never, never>, SimulatorsProcedures, SimulatorsReady>({
    entry: siblingModule(import.meta.url, 'simulators-worker'),
    data: options,
    what: 'the third-party simulators',
    serve: () => ({}),
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
      // Checked here as the worker checks it, so a refused patch (a bad value, a callback knob on a vendor that calls
      // nobody back) leaves the mirror as it was.
      const next = applyKnobsPatch(knobs.get(known(name)) as Knobs, parseKnobsPatch(patch, { callsBack: name === 'payment' }));
      await rpc.call('setKnobs', name, patch);
      knobs.set(name, next);
      return { ...next };
    },
    stats: async (name) => rpc.call('stats', known(name)),
    close() {
      closing ??= rpc.call('close').then(async () => void (await worker.terminate()));
      return closing;
    },
  };
}
