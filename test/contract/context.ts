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
  /**
   * An engine for a child process that a crash case kills: the options the child opens it with, and how the suite
   * reaches the same messages after the kill. Embedded: a store of its own, whose broker dies with the child and is
   * reopened from disk. RocketMQ: the shared broker, which the kill does not touch (only the child's clients die).
   */
  forChild(): { options: object; reopen(): Promise<Messaging> };
  /** How soon a message a closing push consumer hands back unanswered reaches another member of the group, plus slack. */
  handBackMs: number;
  /** How soon a message a killed push consumer was handling is delivered again (its invisible time, plus slack). */
  abandonedRedeliveryMs: number;
  /** The check-back limit and an engine that applies it: after `max` unanswered check-backs a half message is dropped. */
  transactionCheckMax: { max: number; open(): Promise<Messaging>; intervalMs: number; waitMs: number };
}
