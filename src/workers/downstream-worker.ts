/**
 * Worker-thread entry: the consuming systems — push, warehouse, points, the coupon system's
 * consumer and analytics, whichever this process runs — on their own event loop (and so on the
 * machine's other core), at a lower CPU priority than the main thread. They consume through the
 * main thread's broker (mq-bridge.ts), own their databases here, and call their vendors from here:
 * however busy they are, the order system's pay requests keep their core, and under a
 * burst the consumers fall behind and catch up later instead of slowing payment down.
 * The systems are composed by composeSystems, as on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CheckpointingThread, openDatabase, pingDatabase } from '../db/index.js';
import { AppError, ErrorCode, internalError } from '../errors.js';
import { createLogger } from '../logger.js';
import { type ConsumingMessaging, createMessaging, type Messaging } from '../mq/index.js';
import { type ComposedSystems, composeSystems } from '../systems/compose.js';
import type { DownstreamHostProcedures, DownstreamWorkerData, DownstreamWorkerProcedures } from './downstream-protocol.js';
import { remoteMessaging } from './mq-bridge.js';
import { createRpc } from './rpc.js';
import { type StartupProcedures, workerDataOf } from './spawn-worker.js';
import { lowerThisThreadsPriority } from './thread-priority.js';

const port = parentPort;
if (!port) throw new Error('downstream-worker runs only as a worker thread');
const data = workerDataOf<DownstreamWorkerData>(workerData);
const logger = createLogger({ level: data.logLevel }).child({ thread: 'downstream' });
lowerThisThreadsPriority(logger);
/** What this thread started, closed in reverse by the host's `close`. */
const closers: { name: string; close: () => Promise<unknown> }[] = [];
/** What this thread depends on, for the host's health check: its databases and its own RocketMQ client. */
const pings: { name: string; ping: () => Promise<unknown> }[] = [];
let systems: ComposedSystems | undefined;
/** This thread's own RocketMQ client, when it has one. */
let ownMessaging: Messaging | undefined;
/** This thread's SQLite files share one checkpointing thread. */
const checkpointing = new CheckpointingThread();
const analyticsHere = () => systems?.analytics ?? notHere('analytics');
const bridge = remoteMessaging(() => host);
const host = createRpc<DownstreamWorkerProcedures, DownstreamHostProcedures & StartupProcedures<void>>(port, {
  ...bridge.handlers,
  forOrder: (system, orderId) => systems?.forOrder[system]?.(orderId) ?? Promise.resolve(null),
  analyticsSummary: () => analyticsHere().summary(),
  analyticsForOrder: (orderId) => analyticsHere().forOrder(orderId),
  analyticsInjectFaults: (spec) => analyticsHere().injectFaults(spec),
  analyticsFaultsInjected: () => analyticsHere().faultsInjected(),
  ping: () => pingAll(),
  async close() {
    ownMessaging?.stopReceiving(); // every consumer at once, before the systems close one after the other (Messaging.stopReceiving)
    for (const closer of closers.reverse()) await closer.close();
  },
});

try {
  // On RocketMQ the worker's own client (data.rocketmq); on the embedded broker, the main thread's, through the bridge.
  const own = data.rocketmq
    ? await createMessaging({
        engine: 'rocketmq',
        endpoints: data.rocketmq.endpoints,
        namesrv: data.rocketmq.namesrv,
        namespace: data.rocketmq.namespace,
        retryBackoffScale: data.rocketmq.retryBackoffScale,
        logger: logger.child({ component: 'mq' }),
      })
    : undefined;
  ownMessaging = own;
  if (own) {
    closers.push({ name: 'messaging', close: () => own.close() });
    pings.push({ name: 'mq', ping: () => own.ping() });
  }
  const mq: ConsumingMessaging = own ?? bridge.messaging;
  systems = await composeSystems({
    systems: data.systems,
    consumes: () => true, // the coupon system's lock/release API stays in the main thread; its consumer runs here
    mq,
    open: async <DB>(system: string) => {
      const database = await openDatabase<DB>({
        url: data.db,
        dataDir: data.dataDir,
        system,
        logger: logger.child({ db: system }),
        checkpointing,
        pool: data.dbPool,
      });
      closers.push({ name: `database ${system}`, close: () => database.close() });
      pings.push({ name: `db.${system}`, ping: () => pingDatabase(database) });
      return database;
    },
    vendors: { urls: data.urls, apiKeys: data.apiKeys ?? {}, timeoutMs: data.vendorTimeoutMs },
    reportShipped: (orderId, trackingNo) => host.call('markShipped', orderId, trackingNo),
    clock: Date.now,
    logger,
    onClose: (name, close) => void closers.push({ name, close }),
  });
  await host.call('ready', undefined);
} catch (error) {
  await host.call('failed', (error as Error).message);
}

/** Every dependency at once; a failure names the ones that failed. */
async function pingAll(): Promise<void> {
  const outcomes = await Promise.allSettled(pings.map(({ ping }) => ping()));
  const failed = pings.filter((_, i) => outcomes[i]?.status === 'rejected').map(({ name }) => name);
  const first = outcomes.find((outcome) => outcome.status === 'rejected');
  if (!first) return;
  throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, `the downstream worker's ${failed.join(', ')} did not answer`, {
    cause: first.reason,
    retriable: true,
  });
}

function notHere(system: string): never {
  throw internalError(`${system} does not run in this worker`, { system });
}
