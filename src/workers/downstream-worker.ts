/**
 * Worker-thread entry: the consuming systems — push, warehouse, points, the coupon system's
 * consumer and analytics, whichever this process runs — on their own event loop (and so on the
 * machine's other core), at a lower CPU priority than the main thread. They consume through the
 * main thread's broker (mq-bridge.ts), own their databases here, and call their vendors from here:
 * however busy they are, the order system's pay requests keep their core, and under a
 * burst the consumers fall behind and catch up later instead of slowing payment down.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, type Database } from '../db/index.js';
import { type AnalyticsSystem, createAnalyticsSystem, type FaultSpec } from '../systems/analytics/index.js';
import { createCouponsSystem } from '../systems/coupons/index.js';
import { createPointsSystem } from '../systems/points/index.js';
import { createPushSystem } from '../systems/push/index.js';
import { createWarehouseSystem } from '../systems/warehouse/index.js';
import { type ConsumingMessaging, createMessaging, type Messaging } from '../mq/index.js';
import { createVendorClient } from '../third-parties/index.js';
import { createLogger } from '../logger.js';
import { remoteMessaging } from './mq-bridge.js';
import { createRpc, type Rpc } from './rpc.js';
import { workerDataOf } from './spawn-worker.js';
import { lowerThisThreadsPriority } from './thread-priority.js';

/** The systems that can run in the worker: every one that only consumes. */
export type ConsumingSystem = 'push' | 'warehouse' | 'points' | 'coupons' | 'analytics';

export interface DownstreamWorkerData {
  systems: ConsumingSystem[];
  db: string;
  dataDir: string;
  logLevel: string;
  vendorTimeoutMs: number;
  urls: { sms: string; logistics: string };
  /** Bearer API keys of external vendors (ORDERFLOW_SMS_API_KEY, ORDERFLOW_LOGISTICS_API_KEY). */
  apiKeys?: { sms?: string; logistics?: string };
  /**
   * On RocketMQ the worker talks to the broker itself, with a client of its own: its consumers' gRPC
   * traffic (receives, acks) then runs on this thread, at its lower priority, not on the main thread that
   * serves payments. (The embedded broker lives in the main thread, so there the worker consumes through it.)
   */
  rocketmq?: { endpoints: string; namesrv: string };
}

const port = parentPort;
if (!port) throw new Error('downstream-worker runs only as a worker thread');
const data = workerDataOf<DownstreamWorkerData>(workerData);
const logger = createLogger({ level: data.logLevel }).child({ thread: 'downstream' });
lowerThisThreadsPriority(logger);
const systems = new Map<string, { forOrder(orderId: string): Promise<unknown>; close(): Promise<unknown> }>();
const databases: Database<unknown>[] = [];
let analytics: AnalyticsSystem | undefined;
/** The worker's own RocketMQ client (data.rocketmq), closed after the systems. */
let ownMessaging: Messaging | undefined;
let main: Rpc;
const remote = remoteMessaging(() => main);
const analyticsHere = () => {
  if (!analytics) throw new Error('analytics does not run in this worker');
  return analytics;
};
main = createRpc(port, {
  ...remote.handlers,
  forOrder: (system: string, orderId: string) => systems.get(system)?.forOrder(orderId) ?? null,
  analyticsSummary: () => analyticsHere().summary(),
  analyticsInjectFaults: (spec: FaultSpec | undefined) => analyticsHere().injectFaults(spec),
  analyticsFaultsInjected: () => analyticsHere().faultsInjected(),
  async close() {
    for (const system of systems.values()) await system.close();
    await ownMessaging?.close();
    for (const database of databases) await database.close();
  },
});

try {
  const open = async <DB>(system: string) => {
    const database = await openDatabase<DB>({ url: data.db, dataDir: data.dataDir, system, logger: logger.child({ db: system }) });
    databases.push(database as Database<unknown>);
    return database;
  };
  const vendor = (name: 'sms' | 'logistics') => createVendorClient({ name, baseUrl: data.urls[name], apiKey: data.apiKeys?.[name], timeoutMs: data.vendorTimeoutMs, logger: logger.child({ vendor: name }) });
  if (data.rocketmq) {
    ownMessaging = await createMessaging({ engine: 'rocketmq', endpoints: data.rocketmq.endpoints, namesrv: data.rocketmq.namesrv, logger: logger.child({ component: 'mq' }) });
  }
  const mq: ConsumingMessaging = ownMessaging ?? remote.messaging;
  const clock = Date.now;
  const has = (system: ConsumingSystem) => data.systems.includes(system);
  // The coupon system's consumer (reward coupons) runs here; its lock/release API stays in the main thread.
  if (has('coupons')) systems.set('coupons', await createCouponsSystem({ database: await open('coupons'), mq, clock, logger, consume: true, seedUsers: 0 }));
  if (has('points')) systems.set('points', await createPointsSystem({ database: await open('points'), mq, clock, logger, consume: true }));
  if (has('push')) systems.set('push', await createPushSystem({ database: await open('push'), mq, sms: vendor('sms'), clock, logger, consume: true }));
  if (has('warehouse')) {
    systems.set(
      'warehouse',
      await createWarehouseSystem({
        database: await open('warehouse'), mq, logistics: vendor('logistics'), clock, logger, consume: true,
        reportShipped: (orderId, trackingNo) => main.call('markShipped', orderId, trackingNo),
      }),
    );
  }
  if (has('analytics')) {
    analytics = await createAnalyticsSystem({ database: await open('analytics'), mq, clock, logger });
    systems.set('analytics', analytics);
  }
  await main.call('ready');
} catch (error) {
  await main.call('failed', (error as Error).message);
}
