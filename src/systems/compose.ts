/**
 * Composes the systems one thread runs: each system's factory with its own database, the messaging API, its
 * vendors and the public APIs of the systems it calls — a system starts after those it calls, so it closes before
 * them. The one-process app (src/app.ts) composes here what runs on its main thread, and the downstream worker
 * (src/workers/downstream-worker.ts) what runs on its thread: the systems are wired in this one place.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config, SystemName } from '../config.js';
import type { Database } from '../db/index.js';
import { internalError } from '../errors.js';
import type { ConsumingMessaging, Messaging } from '../mq/index.js';
import { createVendorClient, type ThirdPartyName, type VendorClient } from '../third-parties/index.js';
import { type AnalyticsSystem, createAnalyticsSystem } from './analytics/index.js';
import { createCouponsSystem } from './coupons/index.js';
import { createFlashSaleSystem, type FlashSaleSystem } from './flash-sale/index.js';
import { createOrderSystem, DEMO_USERS, type OrderSystem } from './order/index.js';
import { createPointsSystem } from './points/index.js';
import { createPushSystem } from './push/index.js';
import { createRefundPaymentClient, createRefundWorker } from './refund/index.js';
import { createWarehouseSystem } from './warehouse/index.js';

/** Where the warehouse reports a shipment: the order system's markShipped, in this thread or elsewhere. */
export type ReportShipped = (orderId: string, trackingNo: string) => Promise<unknown>;

export interface ComposeDeps {
  /** The systems to start here; the refund worker goes with the order system. */
  systems: readonly SystemName[];
  /**
   * Whether a system's consumers subscribe here. False for a system started only for its API (the coupon system's
   * locks while its consumer runs in the worker; push, warehouse and points for the order view) and in the old
   * synchronous design, where pay calls them inline.
   */
  consumes(system: SystemName): boolean;
  /** Push consumers: all the consuming systems need (in a worker, a bridge to the main thread's broker). */
  mq: ConsumingMessaging;
  /** The whole messaging API, for the systems that send (order, refund, flash sale); absent in the worker. */
  messaging?: Messaging;
  /** Opens a system's own database; whoever passes it closes the databases. */
  open<DB>(system: SystemName): Promise<Database<DB>>;
  vendors: {
    urls: Partial<Record<ThirdPartyName, string>>;
    /** Sent as `Authorization: Bearer <key>` to the vendor that has one. */
    apiKeys: Partial<Record<ThirdPartyName, string>>;
    timeoutMs: number;
  };
  /** How the warehouse reports shipments when the order system is not composed here. */
  reportShipped: ReportShipped;
  clock: () => number;
  logger: Logger;
  /** The order and flash-sale systems' settings (and with seedDemo, the coupon system's demo users); absent in the worker. */
  config?: Readonly<Config>;
  /** Where the order and flash-sale systems register their metrics. */
  registry?: Registry;
  /** Called as each system starts, with how to close it: the caller closes them in reverse. */
  onClose(name: string, close: () => Promise<unknown>): void;
}

export interface ComposedSystems {
  orders?: OrderSystem;
  flashSales?: FlashSaleSystem;
  analytics?: AnalyticsSystem;
  /** What each consuming system started here did for an order (the order view shows them). */
  forOrder: Partial<Record<'coupons' | 'push' | 'warehouse' | 'points' | 'analytics', (orderId: string) => Promise<unknown>>>;
  /** Where shipments are reported: this thread's order system, else `deps.reportShipped`. */
  reportShipped: ReportShipped;
}

export async function composeSystems(deps: ComposeDeps): Promise<ComposedSystems> {
  const { mq, clock, logger, onClose } = deps;
  const runs = (system: SystemName) => deps.systems.includes(system);
  const consume = (system: SystemName) => runs(system) && deps.consumes(system);
  const sending = (system: SystemName): Messaging => deps.messaging ?? missing(system, 'the whole messaging API');
  const settings = (system: SystemName): Readonly<Config> => deps.config ?? missing(system, 'the configuration');
  const metrics = (system: SystemName): Registry => deps.registry ?? missing(system, 'a metrics registry');
  const { urls, apiKeys, timeoutMs } = deps.vendors;
  const vendor = (name: 'sms' | 'logistics'): VendorClient =>
    createVendorClient({
      name,
      baseUrl: urls[name] ?? missing(name, 'its URL'),
      apiKey: apiKeys[name],
      timeoutMs,
      logger: logger.child({ vendor: name }),
    });
  const composed: ComposedSystems = { forOrder: {}, reportShipped: deps.reportShipped };

  // The coupon system first: the order system locks and releases coupons through it.
  const coupons = runs('coupons')
    ? await createCouponsSystem({
        database: await deps.open('coupons'),
        mq,
        clock,
        logger,
        consume: consume('coupons'),
        seedUsers: deps.config?.seedDemo ? DEMO_USERS : 0,
      })
    : undefined;
  if (coupons) {
    onClose('coupons', () => coupons.close());
    composed.forOrder.coupons = coupons.forOrder;
  }

  if (runs('order')) {
    const orders = await createOrderSystem({
      database: await deps.open('order'),
      mq: sending('order'),
      clock,
      logger,
      config: settings('order'),
      coupons: coupons?.forOrders ?? missing('order', 'the coupon system'),
      // Payments are created on the pay's path: a timeout and a breaker, no retries (the shopper pays again).
      payment: createVendorClient({
        name: 'payment',
        baseUrl: urls.payment ?? missing('order', "the payment provider's URL"),
        apiKey: apiKeys.payment,
        timeoutMs,
        logger: logger.child({ vendor: 'payment' }),
      }),
      registry: metrics('order'),
    });
    onClose('order system', () => orders.close());
    composed.orders = orders;
    composed.reportShipped = (orderId, trackingNo) => orders.markShipped(orderId, trackingNo);
    // Refunds (async in both designs): the worker reports to the order system in this thread.
    const payment = createRefundPaymentClient({
      baseUrl: urls.payment ?? missing('order', "the payment provider's URL"),
      apiKey: apiKeys.payment,
      timeoutMs,
      retryBackoffScale: settings('order').retryBackoffScale,
      logger: logger.child({ vendor: 'payment' }),
    });
    const refundWorker = await createRefundWorker({ mq: sending('order'), payment, orders: orders.refunds, logger });
    onClose('refund worker', () => refundWorker.close());
  }

  const points = runs('points')
    ? await createPointsSystem({ database: await deps.open('points'), mq, clock, logger, consume: consume('points') })
    : undefined;
  if (points) onClose('points', () => points.close());
  const push = runs('push')
    ? await createPushSystem({ database: await deps.open('push'), mq, sms: vendor('sms'), clock, logger, consume: consume('push') })
    : undefined;
  if (push) onClose('push', () => push.close());
  const warehouse = runs('warehouse')
    ? await createWarehouseSystem({
        database: await deps.open('warehouse'),
        mq,
        logistics: vendor('logistics'),
        reportShipped: composed.reportShipped,
        clock,
        logger,
        consume: consume('warehouse'),
      })
    : undefined;
  if (warehouse) onClose('warehouse', () => warehouse.close());
  if (push) composed.forOrder.push = push.forOrder;
  if (warehouse) composed.forOrder.warehouse = warehouse.forOrder;
  if (points) composed.forOrder.points = points.forOrder;

  // The change stream's consumer: its own database, fed by order_changelog alone.
  if (runs('analytics')) {
    const analytics = await createAnalyticsSystem({ database: await deps.open('analytics'), mq, clock, logger });
    onClose('analytics', () => analytics.close());
    composed.analytics = analytics;
    composed.forOrder.analytics = analytics.forOrder;
  }

  const { orders } = composed;
  if (orders) {
    // The order view shows what the downstream systems composed here did (those in a worker are added by the app).
    for (const system of ['coupons', 'push', 'warehouse', 'points'] as const) {
      const forOrder = composed.forOrder[system];
      if (forOrder) orders.addDownstreamView({ system, forOrder });
    }
    // The old design (ORDERFLOW_FLOW=sync): pay calls every downstream system inline.
    if (settings('order').flow === 'sync')
      orders.setInlineHandlers([points, coupons, push, warehouse].flatMap((system) => (system ? [system.handlePaid] : [])));
  }

  // Flash sales: gate and tickets in their own database; the order creator runs where the order system does.
  if (runs('flash-sale')) {
    const flashSales = await createFlashSaleSystem({
      database: await deps.open('flash-sale'),
      mq: sending('flash-sale'),
      clock,
      logger,
      config: settings('flash-sale'),
      registry: metrics('flash-sale'),
      orders,
    });
    onClose('flash sales', () => flashSales.close());
    composed.flashSales = flashSales;
  }
  return composed;
}

/** A system asked for without what it needs: a wiring mistake, reported as one. */
function missing(system: string, what: string): never {
  throw internalError(`cannot compose '${system}' without ${what}`, { system });
}
