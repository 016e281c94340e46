import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.js';
import { SaleNotOpenError, type Admission, type GateSale, type KnownAdmission, type StockGate } from './gate.js';
import type { FlashSaleDB } from './schema.js';

interface SaleState {
  remaining: number;
  /** userId → ticketId of every admitted buyer. */
  users: Map<string, string>;
}

/**
 * The embedded stock gate: a counter per sale in this process's memory, every admission persisted
 * as a row of `flash_sale_gate_admissions` in the flash-sale database. The check and the decrement
 * happen synchronously, before the first await, so two requests can never take the same unit; the
 * row is written before the buyer is told, and on a restart the counter is rebuilt from the rows
 * (remaining = stock − admissions), so a restart can neither oversell nor forget a buyer. A refused
 * request touches no database at all. One process per flash-sale database (the embedded default);
 * several processes need the Redis gate.
 *
 * @example
 * const gate = new InProcessGate(database, Date.now);
 * await gate.open({ id: sale.id, stock: 500, endsAt }, async () => []);
 * const admission = await gate.admit(sale.id, 'user1', newTicketId(Date.now()));
 */
export class InProcessGate implements StockGate {
  readonly kind = 'in-process';
  readonly #db: Kysely<FlashSaleDB>;
  readonly #clock: () => number;
  readonly #sales = new Map<string, SaleState>();
  readonly #opening = new Map<string, Promise<void>>();

  constructor(database: Database<FlashSaleDB>, clock: () => number) {
    this.#db = database.db;
    this.#clock = clock;
  }

  open(sale: GateSale, known: () => Promise<KnownAdmission[]>): Promise<void> {
    if (this.#sales.has(sale.id)) return Promise.resolve();
    let opening = this.#opening.get(sale.id);
    if (!opening) {
      opening = this.#load(sale, known).finally(() => this.#opening.delete(sale.id));
      this.#opening.set(sale.id, opening);
    }
    return opening;
  }

  async #load(sale: GateSale, known: () => Promise<KnownAdmission[]>): Promise<void> {
    const rows = await this.#db.selectFrom('flash_sale_gate_admissions').select(['user_id', 'ticket_id']).where('sale_id', '=', sale.id).execute();
    const users = new Map(rows.map((r) => [r.user_id, r.ticket_id]));
    // Tickets the gate has no row for (e.g. issued while the Redis gate was configured) count as admitted too.
    for (const { userId, ticketId } of await known()) if (!users.has(userId)) users.set(userId, ticketId);
    this.#sales.set(sale.id, { remaining: Math.max(0, sale.stock - users.size), users });
  }

  async admit(saleId: string, userId: string, ticketId: string): Promise<Admission> {
    const state = this.#sales.get(saleId);
    if (!state) throw new SaleNotOpenError(saleId);
    const earlier = state.users.get(userId);
    if (earlier !== undefined) return { admitted: false, reason: 'ALREADY_HAS_TICKET', ticketId: earlier };
    if (state.remaining <= 0) return { admitted: false, reason: 'SOLD_OUT' };
    state.remaining--;
    state.users.set(userId, ticketId);
    try {
      await this.#db.insertInto('flash_sale_gate_admissions').values({ sale_id: saleId, user_id: userId, ticket_id: ticketId, admitted_at: this.#clock() }).execute();
    } catch (error) {
      // Not persisted, so not admitted: the unit goes back (no buyer was told anything yet).
      state.remaining++;
      state.users.delete(userId);
      throw error;
    }
    return { admitted: true, ticketId };
  }

  async remaining(saleId: string): Promise<number | undefined> {
    return this.#sales.get(saleId)?.remaining;
  }

  async admissions(saleId: string): Promise<Map<string, string>> {
    return new Map(this.#sales.get(saleId)?.users ?? []);
  }

  async close(): Promise<void> {
    this.#sales.clear();
  }
}
