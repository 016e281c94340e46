import type { AnalyticsSummary, AnalyticsSystem, FaultSpec } from '../systems/analytics/index.js';
import type { BrokerProcedures, ListenerProcedures } from './mq-bridge.js';

/** The systems that can run in the downstream worker: every one that only consumes. */
export type ConsumingSystem = 'push' | 'warehouse' | 'points' | 'coupons' | 'analytics';

/** What the main thread gives the downstream worker at start (plain data: it crosses the thread boundary). */
export interface DownstreamWorkerData {
  systems: ConsumingSystem[];
  db: string;
  dataDir: string;
  logLevel: string;
  vendorTimeoutMs: number;
  /** Connections per MySQL pool (ORDERFLOW_DB_POOL). */
  dbPool: number;
  urls: { sms: string; logistics: string };
  /** Bearer API keys of external vendors (ORDERFLOW_SMS_API_KEY, ORDERFLOW_LOGISTICS_API_KEY). */
  apiKeys?: { sms?: string; logistics?: string };
  /**
   * On RocketMQ the worker talks to the broker itself, with a client of its own: its consumers' gRPC
   * traffic (receives, acks) then runs on this thread, at its lower priority, not on the main thread that
   * serves payments. (The embedded broker lives in the main thread, so there the worker consumes through it.)
   */
  rocketmq?: { endpoints: string; namesrv: string; namespace: string; retryBackoffScale: number };
}

/** What the main thread serves the downstream worker (besides start-up's ready and failed): push consumers, shipments. */
export interface DownstreamHostProcedures extends BrokerProcedures {
  markShipped(orderId: string, trackingNo: string): Promise<unknown>;
}

/** What the downstream worker serves the main thread: deliveries, what its systems did for an order, analytics, its close. */
export interface DownstreamWorkerProcedures extends ListenerProcedures {
  /** null when `system` does not run in the worker. */
  forOrder(system: ConsumingSystem, orderId: string): Promise<unknown>;
  analyticsSummary(): Promise<AnalyticsSummary>;
  analyticsForOrder(orderId: string): ReturnType<AnalyticsSystem['forOrder']>;
  analyticsInjectFaults(spec: FaultSpec | undefined): Promise<void>;
  analyticsFaultsInjected(): Promise<number>;
  /** Resolves once the worker answered and its databases (and its own RocketMQ client) did: the health check's. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
