import { invalidArgument } from '../errors.js';
import type { MqLogger } from '../types.js';

export const DEFAULT_ENDPOINTS = '127.0.0.1:8081';
export const DEFAULT_NAMESRV = '127.0.0.1:9876';
export const DEFAULT_REQUEST_TIMEOUT_MS = 3_000;

export interface RocketMQOptions {
  /** The proxy's gRPC endpoint(s), `host:port[;host:port]`. */
  endpoints?: string;
  /** The NameServer, for the admin side (topics, groups, backlog, DLQ), which the gRPC client lacks. */
  namesrv?: string;
  requestTimeoutMs?: number;
  /** The proxy's minInvisibleTimeMillsForRecv (10 s by default; our local proxy: 1 s). Shorter invisible durations are raised to it. */
  minInvisibleMs?: number;
  /** How long an empty receive long-polls: at least the proxy's grpcClientConsumerMinLongPollingTimeoutMillis (5 s by default; ours 1 s). */
  longPollMs?: number;
  /**
   * Scales the retry back-off of push consumers, RocketMQ's delay levels from 10 s (../backoff.ts), as on the embedded
   * engine: 0.1 → first retry after 1 s. Default 1. (FIFO groups retry in place with their own back-off.)
   */
  retryBackoffScale?: number;
  logger?: MqLogger;
}

export type ResolvedRocketMQOptions = Required<Omit<RocketMQOptions, 'logger'>> & { logger: MqLogger };

const silent: MqLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function resolveRocketMQOptions(options: RocketMQOptions): ResolvedRocketMQOptions {
  const resolved = {
    endpoints: options.endpoints ?? DEFAULT_ENDPOINTS,
    namesrv: options.namesrv ?? DEFAULT_NAMESRV,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    minInvisibleMs: options.minInvisibleMs ?? 10_000,
    longPollMs: options.longPollMs ?? 5_000,
    retryBackoffScale: options.retryBackoffScale ?? 1,
    logger: options.logger ?? silent,
  };
  for (const name of ['endpoints', 'namesrv'] as const) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}(;[A-Za-z0-9.-]+:\d{1,5})*$/.test(resolved[name])) {
      throw invalidArgument(
        name,
        `'${resolved[name]}' is not host:port (e.g. ${name === 'endpoints' ? DEFAULT_ENDPOINTS : DEFAULT_NAMESRV})`,
      );
    }
  }
  const scale = resolved.retryBackoffScale;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw invalidArgument('retryBackoffScale', `must be a positive number, not ${String(scale)}`);
  }
  if (!Number.isInteger(resolved.requestTimeoutMs) || resolved.requestTimeoutMs < 1_000) {
    throw invalidArgument('requestTimeoutMs', `must be an integer ≥ 1000 (the client's minimum), not ${resolved.requestTimeoutMs}`);
  }
  return resolved;
}

/** The client's logger interface, fed into ours (the client's default writes files under ~/logs). */
export function clientLogger(logger: MqLogger) {
  const text = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    info: (...args: unknown[]) => logger.debug({ component: 'rocketmq-client' }, text(args)),
    warn: (...args: unknown[]) => logger.warn({ component: 'rocketmq-client' }, text(args)),
    error: (...args: unknown[]) => logger.warn({ component: 'rocketmq-client' }, text(args)),
    debug: (...args: unknown[]) => logger.debug({ component: 'rocketmq-client' }, text(args)),
  };
}
