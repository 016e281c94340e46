/**
 * Worker-thread entry: runs the simulators on their own event loop (and so on the machine's
 * other core), so that serving thousands of simulated vendor calls per second does not take
 * CPU from the systems that call them. Talks to its host (worker-host.ts) through the workers' RPC.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRpc } from '../workers/rpc.js';
import { type StartupProcedures, workerDataOf } from '../workers/spawn-worker.js';
import { lowerThisThreadsPriority } from '../workers/thread-priority.js';
import { startThirdParties, type ThirdParties, type ThirdPartiesOptions } from './start-third-parties.js';
import { THIRD_PARTY_NAMES } from './types.js';
import type { SimulatorsProcedures, SimulatorsReady } from './worker-host.js';

/** Below orderflow's main thread (0), above its consumers (19), which wait for these vendors' answers. */
const SIMULATORS_NICENESS = 10;

const port = parentPort;
if (!port) throw new Error('simulators-worker.ts runs only as a worker thread');
// The simulated vendors stand in for other companies' machines: on ours they yield to orderflow itself.
lowerThisThreadsPriority({ debug() {} }, SIMULATORS_NICENESS);
let thirdParties: ThirdParties | undefined;
const started = () => thirdParties as ThirdParties; // the host calls nothing before `ready`
const host = createRpc<SimulatorsProcedures, StartupProcedures<SimulatorsReady>>(port, {
  setKnobs: (name, patch) => started().setKnobs(name, patch),
  stats: (name) => started().stats(name),
  close: () => started().close(),
});
try {
  const parties = await startThirdParties(workerDataOf<ThirdPartiesOptions>(workerData));
  thirdParties = parties;
  await host.call('ready', {
    urls: { ...parties.urls },
    knobs: Object.fromEntries(THIRD_PARTY_NAMES.map((n) => [n, parties.getKnobs(n)])) as SimulatorsReady['knobs'],
  });
} catch (error) {
  await host.call('failed', (error as Error).message);
}
