import type { Logger } from 'pino';
import type { Messaging } from '../mq/index.js';
import type { AnalyticsSystem } from '../systems/analytics/index.js';
import type { DownstreamView } from '../systems/order/index.js';
import { busyGate } from './busy-gate.js';
import type { DownstreamHostProcedures, DownstreamWorkerData, DownstreamWorkerProcedures } from './downstream-protocol.js';
import { serveMessaging } from './mq-bridge.js';
import { siblingModule, startWorker } from './spawn-worker.js';

export type { ConsumingSystem, DownstreamWorkerData } from './downstream-protocol.js';

export interface DownstreamWorker {
  /** What push, warehouse and points did for an order (asked of the worker), for those it runs. */
  views: DownstreamView[];
  /** The analytics system, when the worker runs it. */
  analytics?: AnalyticsSystem;
  /** Resolves once the worker thread answered, and its databases did (the health check's "worker"). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the given consuming systems in a worker thread (downstream-worker.ts) and serves what they need from here. */
export async function startDownstreamWorker(deps: {
  mq: Messaging;
  data: DownstreamWorkerData;
  markShipped: (orderId: string, trackingNo: string) => Promise<unknown>;
  logger: Logger;
}): Promise<DownstreamWorker> {
  const gate = busyGate();
  const { worker, rpc: call } = await startWorker<DownstreamHostProcedures, DownstreamWorkerProcedures, void>({
    entry: siblingModule(import.meta.url, 'downstream-worker'),
    data: deps.data,
    what: 'the downstream worker',
    serve: (worker) => ({ ...serveMessaging(deps.mq, worker, gate), markShipped: deps.markShipped }),
  }).catch((error: unknown) => {
    gate.close();
    throw error;
  });
  worker.on('error', (error) => deps.logger.error({ err: error }, 'downstream worker failed'));
  const viewed = deps.data.systems.filter((system) => system === 'push' || system === 'warehouse' || system === 'points');
  return {
    views: viewed.map((system) => ({ system, forOrder: (orderId: string) => call.call('forOrder', system, orderId) })),
    analytics: deps.data.systems.includes('analytics')
      ? {
          summary: () => call.call('analyticsSummary'),
          forOrder: (orderId) => call.call('analyticsForOrder', orderId),
          injectFaults: (spec) => call.call('analyticsInjectFaults', spec),
          faultsInjected: () => call.call('analyticsFaultsInjected'),
          close: async () => {}, // closed with the worker
        }
      : undefined,
    ping: () => call.call('ping'),
    async close() {
      gate.close();
      await call.call('close').catch((error: Error) => deps.logger.warn({ err: error }, 'closing the downstream worker'));
      await worker.terminate();
    },
  };
}
