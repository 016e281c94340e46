import type { Messaging } from '../../src/mq/index.js';

/** What a contract suite needs from an engine; one implementation per engine. */
export interface ContractContext {
  /** The engine instance of the running suite. */
  mq(): Messaging;
  /** Another instance of the same engine, for a case that closes it (closed again after the suite). */
  open(): Promise<Messaging>;
  /** Why a case is skipped on this engine (only for declared capability gaps). */
  skipReason(capability: string): string;
  /** How long an empty receive may block before returning []. */
  emptyReceiveMs: number;
  invisibleMs: number;
  delayPrecisionMs: number;
  /** Back-off before redelivery n (from 0), as configured for the suite. */
  retryDelayMs(reconsumeTimes: number): number;
  /** Enough time for `redeliveries` retries to happen. */
  retryWaitMs(redeliveries: number): number;
  txCheckWaitMs: number;
  /** How stale admin figures (backlog, traces) may be. */
  adminLagMs: number;
  /** Engines that need FIFO consumer groups declared first (RocketMQ). */
  prepareFifoGroup?(group: string): Promise<void>;
  /** Sends from a child process, kills it with SIGKILL after `count` acks; returns the acked ids. */
  killTest?(topic: string, count: number): Promise<{ acked: string[]; reopen(): Promise<Messaging> }>;
}
