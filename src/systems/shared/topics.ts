/**
 * Topics, tags and consumer groups (contract: docs/architecture.md, "Systems and their topics").
 * Systems refer to these constants, never to string literals.
 *
 * src/systems/shared/ holds what systems agree on rather than what one of them owns: the topics and
 * message bodies, and the consumer plumbing every downstream system uses. Any system may import it;
 * it imports no system. A system's own code is reached only through its index.ts
 * (test/architecture/imports.test.ts keeps both rules).
 */
import type { TopicType } from '../../mq/index.js';

export const Topics = {
  ORDER_PAID: 'order_paid',
  ORDER_TIMEOUT: 'order_timeout',
  ORDER_REFUND: 'order_refund',
  ORDER_CHANGELOG: 'order_changelog',
  FLASH_SALE_ORDER: 'flash_sale_order',
  /** The payments reconciliation's timer: one delayed message per window, due when the window is to be reconciled. */
  PAYMENT_RECONCILE: 'payment_reconcile',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/**
 * Each topic's type when the order system sends transactional messages (ORDERFLOW_ORDER_MESSAGES=transactional,
 * the default); topicTypesFor gives them for either setting. (The messaging API's TOPIC_TYPES is the list of types.)
 */
export const TOPIC_TYPE_BY_NAME: Record<TopicName, TopicType> = {
  order_paid: 'TRANSACTION',
  order_timeout: 'DELAY',
  order_refund: 'TRANSACTION',
  order_changelog: 'FIFO',
  flash_sale_order: 'NORMAL',
  payment_reconcile: 'DELAY',
};

/**
 * The topics' types for a way of sending the order system's messages: with the outbox, `order_paid`
 * and `order_refund` carry plain messages (the relay sends them after the local commit), so they are
 * NORMAL topics; a broker refuses a plain message on a TRANSACTION topic and the reverse.
 */
export function topicTypesFor(orderMessages: 'transactional' | 'outbox'): Record<TopicName, TopicType> {
  if (orderMessages === 'transactional') return TOPIC_TYPE_BY_NAME;
  return { ...TOPIC_TYPE_BY_NAME, order_paid: 'NORMAL', order_refund: 'NORMAL' };
}

export const Tags = {
  PAID: 'PAID',
  TIMEOUT: 'TIMEOUT',
  REFUND: 'REFUND',
  /** `order_changelog` messages are tagged with the order's new status (outbox.ts): this one is a completed refund. */
  REFUNDED: 'REFUNDED',
  RECONCILE: 'RECONCILE',
} as const;

export const Groups = {
  PUSH: 'push',
  WAREHOUSE: 'warehouse',
  POINTS: 'points',
  COUPONS: 'coupons',
  ORDER_CLOSER: 'order-closer',
  REFUND_WORKER: 'refund-worker',
  ANALYTICS: 'analytics',
  FLASH_SALE_CREATOR: 'flash-sale-creator',
  /** `order_changelog` (FIFO) filtered on REFUNDED: the points system takes back an order's points. */
  POINTS_REFUND: 'points-refund',
  /** `order_changelog` (FIFO) filtered on REFUNDED: the coupon system revokes an order's reward coupon. */
  COUPONS_REFUND: 'coupons-refund',
  /** `payment_reconcile`: the order system compares the payment provider's ledger with its payments, window by window. */
  PAYMENT_RECONCILER: 'payment-reconciler',
} as const;

/** The body of an `order_paid` message: what every downstream system needs, so none reads order tables. */
export interface OrderPaidEvent {
  orderId: string;
  userId: string;
  phone: string;
  paymentId: string;
  totalCents: number;
  couponId: string | null;
  items: { skuId: string; quantity: number; priceCents: number }[];
  paidAt: number;
}

/**
 * The body of an `order_changelog` message (FIFO, messageGroup = orderId, tag = `to`): one status
 * change of one order. `seq` is 1 for placing and grows by one per change with no gap, so a
 * consumer can drop a duplicate (seq already seen) and notice a missing change (seq too far ahead).
 * Statuses are the order states' names (docs/architecture.md, "Order states"); times epoch ms, money cents.
 */
export interface OrderChangeEvent {
  orderId: string;
  seq: number;
  from: string | null;
  to: string;
  at: number;
  userId: string;
  totalCents: number;
}

/**
 * The body of an `order_refund` message (key: refundId, and the orderId): everything the refund
 * worker needs to pay the money back, so it never reads order tables.
 */
export interface OrderRefundEvent {
  refundId: string;
  orderId: string;
  userId: string;
  paymentId: string;
  /** The order's total: the amount paid back. */
  amountCents: number;
  reason: string | null;
  requestedAt: number;
}
