import type { Kysely } from 'kysely';
import { guardedUpdate, insertIgnoreDuplicate } from '../../db/index.js';
import type { KnownAdmission } from './gate.js';
import type { FlashSaleDB } from './schema.js';
import { TicketStatus } from './states.js';

export type SaleRow = FlashSaleDB['flash_sales'];
export type TicketRow = FlashSaleDB['flash_sale_tickets'];

/** A sale as the system uses it (numbers, not the drivers' bigints). */
export interface Sale {
  id: string;
  skuId: string;
  priceCents: number;
  stock: number;
  startsAt: number;
  endsAt: number;
}

export const toSale = (row: SaleRow): Sale => ({
  id: row.sale_id,
  skuId: row.sku_id,
  priceCents: Number(row.price_cents),
  stock: Number(row.stock),
  startsAt: Number(row.starts_at),
  endsAt: Number(row.ends_at),
});

export async function listSales(db: Kysely<FlashSaleDB>): Promise<Sale[]> {
  return (await db.selectFrom('flash_sales').selectAll().orderBy('starts_at').orderBy('sale_id').execute()).map(toSale);
}

export async function findTicket(db: Kysely<FlashSaleDB>, ticketId: string): Promise<TicketRow | undefined> {
  return db.selectFrom('flash_sale_tickets').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst();
}

/** The sale's tickets as the gate needs them when it has to rebuild its state. */
export async function knownAdmissions(db: Kysely<FlashSaleDB>, saleId: string): Promise<KnownAdmission[]> {
  const rows = await db.selectFrom('flash_sale_tickets').select(['user_id', 'ticket_id']).where('sale_id', '=', saleId).execute();
  return rows.map((r) => ({ userId: r.user_id, ticketId: r.ticket_id }));
}

/**
 * Writes the QUEUED ticket of an admitted buyer. Idempotent: recovery and the request may both
 * write it (same id, same buyer); returns false when it already existed.
 */
export async function insertTicket(
  db: Kysely<FlashSaleDB>,
  ticket: { ticketId: string; saleId: string; userId: string; at: number },
): Promise<boolean> {
  return insertIgnoreDuplicate(
    db.insertInto('flash_sale_tickets').values({
      ticket_id: ticket.ticketId,
      sale_id: ticket.saleId,
      user_id: ticket.userId,
      status: TicketStatus.QUEUED,
      order_id: null,
      reason: null,
      created_at: ticket.at,
      updated_at: ticket.at,
    }),
  );
}

/** QUEUED → ORDERED or FAILED; guarded, so a redelivery changes nothing. Returns whether it won. */
export async function settleTicket(
  db: Kysely<FlashSaleDB>,
  ticketId: string,
  outcome: { status: 'ORDERED'; orderId: string } | { status: 'FAILED'; reason: string },
  at: number,
): Promise<boolean> {
  const patch = outcome.status === TicketStatus.ORDERED ? { order_id: outcome.orderId } : { reason: outcome.reason.slice(0, 255) };
  const changed = await guardedUpdate(
    db
      .updateTable('flash_sale_tickets')
      .set({ status: outcome.status, updated_at: at, ...patch })
      .where('ticket_id', '=', ticketId)
      .where('status', '=', TicketStatus.QUEUED),
  );
  return changed === 1;
}
