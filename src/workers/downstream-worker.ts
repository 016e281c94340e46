/**
 * Worker-thread entry: the push, warehouse and points systems and the coupon system's consumer, on their own event loop (and so
 * on the machine's other core). They consume `order_paid` through the main thread's broker
 * (mq-bridge.ts), own their databases here, and call their vendors from here: however busy
 * they are, the order system's pay requests keep their core (problem #1).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { openDatabase, type Database } from '../db/index.js';
import { createCouponsSystem } from '../systems/coupons/coupons-system.js';
import { createPointsSystem } from '../systems/points/points-system.js';
import { createPushSystem } from '../systems/push/push-system.js';
import { createWarehouseSystem } from '../systems/warehouse/warehouse-system.js';
import { createVendorClient } from '../third-parties/index.js';
import { remoteMessaging } from './mq-bridge.js';
import { createRpc, type Rpc } from './rpc.js';
import { workerDataOf } from './spawn-worker.js';

export interface DownstreamWorkerData {
  db: string;
  dataDir: string;
  logLevel: string;
  vendorTimeoutMs: number;
  urls: { sms: string; logistics: string };
}

const port = parentPort;
if (!port) throw new Error('downstream-worker runs only as a worker thread');
const data = workerDataOf<DownstreamWorkerData>(workerData);
const logger = pino({ level: data.logLevel }).child({ thread: 'downstream' });
const systems = new Map<string, { forOrder(orderId: string): Promise<unknown>; close(): Promise<unknown> }>();
const databases: Database<unknown>[] = [];
let main: Rpc;
const remote = remoteMessaging(() => main);
main = createRpc(port, {
  ...remote.handlers,
  forOrder: (system: string, orderId: string) => systems.get(system)?.forOrder(orderId) ?? null,
  async close() {
    for (const system of systems.values()) await system.close();
    for (const database of databases) await database.close();
  },
});

try {
  const open = async <DB>(system: string) => {
    const database = await openDatabase<DB>({ url: data.db, dataDir: data.dataDir, system, logger: logger.child({ db: system }) });
    databases.push(database as Database<unknown>);
    return database;
  };
  const vendor = (name: 'sms' | 'logistics') => createVendorClient({ name, baseUrl: data.urls[name], timeoutMs: data.vendorTimeoutMs, logger: logger.child({ vendor: name }) });
  const mq = remote.messaging;
  const clock = Date.now;
  // The coupon system's consumer (reward coupons) runs here; its lock/release API stays in the main thread.
  systems.set('coupons', await createCouponsSystem({ database: await open('coupons'), mq, clock, logger, consume: true, seedUsers: 0 }));
  systems.set('points', await createPointsSystem({ database: await open('points'), mq, clock, logger, consume: true }));
  systems.set('push', await createPushSystem({ database: await open('push'), mq, sms: vendor('sms'), clock, logger, consume: true }));
  systems.set(
    'warehouse',
    await createWarehouseSystem({
      database: await open('warehouse'), mq, logistics: vendor('logistics'), clock, logger, consume: true,
      reportShipped: (orderId, trackingNo) => main.call('markShipped', orderId, trackingNo),
    }),
  );
  await main.call('ready');
} catch (error) {
  await main.call('failed', (error as Error).message);
}
