import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Config } from '../../config.js';
import { keepLease, migrate, transactionsFor, type Database } from '../../db/index.js';
import type { Messaging, MessageTrace, Producer, PushConsumer } from '../../mq/index.js';
import { Groups, type OrderPaidEvent, type TopicName, Topics, topicTypesFor } from '../shared/topics.js';
import { type ChangelogRelay, startChangelogRelay } from './changelog-relay.js';
import { publishMessageOutbox } from './message-outbox.js';
import { type OutboxRelay, startOutboxRelay } from './outbox-relay.js';
import { closeExpiredByScan, onOrderTimeout } from './close-expired-orders.js';
import type { CouponsForOrders, OrderContext } from './context.js';
import { cancelOrder, markShipped } from './end-unpaid-order.js';
import { checkPaid } from './pay-order.js';
import { checkedWindow, reconciliationView } from './reconcile-payments.js';
import { onReconcileMessage, reconcileNow, startReconciliation } from './reconciliation-timer.js';
import { payOrder, paymentsView, receivePaymentEvent } from './payments.js';
import { placeFlashSaleOrder, type FlashSaleOrderInput } from './place-flash-sale-order.js';
import { placeOrder, type PlaceOrderInput } from './place-order.js';
import { findSku, getOrder, listOrders, listSkus } from './queries.js';
import { checkRefund, refundOrder } from './refund-order.js';
import { type OrderDB, orderMigrations } from './schema.js';
import { seedOrderDemo } from './seed.js';
import type { OrderStatus } from './states.js';
import { completeRefund, failRefund, refundStatus, refundView } from './settle-refund.js';
import { authenticate, refuseDemoUsers } from './users.js';
import { serviceUnavailable } from '../../errors.js';
import { isVendorError, type PaymentEvent, type PaymentIntent, type VendorClient, VendorErrorCode } from '../../third-parties/index.js';

function failNoCallbackUrl(): never {
  throw serviceUnavailable('payments (the callback URL is not known yet: the HTTP server is not listening)');
}

/** What a downstream system shows about one order (its public module API, read-only). */
export interface DownstreamView {
  system: string;
  forOrder(orderId: string): Promise<unknown>;
}

/** With transactional messages, how often the message outbox is looked at for rows queued before the switch. */
const LEFTOVER_POLL_MS = 5_000;

/** How often the old way (ORDERFLOW_CLOSE=scan) looks for expired orders. */
export const SCAN_INTERVAL_MS = 1_000;

export interface OrderSystemDeps {
  database: Database<OrderDB>;
  mq: Messaging;
  clock: () => number;
  logger: Logger;
  config: Pick<
    Config,
    'payTimeoutMs' | 'close' | 'flow' | 'orderMessages' | 'reconcile' | 'seedDemo' | 'seedStock' | 'seedUsers' | 'seedPassword' | 'demo'
  >;
  coupons: CouponsForOrders;
  /** The payment provider (ORDERFLOW_PAYMENT_URL or the simulator): payments are created there. */
  payment: VendorClient;
  registry: Registry;
}

export type OrderSystem = Awaited<ReturnType<typeof createOrderSystem>>;

/**
 * The order system: orders, stock and users; places, pays (the core flow), cancels and
 * closes orders. Factory in the style of the composition root: one typed dependency object.
 */
export async function createOrderSystem(deps: OrderSystemDeps) {
  await migrate(deps.database, orderMigrations);
  let producer: Producer | undefined;
  let relay: ChangelogRelay | undefined;
  let messageRelay: OutboxRelay | undefined;
  const views: DownstreamView[] = [];
  const commits = transactionsFor(deps.database);
  let callbackUrl: string | undefined;
  const ctx: OrderContext = {
    database: deps.database,
    transact: (work) => commits.run(work),
    mq: deps.mq,
    producer: () => {
      if (!producer) throw serviceUnavailable('the order system (not started yet)');
      return producer;
    },
    clock: deps.clock,
    logger: deps.logger.child({ system: 'order' }),
    config: deps.config,
    coupons: deps.coupons,
    payments: {
      create: ({ idempotencyKey, ...request }) => deps.payment.post<PaymentIntent>('/payments', request, { idempotencyKey }),
      callbackUrl: () => callbackUrl ?? failNoCallbackUrl(),
      ledger: async (from, to) => (await deps.payment.get<{ payments: PaymentIntent[] }>(`/payments?from=${from}&to=${to}`)).payments,
      find: (paymentId) =>
        deps.payment.get<PaymentIntent>(`/payments/${encodeURIComponent(paymentId)}`).catch((error: unknown) => {
          if (isVendorError(error, VendorErrorCode.REJECTED) && error.status === 404) return undefined;
          throw error;
        }),
    },
    inline: [],
    wakeRelays: () => {
      relay?.wake();
      if (deps.config.orderMessages === 'outbox') messageRelay?.wake();
    },
    metrics: {
      ordersPlaced: new Counter({ name: 'orderflow_orders_placed_total', help: 'Orders placed', registers: [deps.registry] }),
      ordersPaid: new Counter({ name: 'orderflow_orders_paid_total', help: 'Orders paid', registers: [deps.registry] }),
      payDuration: new Histogram({
        name: 'orderflow_pay_duration_seconds',
        help: 'Time to pay an order (the core flow)',
        buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
        registers: [deps.registry],
      }),
    },
  };
  producer = await deps.mq.producer({
    group: 'order-system',
    topics: [Topics.ORDER_PAID, Topics.ORDER_TIMEOUT, Topics.ORDER_REFUND, Topics.ORDER_CHANGELOG, Topics.PAYMENT_RECONCILE],
    // One producer group, so one checker: each transactional topic has its own check-back.
    transactionChecker: (message) => (message.topic === Topics.ORDER_REFUND ? checkRefund(ctx, message) : checkPaid(ctx, message)),
  });
  // Both relays publish from the one process of the deployment that holds this lease (a standby in every other order
  // process takes over within its 10 s time to live): one sender keeps each outbox sent once, oldest row first.
  const relayLease = keepLease({
    database: deps.database,
    name: 'order-relays',
    logger: ctx.logger,
    onChange: (held) => {
      if (!held) return;
      relay?.wake();
      messageRelay?.wake();
    },
  });
  const active = () => relayLease.held();
  // The change stream (docs/architecture.md, "The change stream"): publishes what every status change wrote to the outbox.
  relay = startChangelogRelay({ database: deps.database, producer, logger: ctx.logger, active });
  // The message outbox (ORDERFLOW_ORDER_MESSAGES=outbox). Started in both modes, so that rows queued before a
  // switch back to transactional messages are still published; then nothing queues more, and a slow poll suffices.
  const topicTypes = topicTypesFor(deps.config.orderMessages);
  const orderProducer = producer;
  messageRelay = startOutboxRelay({
    what: 'the order messages',
    logger: ctx.logger,
    pollMs: deps.config.orderMessages === 'outbox' ? undefined : LEFTOVER_POLL_MS,
    active,
    publishRound: (limit) => publishMessageOutbox(deps.database, orderProducer, (topic) => topicTypes[topic as TopicName], limit),
  });
  if (deps.config.seedDemo) await seedOrderDemo(ctx, deps.config.seedStock, deps.config.seedUsers, deps.config.seedPassword);
  if (!deps.config.demo) await refuseDemoUsers(ctx);
  const consumers: PushConsumer[] = [];
  let scanner: NodeJS.Timeout | undefined;
  if (deps.config.close === 'scan') {
    let scanning = false;
    scanner = setInterval(() => {
      if (scanning) return;
      scanning = true;
      closeExpiredByScan(ctx)
        .catch((error: Error) => ctx.logger.error({ err: error }, 'closing expired orders by scan failed'))
        .finally(() => (scanning = false));
    }, SCAN_INTERVAL_MS);
  } else {
    consumers.push(
      await deps.mq.pushConsumer({
        group: Groups.ORDER_CLOSER,
        subscriptions: { [Topics.ORDER_TIMEOUT]: '*' },
        concurrency: 8,
        listener: (message) => onOrderTimeout(ctx, message),
      }),
    );
  }
  if (deps.config.reconcile.everyMs > 0) {
    consumers.push(
      await deps.mq.pushConsumer({
        group: Groups.PAYMENT_RECONCILER,
        subscriptions: { [Topics.PAYMENT_RECONCILE]: '*' },
        concurrency: 1,
        listener: (message) => onReconcileMessage(ctx, message),
      }),
    );
    await startReconciliation(ctx);
  }

  return {
    context: ctx,
    authenticate: (userId: string, password: string) => authenticate(ctx, userId, password),
    listSkus: () => listSkus(ctx),
    /** Public API for the flash-sale system: a SKU's available units, undefined if there is no such SKU. */
    findSku: (skuId: string) => findSku(ctx, skuId),
    placeOrder: (input: PlaceOrderInput) => placeOrder(ctx, input),
    /** Public API for the flash-sale order creator: one unit at the sale price, idempotent per ticket. */
    placeFlashSaleOrder: (input: FlashSaleOrderInput) => placeFlashSaleOrder(ctx, input),
    /** The shopper pays: a payment at the provider for this attempt; PAID at once if the provider captured it (payments.ts). */
    payOrder: (userId: string, orderId: string, options: { attempt?: number; confirm?: boolean } = {}) =>
      payOrder(ctx, userId, orderId, { attempt: options.attempt ?? 1, confirm: options.confirm ?? true }),
    /** A signed event from the payment provider (the route verified it): deduplicated, then settled exactly once. */
    receivePaymentEvent: (event: PaymentEvent) => receivePaymentEvent(ctx, event),
    /** Where the provider calls back, known once the HTTP server listens (or ORDERFLOW_PAYMENT_CALLBACK_URL). */
    setPaymentCallbackUrl: (url: string) => {
      callbackUrl = url;
    },
    /** Payments reconciliation against the provider's ledger: the latest runs and differences, and a run at once. */
    reconciliation: {
      view: () => reconciliationView(ctx),
      runNow: (window: { from: number; to: number }) => reconcileNow(ctx, checkedWindow(window.from, window.to)),
    },
    cancelOrder: (userId: string, orderId: string) => cancelOrder(ctx, userId, orderId),
    refundOrder: (userId: string, orderId: string, reason?: string) => refundOrder(ctx, userId, orderId, reason),
    /** Public API for the refund worker: it reports what the payment provider did. */
    refunds: {
      status: (refundId: string) => refundStatus(ctx, refundId),
      complete: (refundId: string, providerRefundId: string | null) => completeRefund(ctx, refundId, providerRefundId),
      fail: (refundId: string, reason: string) => failRefund(ctx, refundId, reason),
    },
    /** Public API for the warehouse system. */
    markShipped: (orderId: string, trackingNo: string) => markShipped(ctx, orderId, trackingNo),
    listOrders: (query: { userId: string; status?: OrderStatus; limit: number; cursor?: string }) => listOrders(ctx, query),
    /** The order with what each downstream system did for it and its messages' delivery per group. */
    async getOrderDetails(userId: string | null, orderId: string) {
      const order = await getOrder(ctx, userId, orderId);
      const downstream: Record<string, unknown> = {};
      await Promise.all(
        views.map(async (view) => {
          downstream[view.system] = await view.forOrder(orderId).catch((error: Error) => ({ error: error.message }));
        }),
      );
      const messages: MessageTrace[] = [];
      for (const topic of [Topics.ORDER_PAID, Topics.ORDER_TIMEOUT, Topics.ORDER_REFUND, Topics.ORDER_CHANGELOG])
        messages.push(...(await deps.mq.admin.findMessagesByKey(topic, orderId)));
      return { ...order, refund: await refundView(ctx, orderId), payments: await paymentsView(ctx, orderId), downstream, messages };
    },
    /** Wiring done by the composition root once every system exists. */
    addDownstreamView: (view: DownstreamView) => views.push(view),
    /** The old design (ORDERFLOW_FLOW=sync) calls these inline from pay. */
    setInlineHandlers: (handlers: ((event: OrderPaidEvent) => Promise<void>)[]) => ctx.inline.splice(0, ctx.inline.length, ...handlers),
    async close() {
      clearInterval(scanner);
      for (const consumer of consumers) await consumer.close();
      await relay?.close();
      await messageRelay?.close();
      await relayLease.close(); // released: a standby takes over at once rather than after the time to live
      await producer?.close();
    },
  };
}
