import { randomBytes } from 'node:crypto';

/** Random bytes drawn from the system 4 KiB at a time: a flash-sale crowd asks for an id per request. */
const POOL_BYTES = 4_096;
const TICKET_RANDOM_BYTES = 5;

/**
 * A ticket id generator, passed in like the clock (no module state). Ticket ids sort by time like
 * order ids: `T` + admission time (base 36) + 10 hex digits of randomness. The time is read back by
 * recovery, which leaves alone admissions younger than its grace period.
 *
 * @example
 * const newTicketId = ticketIds();
 * newTicketId(Date.now()); // 'T0MIRX4Q2K9F1C2A3B4D5'
 */
export function ticketIds(): (now: number) => string {
  let pool = randomBytes(POOL_BYTES);
  let offset = 0;
  return (now) => {
    if (offset + TICKET_RANDOM_BYTES > POOL_BYTES) {
      pool = randomBytes(POOL_BYTES);
      offset = 0;
    }
    const random = pool.toString('hex', offset, (offset += TICKET_RANDOM_BYTES)).toUpperCase();
    return `T${now.toString(36).toUpperCase().padStart(9, '0')}${random}`;
  };
}

/** One ticket id (tests and one-offs; the request path uses a `ticketIds()` generator). */
export const newTicketId = (now: number): string =>
  `T${now.toString(36).toUpperCase().padStart(9, '0')}${randomBytes(TICKET_RANDOM_BYTES).toString('hex').toUpperCase()}`;

/** The admission time carried by a ticket id (NaN if the id is not one of ours). */
export function ticketTime(ticketId: string): number {
  return /^T[0-9A-Z]{9}[0-9A-F]{10}$/.test(ticketId) ? parseInt(ticketId.slice(1, 10), 36) : Number.NaN;
}

/**
 * Sale ids are unique per sale, never reused: the Redis gate keys its counters by sale id, so a
 * fresh database next to an old Redis can never inherit another sale's sold-out counter.
 */
export function newSaleId(now: number): string {
  return `FS${now.toString(36).toUpperCase()}${randomBytes(3).toString('hex').toUpperCase()}`;
}
