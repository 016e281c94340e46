import { AppError, ErrorCode, alreadyHasTicket, notFound, serviceUnavailable, soldOut } from '../../errors.js';
import type { FlashSaleContext } from './context.js';
import { SaleNotOpenError, type Admission } from './gate.js';
import { insertTicket, knownAdmissions, listSales, type Sale } from './repository.js';

/**
 * A buyer asks for one unit of a flash sale (docs/architecture.md, "Flash sales"). The order of the writes is chosen so that
 * a crash at any point can neither oversell nor lose an admitted buyer:
 *
 * 1. the gate (Redis script or in-process counter) admits or refuses, recording buyer and ticket id;
 *    a refused request stops here and writes nothing anywhere;
 * 2. the QUEUED ticket row (flash-sale database);
 * 3. the `flash_sale_order` message (key ticketId), then 202 {ticketId}.
 *
 * Crash after 1: Redis holds an admission without a ticket; recovery (start-up, then periodic) writes
 * the ticket and sends the message (the in-process gate forgets it with the process: that buyer was
 * never told, and the unit is free again). Crash after 2: a QUEUED ticket without a message; recovery
 * at start-up sends it. The gate counts every admission from step 1 on and is rebuilt from the tickets
 * (in-process, or a Redis that lost its data), so it never admits more than the stock; the order
 * system's guarded stock update is a second wall behind it.
 */
export async function requestUnit(ctx: FlashSaleContext, saleId: string, userId: string): Promise<{ ticketId: string }> {
  const sale = await findSale(ctx, saleId);
  if (!sale) throw notFound('flash sale', saleId);
  const now = ctx.clock();
  if (now < sale.startsAt || now >= sale.endsAt) {
    ctx.metrics.requests.inc({ result: 'not_running' });
    const state = now < sale.startsAt ? 'not started yet' : 'over';
    throw new AppError(ErrorCode.FLASH_SALE_NOT_RUNNING, `flash sale '${saleId}' is ${state}`, {
      details: { flashSaleId: saleId, startsAt: new Date(sale.startsAt).toISOString(), endsAt: new Date(sale.endsAt).toISOString() },
    });
  }
  const ticketId = ctx.newTicketId(now);
  const admission = await admit(ctx, sale, userId, ticketId);
  if (!admission.admitted) {
    ctx.metrics.requests.inc({ result: admission.reason.toLowerCase() });
    throw admission.reason === 'SOLD_OUT' ? soldOutError(ctx, saleId) : alreadyHasTicket(saleId, userId, admission.ticketId);
  }
  ctx.metrics.requests.inc({ result: 'admitted' });
  // The ticket row: the only database write a request makes (and the in-process gate's durable record).
  ctx.metrics.dbWrites.inc({ db: 'flash-sale' });
  try {
    await ctx.commits.run((trx) => insertTicket(trx, { ticketId, saleId, userId, at: now }));
  } catch (error) {
    // The admission stands (the gate has it): a retry answers ALREADY_HAS_TICKET with this ticket id, and recovery writes the ticket.
    throw serviceUnavailable('the flash-sale database', error);
  }
  await ctx.sendOrderMessage({ ticketId, saleId, userId, skuId: sale.skuId, priceCents: sale.priceCents, admittedAt: now });
  return { ticketId };
}

/** Most of a crowd is refused as sold out: one error per sale, not an Error (and its stack) per request. */
function soldOutError(ctx: FlashSaleContext, saleId: string): AppError {
  let error = ctx.soldOut.get(saleId);
  if (!error) ctx.soldOut.set(saleId, (error = soldOut(saleId)));
  return error;
}

/** How often at most an unknown sale id makes this process reread the sales (another process may have created it). */
export const SALES_RELOAD_MS = 1_000;

/**
 * A sale this process does not know may have been created through another instance since it last read them: it is
 * looked for in a read that starts after the request came, so a sale that existed then is never answered 404. The
 * reads stay at most one a second, shared by every request waiting (a flood of unknown ids costs one query a second;
 * each such request waits a second at most).
 */
async function findSale(ctx: FlashSaleContext, saleId: string): Promise<Sale | undefined> {
  const known = ctx.sales.get(saleId);
  if (known) return known;
  await reloadSalesSince(ctx, ctx.clock());
  const sale = ctx.sales.get(saleId);
  if (sale) await openSale(ctx, sale);
  return sale;
}

async function reloadSalesSince(ctx: FlashSaleContext, at: number): Promise<void> {
  while (ctx.salesLoadedAt < at) {
    if (!ctx.salesReload) {
      const wait = Math.min(SALES_RELOAD_MS, Math.max(0, ctx.salesLoadedAt + SALES_RELOAD_MS - ctx.clock()));
      ctx.salesReload = (async () => {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await loadSales(ctx);
      })().finally(() => {
        ctx.salesReload = undefined;
      });
    }
    await ctx.salesReload;
  }
}

/** (Re)reads every sale into the context's cache. */
export async function loadSales(ctx: FlashSaleContext): Promise<void> {
  ctx.salesLoadedAt = ctx.clock();
  for (const sale of await listSales(ctx.database.db)) ctx.sales.set(sale.id, sale);
}

/** Makes the sale known to the gate; its tickets seed the gate only if the gate has no state for it. */
export function openSale(ctx: FlashSaleContext, sale: Sale): Promise<void> {
  return ctx.gate.open({ id: sale.id, stock: sale.stock, endsAt: sale.endsAt }, () => knownAdmissions(ctx.database.db, sale.id));
}

async function admit(ctx: FlashSaleContext, sale: Sale, userId: string, ticketId: string): Promise<Admission> {
  try {
    try {
      return await ctx.gate.admit(sale.id, userId, ticketId);
    } catch (error) {
      if (!(error instanceof SaleNotOpenError)) throw error;
      // The gate lost the sale (a Redis restarted without persistence): rebuild it from the tickets, once.
      ctx.logger.warn({ saleId: sale.id }, 'flash-sale gate had no state for the sale: reopening it from its tickets');
      await openSale(ctx, sale);
      return await ctx.gate.admit(sale.id, userId, ticketId);
    }
  } catch (error) {
    throw serviceUnavailable('the flash-sale stock gate', error);
  }
}
