import { Topics } from '../shared/topics.js';
import type { FlashSaleContext } from './context.js';
import { ticketTime } from './ids.js';
import { insertTicket, knownAdmissions, type Sale } from './repository.js';
import { openSale } from './request-unit.js';
import { TicketStatus } from './states.js';

/** Admissions younger than this may still be on their way to their ticket in some request: left alone. */
export const RECOVERY_GRACE_MS = 10_000;

export interface RecoveryReport {
  /** Admissions the gate held without a ticket: ticket written, message sent. */
  ticketsWritten: number;
  /** QUEUED tickets without a message in the queue: message sent. */
  messagesSent: number;
}

/**
 * Completes what a crash interrupted (see request-unit.ts for the order of the writes):
 * - an admission in the gate without a ticket → the ticket and its message (the buyer was admitted:
 *   the unit is theirs, even if they never saw the 202);
 * - with `queuedWithoutMessage` (at start-up): a QUEUED ticket whose message never reached the queue
 *   → the message. Later in the process's life, a failed send is retried by the sender itself.
 * Duplicates are harmless: tickets are written idempotently and the creator is idempotent per ticket.
 */
export async function recover(ctx: FlashSaleContext, options: { graceMs: number; queuedWithoutMessage: boolean }): Promise<RecoveryReport> {
  const report: RecoveryReport = { ticketsWritten: 0, messagesSent: 0 };
  const now = ctx.clock();
  for (const sale of ctx.sales.values()) {
    await openSale(ctx, sale);
    if (await admittedWithoutTicket(ctx, sale)) {
      const tickets = await knownAdmissions(ctx.database.db, sale.id);
      const admitted = await ctx.gate.admissions(sale.id);
      const ticketed = new Set(tickets.map((t) => t.userId));
      for (const [userId, ticketId] of admitted) {
        const at = ticketTime(ticketId);
        if (ticketed.has(userId) || !(now - at >= options.graceMs)) continue;
        // Not written by us: a request is writing it right now, and will send the message itself.
        if (!(await insertTicket(ctx.database.db, { ticketId, saleId: sale.id, userId, at }))) continue;
        await ctx.sendOrderMessage(event(sale, userId, ticketId, at));
        report.ticketsWritten++;
      }
    }
    if (options.queuedWithoutMessage) report.messagesSent += await resendQueued(ctx, sale);
  }
  if (report.ticketsWritten + report.messagesSent > 0) ctx.logger.warn(report, 'flash-sale recovery completed interrupted admissions');
  return report;
}

/** Cheap first look (a counter and a COUNT): does the gate count more admissions than there are tickets? */
async function admittedWithoutTicket(ctx: FlashSaleContext, sale: Sale): Promise<boolean> {
  const remaining = await ctx.gate.remaining(sale.id);
  const row = await ctx.database.db
    .selectFrom('flash_sale_tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('sale_id', '=', sale.id)
    .executeTakeFirst();
  return remaining !== undefined && sale.stock - remaining > Number(row?.n ?? 0);
}

async function resendQueued(ctx: FlashSaleContext, sale: Sale): Promise<number> {
  const queued = await ctx.database.db
    .selectFrom('flash_sale_tickets')
    .select(['ticket_id', 'user_id', 'created_at'])
    .where('sale_id', '=', sale.id)
    .where('status', '=', TicketStatus.QUEUED)
    .execute();
  let sent = 0;
  for (const ticket of queued) {
    if ((await ctx.mq.admin.findMessagesByKey(Topics.FLASH_SALE_ORDER, ticket.ticket_id, 1)).length > 0) continue;
    await ctx.sendOrderMessage(event(sale, ticket.user_id, ticket.ticket_id, Number(ticket.created_at)));
    sent++;
  }
  return sent;
}

const event = (sale: Sale, userId: string, ticketId: string, admittedAt: number) => ({
  ticketId,
  saleId: sale.id,
  userId,
  skuId: sale.skuId,
  priceCents: sale.priceCents,
  admittedAt,
});
