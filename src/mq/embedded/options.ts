import { invalidArgument } from '../errors.js';
import type { MqLogger } from '../types.js';
import type { Durability } from './store.js';

export const DEFAULT_QUEUES = 4;
export const DEFAULT_RETENTION_HOURS = 72; // RocketMQ's fileReservedTime
export const DEFAULT_TX_CHECK_INTERVAL_MS = 5_000;
export const DEFAULT_TX_CHECK_IMMUNITY_MS = 6_000; // RocketMQ's transactionTimeOut
export const DEFAULT_TX_CHECK_MAX = 15; // RocketMQ's transactionCheckMax
export const DEFAULT_OFFSET_FLUSH_MS = 100;

export interface EmbeddedOptions {
  /** Folder of the store (SQLite, WAL). */
  dataDir: string;
  /** 'process-crash' (default): acknowledged sends survive kill -9. 'power-loss': fsync every commit. */
  durability?: Durability;
  /** Create an unknown topic on first send (as NORMAL/FIFO/DELAY per the message) instead of failing. */
  autoCreateTopics?: boolean;
  defaultQueues?: number;
  /** Messages older than this are deleted (RocketMQ's fileReservedTime). */
  retentionHours?: number;
  /** Multiplies the retry back-off levels (tests use 0.01: first retry after 100 ms). */
  retryBackoffScale?: number;
  transactionCheckIntervalMs?: number;
  /** A half message is checked back only once it is this old. */
  transactionCheckImmunityMs?: number;
  /** After this many unanswered check-backs the half message is rolled back. */
  transactionCheckMax?: number;
  /** Where a new consumer group starts: 'first' retained message (default) or 'last'. */
  consumeFrom?: 'first' | 'last';
  logger?: MqLogger;
}

export type ResolvedEmbeddedOptions = Required<Omit<EmbeddedOptions, 'logger'>> & { logger: MqLogger };

const silentLogger: MqLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function resolveEmbeddedOptions(options: EmbeddedOptions): ResolvedEmbeddedOptions {
  if (!options || typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw invalidArgument('dataDir', 'is required for the embedded engine (a folder for its store)');
  }
  const resolved: ResolvedEmbeddedOptions = {
    dataDir: options.dataDir,
    durability: options.durability ?? 'process-crash',
    autoCreateTopics: options.autoCreateTopics ?? false,
    defaultQueues: options.defaultQueues ?? DEFAULT_QUEUES,
    retentionHours: options.retentionHours ?? DEFAULT_RETENTION_HOURS,
    retryBackoffScale: options.retryBackoffScale ?? 1,
    transactionCheckIntervalMs: options.transactionCheckIntervalMs ?? DEFAULT_TX_CHECK_INTERVAL_MS,
    transactionCheckImmunityMs: options.transactionCheckImmunityMs ?? DEFAULT_TX_CHECK_IMMUNITY_MS,
    transactionCheckMax: options.transactionCheckMax ?? DEFAULT_TX_CHECK_MAX,
    consumeFrom: options.consumeFrom ?? 'first',
    logger: options.logger ?? silentLogger,
  };
  if (resolved.durability !== 'process-crash' && resolved.durability !== 'power-loss') {
    throw invalidArgument('durability', `must be 'process-crash' or 'power-loss', not '${resolved.durability}'`);
  }
  if (resolved.consumeFrom !== 'first' && resolved.consumeFrom !== 'last') {
    throw invalidArgument('consumeFrom', `must be 'first' or 'last', not '${resolved.consumeFrom}'`);
  }
  positive('defaultQueues', resolved.defaultQueues, true);
  positive('retentionHours', resolved.retentionHours);
  positive('retryBackoffScale', resolved.retryBackoffScale);
  positive('transactionCheckIntervalMs', resolved.transactionCheckIntervalMs);
  positive('transactionCheckImmunityMs', resolved.transactionCheckImmunityMs);
  positive('transactionCheckMax', resolved.transactionCheckMax, true);
  return resolved;
}

function positive(name: string, value: number, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw invalidArgument(name, `must be a positive ${integer ? 'integer' : 'number'}, not ${String(value)}`);
  }
}
