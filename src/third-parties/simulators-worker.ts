/**
 * Worker-thread entry: runs the simulators on their own event loop (and so on the machine's
 * other core), so that serving thousands of simulated vendor calls per second does not take
 * CPU from the systems that call them. Talks to the host through messages (worker-host.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadsPriority } from '../workers/thread-priority.js';
import { startThirdParties } from './start-third-parties.js';
import { THIRD_PARTY_NAMES } from './types.js';
import type { HostMessage } from './worker-host.js';

/** Below orderflow's main thread (0), above its consumers (19), which wait for these vendors' answers. */
const SIMULATORS_NICENESS = 10;

const port = parentPort;
if (!port) throw new Error('simulators-worker.ts runs only as a worker thread');
// The simulated vendors stand in for other companies' machines: on ours they yield to orderflow itself.
lowerThisThreadsPriority({ debug() {} }, SIMULATORS_NICENESS);
try {
  const thirdParties = await startThirdParties(workerData);
  port.postMessage({ type: 'ready', urls: thirdParties.urls, knobs: Object.fromEntries(THIRD_PARTY_NAMES.map((n) => [n, thirdParties.getKnobs(n)])) });
  port.on('message', async (message: HostMessage) => {
    if (message.type === 'setKnobs') thirdParties.setKnobs(message.name, message.patch);
    else if (message.type === 'stats') port.postMessage({ type: 'stats', id: message.id, stats: thirdParties.stats(message.name) });
    else if (message.type === 'close') {
      await thirdParties.close();
      port.postMessage({ type: 'closed' });
      port.close();
    }
  });
} catch (error) {
  port.postMessage({ type: 'failed', message: (error as Error).message });
}
