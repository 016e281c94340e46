/**
 * Run by logger.test.ts in a process of its own (stdout a pipe or a terminal): logs one record from the main
 * thread, then one from a worker thread running this same file.
 */
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { createLogger } from './logger.js';

const logger = createLogger({ level: 'info' });
if (isMainThread) {
  logger.info({ orderId: 'o-1' }, 'hello from the main thread');
  // Workers do not inherit tsx's loader: the worker registers it, then runs this file.
  const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(require('node:worker_threads').workerData.entry); })`;
  const worker = new Worker(entry, { eval: true, workerData: { entry: import.meta.url } });
  await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
} else {
  logger.child({ thread: workerData.entry ? 'worker' : '?' }).info('hello from a worker thread');
}
