/** The flash-sale benchmark's options and per-design results (shared by the run and its report). */
import type { LatencySummary } from '../peers/stats.js';

export interface Options {
  requests: number;
  connections: number;
  users: number;
  /** ORDERFLOW_FLASH_SALE_RATE of the new design's servers. */
  rate: number;
  /**
   * Requests per second offered, evenly spaced (default 2,000: the 20,000 requests arrive over 10 s). An open
   * loop (crowd.ts): latency counts from each request's due time.
   */
  offered: number;
}

export type Design = 'old' | 'in-process' | 'redis';

export interface DesignResult {
  design: Design;
  skipped?: string;
  responses: Record<string, number>;
  ordersCreated: number;
  oversold: number;
  sku: { available: number; reserved: number; sold: number };
  latency: LatencySummary;
  /** Requests due while orders were still being created (gate, tickets, messages and creator share the server) … */
  latencyWhileCreating: LatencySummary;
  /** … and the rest (refusals only). */
  latencyAfter: LatencySummary;
  /** p99 of the requests due in each half second, in order: where the tail comes from. */
  p99ByHalfSecond: number[];
  achievedPerSecond: number;
  loadSeconds: number;
  /** From the first request until the last order was created. */
  ordersDoneSeconds: number;
  maxOrdersInOneSecond: number;
  orderDbWrites: number;
  flashSaleDbWrites: number;
  brokerWrites: number;
  /** The machine's 1 min load average when the crowd started and when it ended (other work shares the machine). */
  loadAverage: [number, number];
  /** The load generator's own event-loop delay during the crowd, p99 and max (ms): lateness charged to the server. */
  loadGeneratorDelay: [number, number];
}
