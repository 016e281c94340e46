import type { Logger } from 'pino';
import type { Messaging } from '../mq/index.js';
import type { AnalyticsSystem } from '../systems/analytics/index.js';
import type { DownstreamView } from '../systems/order/index.js';
import type { DownstreamWorkerData } from './downstream-worker.js';
import { busyGate } from './busy-gate.js';
import { serveMessaging } from './mq-bridge.js';
import { createRpc, type Rpc } from './rpc.js';
import { siblingModule, spawnWorker } from './spawn-worker.js';

export interface DownstreamWorker {
  /** What push, warehouse and points did for an order (asked of the worker), for those it runs. */
  views: DownstreamView[];
  /** The analytics system, when the worker runs it. */
  analytics?: AnalyticsSystem;
  close(): Promise<void>;
}

/** Starts the given consuming systems in a worker thread (downstream-worker.ts) and serves what they need from here. */
export async function startDownstreamWorker(deps: {
  mq: Messaging;
  data: DownstreamWorkerData;
  markShipped: (orderId: string, trackingNo: string) => Promise<unknown>;
  logger: Logger;
}): Promise<DownstreamWorker> {
  const worker = spawnWorker(siblingModule(import.meta.url, 'downstream-worker'), deps.data);
  const gate = busyGate();
  let rpc: Rpc | undefined;
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the downstream worker exited (code ${code}) while starting`)));
    rpc = createRpc(worker, {
      ...serveMessaging(deps.mq, () => rpc as Rpc, gate),
      markShipped: deps.markShipped,
      ready: () => resolve(),
      failed: (message: string) => reject(new Error(`the downstream systems did not start: ${message}`)),
    });
  }).catch(async (error) => {
    gate.close();
    await worker.terminate();
    throw error;
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  worker.on('error', (error) => deps.logger.error({ err: error }, 'downstream worker failed'));
  const call = rpc as Rpc;
  const viewed = deps.data.systems.filter((system) => system === 'push' || system === 'warehouse' || system === 'points');
  return {
    views: viewed.map((system) => ({ system, forOrder: (orderId: string) => call.call('forOrder', system, orderId) })),
    analytics: deps.data.systems.includes('analytics')
      ? {
          summary: () => call.call('analyticsSummary'),
          forOrder: (orderId: string) => call.call('forOrder', 'analytics', orderId),
          injectFaults: (spec) => call.call('analyticsInjectFaults', spec),
          faultsInjected: () => call.call('analyticsFaultsInjected'),
          close: async () => {}, // closed with the worker
        }
      : undefined,
    async close() {
      gate.close();
      await call.call('close').catch((error: Error) => deps.logger.warn({ err: error }, 'closing the downstream worker'));
      await worker.terminate();
    },
  };
}
