import { SaleNotOpenError, type Admission, type GateSale, type KnownAdmission, type StockGate } from './gate.js';

interface SaleState {
  remaining: number;
  /** userId → ticketId of every admitted buyer. */
  users: Map<string, string>;
}

/**
 * The embedded stock gate: a counter per sale in this process's memory. The check and the
 * decrement happen synchronously, so two requests can never take the same unit, and a refused
 * request touches no database at all.
 *
 * Its durable record is the flash-sale database itself: every admission becomes a ticket row,
 * written before the buyer hears 202, and `open` rebuilds the counter from those rows (remaining =
 * stock − tickets). A crash can only lose admissions whose ticket was not written — buyers who were
 * never told they had one — so their units come back and a restart can neither oversell nor forget a
 * buyer. One process per flash-sale database (the embedded default); several processes need Redis.
 *
 * @example
 * const gate = new InProcessGate();
 * await gate.open({ id: sale.id, stock: 500, endsAt }, () => ticketsOf(sale.id));
 * const admission = await gate.admit(sale.id, 'user1', newTicketId(Date.now()));
 */
export class InProcessGate implements StockGate {
  readonly kind = 'in-process';
  readonly #sales = new Map<string, SaleState>();
  readonly #opening = new Map<string, Promise<void>>();

  open(sale: GateSale, known: () => Promise<KnownAdmission[]>): Promise<void> {
    if (this.#sales.has(sale.id)) return Promise.resolve();
    let opening = this.#opening.get(sale.id);
    if (!opening) {
      opening = known()
        .then((admitted) => {
          const users = new Map(admitted.map((a) => [a.userId, a.ticketId]));
          this.#sales.set(sale.id, { remaining: Math.max(0, sale.stock - users.size), users });
        })
        .finally(() => this.#opening.delete(sale.id));
      this.#opening.set(sale.id, opening);
    }
    return opening;
  }

  async admit(saleId: string, userId: string, ticketId: string): Promise<Admission> {
    const state = this.#sales.get(saleId);
    if (!state) throw new SaleNotOpenError(saleId);
    const earlier = state.users.get(userId);
    if (earlier !== undefined) return { admitted: false, reason: 'ALREADY_HAS_TICKET', ticketId: earlier };
    if (state.remaining <= 0) return { admitted: false, reason: 'SOLD_OUT' };
    state.remaining--;
    state.users.set(userId, ticketId);
    return { admitted: true, ticketId };
  }

  async remaining(saleId: string): Promise<number | undefined> {
    return this.#sales.get(saleId)?.remaining;
  }

  async admissions(saleId: string): Promise<Map<string, string>> {
    return new Map(this.#sales.get(saleId)?.users ?? []);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#sales.clear();
  }
}
