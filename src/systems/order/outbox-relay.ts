import type { Logger } from 'pino';
import { AppError, ErrorCode } from '../../errors.js';

/** How often a relay looks at its outbox when nobody woke it: the worst added lag of what it publishes. */
export const DEFAULT_RELAY_POLL_MS = 50;
/** Outbox rows published per round (one query, the sends, one DELETE). */
export const DEFAULT_RELAY_BATCH = 256;
/**
 * A wake publishes this much later, not at once: the rows committed meanwhile go in the same round.
 * Under load (1,000 payments/s) a wake per payment would otherwise cost one outbox query, one send and
 * one DELETE per payment on the order system's thread. 20 ms: each round has a fixed cost (~0.2–0.3 ms
 * on a 2-core VM) worth sharing among ~40 rows at that rate, and nothing downstream loses by hearing
 * of a change 20 ms later.
 */
export const RELAY_WAKE_DELAY_MS = 20;
/** Longest wait between attempts while the broker or the database keeps failing. */
export const MAX_RELAY_BACKOFF_MS = 2_000;

export interface OutboxRelayOptions {
  /** One round: publishes at most `limit` of the oldest rows, deletes them, returns how many it published. */
  publishRound(limit: number): Promise<number>;
  /** What the relay publishes, for its log lines ('the order changelog'). */
  what: string;
  logger: Pick<Logger, 'warn'>;
  pollMs?: number;
  batchSize?: number;
  /**
   * False while another process publishes this outbox (it holds the lease, db/lease.ts): rounds are skipped.
   * Two relays on one outbox would lose nothing and keep each order's changes in order (a row is deleted only
   * once sent, and a relay sends the oldest rows first), but would send most rows twice.
   */
  active?: () => boolean;
}

export interface OutboxRelay {
  /** Publish now rather than at the next poll: call it once a transaction that wrote outbox rows has committed. */
  wake(): void;
  /** Stops polling and waits for a round in flight. Unpublished rows stay in the outbox for the next start. */
  close(): Promise<void>;
}

/**
 * The publishing loop of a transactional outbox: rounds of `publishRound`, one at a time (one relay
 * per outbox, one round at a time is what keeps the rows' order), back to back while rounds come back
 * full, then every `pollMs` or a wake delay after a wake; after a failure, an exponential back-off (the
 * rows stay in the outbox and the next round retries them from the first).
 *
 * @example
 * const relay = startOutboxRelay({ what: 'the order changelog', logger, publishRound: (limit) => publishOutbox(database, producer, limit) });
 * await commitSomethingThatWroteOutboxRows(); relay.wake();
 * await relay.close();
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const pollMs = options.pollMs ?? DEFAULT_RELAY_POLL_MS;
  const batchSize = options.batchSize ?? DEFAULT_RELAY_BATCH;
  if (!(pollMs > 0)) throw new AppError(ErrorCode.BAD_REQUEST, `pollMs must be greater than 0 (got ${pollMs})`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new AppError(ErrorCode.BAD_REQUEST, `batchSize must be a whole number greater than 0 (got ${batchSize})`);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  /** The pending timer is a wake's (due within RELAY_WAKE_DELAY_MS), not the poll's. */
  let woken = false;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    woken = ms === wakeDelay;
    timer = setTimeout(run, ms);
    timer.unref(); // never what keeps a process alive
  };
  const wakeDelay = Math.min(RELAY_WAKE_DELAY_MS, pollMs);
  // One publishing loop at a time (that is what keeps the order); a wake during it asks for one more round, a wake delay later.
  function run(): void {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    woken = false;
    again = false;
    if (options.active && !options.active()) {
      schedule(pollMs); // standing by: look again at the next poll
      return;
    }
    running = (async () => {
      try {
        while (!closed && (await options.publishRound(batchSize)) === batchSize);
        failures = 0;
      } catch (error) {
        failures++;
        options.logger.warn({ err: error, failures }, `publishing ${options.what} failed; the rows stay in the outbox and are retried`);
      } finally {
        running = undefined;
        if (!closed) schedule(failures > 0 ? Math.min(pollMs * 2 ** failures, MAX_RELAY_BACKOFF_MS) : again ? wakeDelay : pollMs);
      }
    })();
  }
  schedule(0);
  return {
    // While failing, the back-off decides: a wake per commit would hammer a broker that is down.
    wake: () => {
      if (failures > 0 || closed) return;
      if (running) again = true;
      else if (!woken) schedule(wakeDelay);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
