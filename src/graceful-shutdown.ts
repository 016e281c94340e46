import { constants } from 'node:os';

/**
 * How long `orderflow start` may take to stop after SIGTERM or SIGINT. Closing lets requests in flight
 * finish (HTTP_DRAIN_TIMEOUT_MS at most) and the messages being handled (a vendor call gives up after
 * VENDOR_TIMEOUT_MS), then closes stores; past this bound the process logs what was still running and
 * exits 1. What was not finished is not lost: an unacknowledged message is delivered again.
 */
export const SHUTDOWN_TIMEOUT_MS = 15_000;

export interface ShutdownOptions {
  close(): Promise<void>;
  /** What closing still waits for, logged when the bound passes. */
  stillRunning(): unknown;
  logger: { info(fields: object, message: string): void; error(fields: object, message: string): void };
  timeoutMs?: number;
  /** Where signals come from, and how the process ends (tests give their own). */
  signals?: Pick<NodeJS.EventEmitter, 'on'>;
  exit?: (code: number) => void;
}

/**
 * The first SIGTERM or SIGINT closes gracefully, within the bound; a second one exits at once, with
 * 128 + the signal's number as a shell reports it (130 for SIGINT, 143 for SIGTERM).
 */
export function exitGracefullyOnSignals(options: ShutdownOptions): void {
  const { logger, timeoutMs = SHUTDOWN_TIMEOUT_MS, signals = process, exit = (code: number) => process.exit(code) } = options;
  let stopping = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) {
      logger.error({ signal, stillRunning: options.stillRunning() }, 'second signal: exiting now, without finishing the shutdown');
      exit(128 + constants.signals[signal]);
      return;
    }
    stopping = true;
    logger.info({ signal, timeoutMs }, 'shutting down: finishing in-flight requests and messages (a second signal exits at once)');
    // Not unref'd: should closing hang with nothing else scheduled, the process still says why before it ends.
    const bound = setTimeout(() => {
      logger.error({ timeoutMs, stillRunning: options.stillRunning() }, 'shutdown did not finish in time: exiting');
      exit(1);
    }, timeoutMs);
    options.close().then(
      () => {
        clearTimeout(bound);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(bound);
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  signals.on('SIGINT', () => onSignal('SIGINT'));
  signals.on('SIGTERM', () => onSignal('SIGTERM'));
}
