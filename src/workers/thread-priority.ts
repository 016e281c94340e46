import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Logger } from 'pino';

/** Niceness of the consuming systems' thread: below the main thread (0), which answers payments. */
export const CONSUMER_THREAD_NICENESS = 19;

/**
 * Lowers the calling thread's CPU priority (Linux: a thread is a task with its own id, and
 * setpriority on that id changes only it). On a machine with few cores the consumers then take
 * what the payment path leaves: under a burst they fall behind — their messages wait in the
 * broker, which is what the queue is for — instead of taking CPU from payment. Elsewhere a no-op.
 */
export function lowerThisThreadsPriority(logger: Pick<Logger, 'debug'>, niceness = CONSUMER_THREAD_NICENESS): number | undefined {
  const threadId = linuxThreadId();
  if (threadId === undefined) return undefined;
  try {
    setPriority(threadId, niceness);
    return threadId;
  } catch (error) {
    logger.debug({ err: error }, 'could not lower the consumer thread priority; it runs at normal priority');
    return undefined;
  }
}

/** The kernel's id of the calling thread, from /proc/thread-self (→ "<pid>/task/<tid>"), on Linux. */
export function linuxThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}
