import type { OrderStatus } from '../order/index.js';

/** What the refund worker needs of the order system (its public module API, never its tables). */
export interface OrderRefunds {
  /** The order's status for this refund; undefined if the order system recorded no such refund. */
  status(refundId: string): Promise<OrderStatus | undefined>;
  /** The money went back: the order becomes REFUNDED (idempotent). */
  complete(refundId: string, providerRefundId: string | null): Promise<unknown>;
  /** The refund could not be made: the order becomes REFUND_FAILED, visibly (idempotent). */
  fail(refundId: string, reason: string): Promise<unknown>;
}
