/** A flash-sale ticket: QUEUED when its buyer passes the gate, then ORDERED (its order exists) or FAILED. */
export const TicketStatus = {
  QUEUED: 'QUEUED',
  ORDERED: 'ORDERED',
  FAILED: 'FAILED',
} as const;
export type TicketStatus = (typeof TicketStatus)[keyof typeof TicketStatus];

/** Every allowed transition, listed once; the guarded updates (`… WHERE status = 'QUEUED'`) follow it. */
export const VALID_TICKET_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  QUEUED: ['ORDERED', 'FAILED'],
  ORDERED: [],
  FAILED: [],
};
