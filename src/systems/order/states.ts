import { AppError, ErrorCode } from '../../errors.js';

/** Order states (contract: docs/architecture.md, "Order states"). */
export const OrderStatus = {
  WAIT_PAY: 'WAIT_PAY',
  PAID: 'PAID',
  SHIPPED: 'SHIPPED',
  COMPLETED: 'COMPLETED',
  CLOSED: 'CLOSED',
  CANCELLED: 'CANCELLED',
  REFUNDING: 'REFUNDING',
  REFUNDED: 'REFUNDED',
  REFUND_FAILED: 'REFUND_FAILED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** Every allowed transition, listed once; the guarded updates use the same table. */
export const VALID_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  WAIT_PAY: ['PAID', 'CLOSED', 'CANCELLED'],
  PAID: ['SHIPPED', 'REFUNDING'],
  SHIPPED: ['COMPLETED', 'REFUNDING'],
  COMPLETED: [],
  CLOSED: [],
  CANCELLED: [],
  REFUNDING: ['REFUNDED', 'REFUND_FAILED'],
  REFUNDED: [],
  REFUND_FAILED: ['REFUNDING', 'REFUNDED'],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return VALID_TRANSITIONS[from]?.includes(to) ?? false;
}

/** Refuses a transition the table does not allow, with a 409 saying what the order's status is. */
export function assertTransition(orderId: string, from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError(ErrorCode.INVALID_STATE, `order ${orderId} is ${from} and cannot become ${to}`, {
      details: { orderId, status: from, wanted: to },
    });
  }
}
