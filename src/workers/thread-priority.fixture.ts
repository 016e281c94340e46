/** Worker entry for thread-priority.test.ts: lowers its own priority, reports its task id, then idles until terminated. */
import { parentPort, workerData } from 'node:worker_threads';
import { workerDataOf } from './spawn-worker.js';
import { lowerThisThreadsPriority } from './thread-priority.js';

const { niceness } = workerDataOf<{ niceness: number }>(workerData);
parentPort?.postMessage(lowerThisThreadsPriority({ debug() {} }, niceness));
setInterval(() => {}, 1_000);
