import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { DEFAULT_FLASH_SALE_USER_RATE, type Config } from '../../config.js';
import { claimLease, migrate, transactionsFor, type Database, type Lease } from '../../db/index.js';
import { AppError, ErrorCode, notFound, stockInsufficient, validationFailed } from '../../errors.js';
import { SKU_ID_PATTERN } from '../shared/sku-id.js';
import type { Messaging } from '../../mq/index.js';
import { Topics } from '../shared/topics.js';
import type { FlashSaleContext, FlashSaleOrderEvent } from './context.js';
import { createStockGate } from './create-stock-gate.js';
import { newSaleId, ticketIds } from './ids.js';
import { startOrderCreator, type OrdersForFlashSales } from './order-creator.js';
import { recover, RECOVERY_GRACE_MS } from './recovery.js';
import { findTicket, type Sale } from './repository.js';
import { loadSales, openSale, requestUnit, SALES_RELOAD_MS } from './request-unit.js';
import { flashSaleMigrations, type FlashSaleDB } from './schema.js';
import { seedFlashSaleDemo } from './seed.js';
import { UserThrottle } from './user-throttle.js';

/** How often admissions without a ticket are looked for (after the one at start-up). */
export const RECOVERY_INTERVAL_MS = 30_000;
/** How often a message whose send failed is tried again. */
export const RESEND_INTERVAL_MS = 1_000;

export interface FlashSaleSystemDeps {
  database: Database<FlashSaleDB>;
  mq: Messaging;
  clock: () => number;
  logger: Logger;
  /** `flashSaleUserRate` (ORDERFLOW_FLASH_SALE_USER_RATE) defaults to DEFAULT_FLASH_SALE_USER_RATE; 0 turns the per-user limit off. */
  config: Pick<Config, 'redisUrl' | 'redisPrefix' | 'flashSaleRate' | 'seedDemo' | 'seedStock'> &
    Partial<Pick<Config, 'flashSaleUserRate'>>;
  registry: Registry;
  /** The order system's API when it runs in this process: the order creator runs only then. */
  orders?: OrdersForFlashSales;
}

export type FlashSaleSystem = Awaited<ReturnType<typeof createFlashSaleSystem>>;

/**
 * The flash-sale system (docs/architecture.md, "Flash sales"): a stock gate admits as many buyers as there are units (one
 * each), every other request is refused without touching a database; admitted buyers get a ticket
 * and a `flash_sale_order` message; the creator turns the messages into orders at the rate the
 * order database is given (ORDERFLOW_FLASH_SALE_RATE), the backlog waiting in the queue. A user
 * asking more often than ORDERFLOW_FLASH_SALE_USER_RATE per second is answered 429 RATE_LIMITED with
 * Retry-After before anything else is looked at (no ticket, no stock, no write).
 *
 * @example
 * const flashSales = await createFlashSaleSystem({ database, mq, clock, logger, config, registry, orders });
 * const { ticketId } = await flashSales.requestUnit(saleId, 'user1');   // or 409 SOLD_OUT / ALREADY_HAS_TICKET
 * await flashSales.getTicket('user1', ticketId);                         // { status: 'QUEUED' | 'ORDERED' | 'FAILED', orderId? }
 */
export async function createFlashSaleSystem(deps: FlashSaleSystemDeps) {
  const { db } = deps.database;
  const logger = deps.logger.child({ system: 'flash-sale' });
  await migrate(deps.database, flashSaleMigrations);
  const gate = await createStockGate({ redisUrl: deps.config.redisUrl, redisPrefix: deps.config.redisPrefix, logger });
  // An in-process gate counts the units in this process's memory: a second process on the same MySQL database would
  // admit every unit again, so it runs in one process only (a SQLite database is one process's own already).
  let gateLease: Lease | undefined;
  if (gate.kind === 'in-process' && deps.database.dialect === 'mysql') {
    gateLease = await claimLease({
      database: deps.database,
      name: 'flash-sale-gate',
      what: "the flash-sale system's in-process stock gate (REDIS_URL unset)",
      hint: 'set the same REDIS_URL on every flash-sale process to share the gate in Redis, or run the flash-sale system in one process',
      logger,
    }).catch(async (error: unknown) => {
      await gate.close();
      throw error;
    });
  }
  const producer = await deps.mq.producer({ group: 'flash-sale', topics: [Topics.FLASH_SALE_ORDER] });
  const unsent = new Map<string, FlashSaleOrderEvent>();
  const send = (event: FlashSaleOrderEvent) =>
    producer.send({ topic: Topics.FLASH_SALE_ORDER, keys: [event.ticketId], body: JSON.stringify(event) });
  const ctx: FlashSaleContext = {
    database: deps.database,
    commits: transactionsFor(deps.database),
    mq: deps.mq,
    producer: () => producer,
    gate,
    sales: new Map(),
    soldOut: new Map(),
    salesLoadedAt: 0,
    clock: deps.clock,
    newTicketId: ticketIds(),
    logger,
    metrics: {
      requests: new Counter({
        name: 'orderflow_flash_sale_requests_total',
        help: 'Flash-sale purchase requests by result',
        labelNames: ['result'],
        registers: [deps.registry],
      }),
      dbWrites: new Counter({
        name: 'orderflow_flash_sale_db_writes_total',
        help: 'Database writes made for flash sales, by database',
        labelNames: ['db'],
        registers: [deps.registry],
      }),
      tickets: new Counter({
        name: 'orderflow_flash_sale_tickets_total',
        help: 'Flash-sale tickets settled, by status',
        labelNames: ['status'],
        registers: [deps.registry],
      }),
    },
    async sendOrderMessage(event) {
      try {
        await send(event);
      } catch (error) {
        // The buyer is admitted and the ticket written: the message is owed. Retried in the background.
        logger.error({ err: error, ticketId: event.ticketId }, 'sending a flash-sale order message failed; retrying in the background');
        unsent.set(event.ticketId, event);
      }
    },
  };
  const closers: (() => Promise<unknown>)[] = [() => gate.close(), async () => gateLease?.close(), () => producer.close()];
  const close = async () => {
    for (const closer of closers.splice(0).reverse())
      await closer().catch((error: Error) => logger.error({ err: error }, 'closing the flash-sale system failed'));
  };
  try {
    if (deps.config.seedDemo) await seedFlashSaleDemo(db, deps.clock(), deps.config.seedStock);
    await loadSales(ctx);
    // Nothing is being admitted yet (HTTP is not listening), so every in-process admission can be looked at; other processes may share a Redis gate.
    await recover(ctx, { graceMs: gate.kind === 'in-process' ? 0 : RECOVERY_GRACE_MS, queuedWithoutMessage: true });
    if (deps.orders) {
      const creator = await startOrderCreator(ctx, deps.orders, deps.config.flashSaleRate);
      closers.push(() => creator.close());
    } else {
      logger.warn('the order system does not run in this process: flash-sale tickets wait in the queue for a process that runs both');
    }
  } catch (error) {
    await close();
    throw error;
  }
  const resender = setInterval(() => {
    for (const [ticketId, event] of unsent)
      send(event).then(
        () => unsent.delete(ticketId),
        () => undefined,
      );
  }, RESEND_INTERVAL_MS);
  let recovering = false;
  const recoverer = setInterval(() => {
    if (recovering) return;
    recovering = true;
    recover(ctx, { graceMs: RECOVERY_GRACE_MS, queuedWithoutMessage: false })
      .catch((error: Error) => logger.error({ err: error }, 'flash-sale recovery failed'))
      .finally(() => (recovering = false));
  }, RECOVERY_INTERVAL_MS);
  resender.unref();
  recoverer.unref();
  closers.push(async () => {
    clearInterval(resender);
    clearInterval(recoverer);
  });
  // Per user (the authenticated caller), in this process: a Map lookup per request, nothing shared, nothing written.
  const userRate = deps.config.flashSaleUserRate ?? DEFAULT_FLASH_SALE_USER_RATE;
  const throttle = userRate > 0 ? new UserThrottle({ rate: userRate }) : undefined;

  return {
    context: ctx,
    gateKind: gate.kind,
    /** Whether the stock gate's store answers (Redis when REDIS_URL is set), for the health check. */
    pingGate: () => gate.ping(),
    /** Sales with the units the gate has left. */
    async listSales() {
      // A sale another instance created is in the database, not in this instance's cache: re-read at most once a second.
      if (ctx.clock() - ctx.salesLoadedAt >= SALES_RELOAD_MS) await loadSales(ctx);
      return Promise.all(
        [...ctx.sales.values()].map(async (sale) => ({
          id: sale.id,
          skuId: sale.skuId,
          stock: (await gate.remaining(sale.id)) ?? sale.stock,
          startsAt: new Date(sale.startsAt).toISOString(),
          endsAt: new Date(sale.endsAt).toISOString(),
          priceCents: sale.priceCents,
          totalStock: sale.stock,
        })),
      );
    },
    /**
     * Creates a sale (its id is new, never reused; it starts now unless told) and opens it in the gate. Its SKU must
     * exist in the order system with at least the sale's units available now (404 SKU_NOT_FOUND, 409 STOCK_INSUFFICIENT):
     * otherwise the gate would admit buyers whose tickets can only fail. Its price is at most the SKU's list price
     * (400): a flash sale sells cheaper, and a typo of a few zeros must not become the price of every unit of the sale.
     * Checked through the order system in this process — it shares no database with this system — so a process without
     * it cannot create sales (503).
     */
    async createSale(input: { skuId: string; priceCents: number; stock: number; startsAt?: number; endsAt: number }): Promise<Sale> {
      const now = deps.clock();
      const sale: Sale = { id: newSaleId(now), ...input, startsAt: input.startsAt ?? now };
      if (!SKU_ID_PATTERN.test(sale.skuId)) throw validationFailed([{ path: 'skuId', message: 'is not a SKU id' }]);
      if (sale.endsAt <= sale.startsAt) throw validationFailed([{ path: 'endsAt', message: 'must be after startsAt' }]);
      if (!deps.orders) {
        throw new AppError(
          ErrorCode.SERVICE_UNAVAILABLE,
          'the order system does not run in this process: create flash sales through a process that runs it (it checks the SKU and its stock)',
        );
      }
      const sku = await deps.orders.findSku(sale.skuId);
      if (!sku) throw notFound('sku', sale.skuId);
      if (sale.priceCents > sku.priceCents) {
        throw validationFailed(
          [{ path: 'body.priceCents', message: `must be at most the SKU's list price (${sku.priceCents})` }],
          `a flash sale's price is at most its SKU's list price: ${sale.skuId} lists at ${sku.priceCents} cents`,
        );
      }
      if (sku.available < sale.stock) throw stockInsufficient(sale.skuId, sale.stock, sku.available);
      await db
        .insertInto('flash_sales')
        .values({
          sale_id: sale.id,
          sku_id: sale.skuId,
          price_cents: sale.priceCents,
          stock: sale.stock,
          starts_at: sale.startsAt,
          ends_at: sale.endsAt,
          created_at: now,
        })
        .execute();
      await openSale(ctx, sale);
      ctx.sales.set(sale.id, sale);
      return sale;
    },
    /** One unit for the user: 202 {ticketId}, or 409, or 429 RATE_LIMITED if the user asks too often (checked first: a refused request changes nothing). */
    requestUnit(saleId: string, userId: string) {
      const waitMs = throttle?.check(userId) ?? 0;
      if (waitMs > 0) {
        ctx.metrics.requests.inc({ result: 'throttled' });
        return Promise.reject(throttled(userId, waitMs, throttle as UserThrottle));
      }
      return requestUnit(ctx, saleId, userId);
    },
    /** The per-user request limit (undefined when ORDERFLOW_FLASH_SALE_USER_RATE is 0). */
    throttle,
    /** A ticket of the user (404 for someone else's); `userId` null for the system itself. */
    async getTicket(userId: string | null, ticketId: string) {
      const ticket = await findTicket(db, ticketId);
      if (!ticket || (userId !== null && ticket.user_id !== userId)) throw notFound('ticket', ticketId);
      return {
        ticketId: ticket.ticket_id,
        saleId: ticket.sale_id,
        status: ticket.status,
        ...(ticket.order_id === null ? {} : { orderId: ticket.order_id }),
        ...(ticket.reason === null ? {} : { reason: ticket.reason }),
      };
    },
    /** Completes admissions a crash interrupted (also run at start-up and every 30 s). */
    recover: (options: { graceMs: number; queuedWithoutMessage: boolean } = { graceMs: RECOVERY_GRACE_MS, queuedWithoutMessage: true }) =>
      recover(ctx, options),
    close,
  };
}

/** 429 with `Retry-After` (whole seconds, rounded up, from details.retryAfterMs) and the exact wait in the message. */
function throttled(userId: string, waitMs: number, throttle: UserThrottle): AppError {
  const retryAfterMs = Math.ceil(waitMs);
  return new AppError(
    ErrorCode.RATE_LIMITED,
    `too many flash-sale requests from user '${userId}' (at most ${throttle.rate}/s, bursts of ${throttle.burst}): retry in ${retryAfterMs} ms`,
    { details: { retryAfterMs, userId, ratePerSecond: throttle.rate, burst: throttle.burst }, retriable: true },
  );
}
