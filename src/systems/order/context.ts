import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { Config } from '../../config.js';
import type { Database, GroupCommitter } from '../../db/index.js';
import type { Messaging, Producer } from '../../mq/index.js';
import type { PaymentIntent } from '../../third-parties/index.js';
import type { OrderPaidEvent } from '../shared/topics.js';
import type { OrderDB } from './schema.js';

/** What the coupon system offers the order system (its public module API). */
export interface CouponsForOrders {
  /** Locks the user's coupon for this order; refuses (409 COUPON_INVALID) an unknown, used or foreign coupon. */
  lock(couponId: string, userId: string, orderId: string, subtotalCents: number): Promise<{ discountCents: number }>;
  /** Gives back the coupon an unpaid order held (close, cancel, failed placement). */
  release(orderId: string): Promise<void>;
}

export interface OrderMetrics {
  ordersPlaced: Counter;
  ordersPaid: Counter;
  payDuration: Histogram;
}

/** The payment provider as the order system calls it (payments.ts). */
export interface PaymentsForOrders {
  /** `POST /payments` at the provider: idempotent on idempotencyKey (same key → the same payment, in its current state). */
  create(request: {
    orderId: string;
    amount: number;
    callbackUrl: string;
    confirm: boolean;
    idempotencyKey: string;
  }): Promise<PaymentIntent>;
  /** Where the provider calls back: ORDERFLOW_PAYMENT_CALLBACK_URL, or this process's own `/api/payments/callback`. */
  callbackUrl(): string;
  /** The provider's ledger: the payments created in [from, to), epoch ms (reconciliation). */
  ledger(from: number, to: number): Promise<PaymentIntent[]>;
  /** One payment at the provider; undefined when it has none of that id. */
  find(paymentId: string): Promise<PaymentIntent | undefined>;
}

/** The order system's dependencies, passed in by the composition root. */
export interface OrderContext {
  database: Database<OrderDB>;
  /**
   * Runs one transaction of the hot paths (place, pay, ship); on SQLite it shares its commit with
   * those asked for meanwhile (src/db/group-commit.ts). Only `trx` inside, and nothing slow.
   */
  transact: GroupCommitter<OrderDB>['run'];
  mq: Messaging;
  /** The producer with the order system's transaction checker. */
  producer(): Producer;
  clock(): number;
  logger: Logger;
  config: Pick<Config, 'payTimeoutMs' | 'close' | 'flow' | 'orderMessages' | 'reconcile'>;
  coupons: CouponsForOrders;
  payments: PaymentsForOrders;
  metrics: OrderMetrics;
  /**
   * Wakes the outbox relays (the change stream's, and the message outbox's when
   * ORDERFLOW_ORDER_MESSAGES=outbox): call it once a transaction that wrote outbox rows has committed,
   * so they are published now rather than at the relay's next poll (~50 ms). A context without relays
   * (a benchmark's) passes a no-op: the outbox rows simply wait.
   */
  wakeRelays(): void;
  /** The old design only (ORDERFLOW_FLOW=sync): downstream handlers called inline by pay. */
  inline: ((event: OrderPaidEvent) => Promise<void>)[];
}
