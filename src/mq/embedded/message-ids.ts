import { randomBytes } from 'node:crypto';

/**
 * Message ids: 28 upper-case hex characters, unique across processes and restarts
 * (random per-process prefix, then the time, then a counter), sortable within one process.
 */
export function messageIdGenerator(): () => string {
  const prefix = randomBytes(4).toString('hex').toUpperCase();
  let counter = 0;
  return () =>
    prefix +
    Date.now().toString(16).toUpperCase().padStart(12, '0') +
    (counter = (counter + 1) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
