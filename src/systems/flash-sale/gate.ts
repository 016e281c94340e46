/**
 * The stock gate (docs/architecture.md, "Flash sales"): the only thing a flash-sale request touches before it is refused.
 * It admits at most `stock` buyers per sale, one per user, atomically, and remembers whom it
 * admitted (with their ticket id).
 *
 * Two implementations behind this interface, chosen in one place (`createStockGate`):
 * Redis with one Lua script when REDIS_URL is set, else an in-process counter. What the contract
 * holds for both: `admit` is atomic per sale (no two callers take the last unit, no user is admitted
 * twice); `open` is idempotent, never raises the remaining count of a sale the gate knows, and
 * rebuilds a sale the gate has no state for from the tickets it is given (remaining = stock −
 * tickets), so the tickets written by the flash-sale system are a record no restart can undercount.
 * Left to each: where the state lives and how long it lasts (Redis: beyond this process, as durable
 * as that Redis is configured; in-process: this process's life, the tickets being its durable record),
 * and how many processes may share it (Redis: any number; in-process: one per flash-sale database).
 */
import { OrderflowError } from '../../errors.js';
export type Admission =
  | { admitted: true; ticketId: string }
  | { admitted: false; reason: 'SOLD_OUT' }
  /** The user was admitted before: `ticketId` is the one recorded then. */
  | { admitted: false; reason: 'ALREADY_HAS_TICKET'; ticketId: string };

export interface GateSale {
  id: string;
  stock: number;
  /** Epoch ms; the Redis gate lets its keys expire a week after. */
  endsAt: number;
}

/** A buyer the flash-sale database knows was admitted (a ticket row). */
export interface KnownAdmission {
  userId: string;
  ticketId: string;
}

export interface StockGate {
  readonly kind: 'in-process' | 'redis';
  /**
   * Makes the sale known to the gate. When the gate has no state for it yet (first start, or a Redis
   * that lost its data), the remaining count starts at `stock` minus the buyers `known()` lists (the
   * sale's tickets), and they count as admitted. Idempotent: an open sale keeps its state.
   */
  open(sale: GateSale, known: () => Promise<KnownAdmission[]>): Promise<void>;
  /** Admits `userId` with `ticketId`, or refuses: the user's earlier ticket first, then sold out. */
  admit(saleId: string, userId: string, ticketId: string): Promise<Admission>;
  /** Units left; undefined for a sale the gate does not know. */
  remaining(saleId: string): Promise<number | undefined>;
  /** Every admission of the sale, userId → ticketId (recovery compares them with the tickets). */
  admissions(saleId: string): Promise<Map<string, string>>;
  /** Resolves once the gate's store answered (health checks): Redis a PING, the in-process gate at once. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** `admit` on a sale the gate has no state for (never opened here, or a Redis that lost its data). */
export class SaleNotOpenError extends OrderflowError<'FLASH_SALE_NOT_OPEN_IN_GATE'> {
  override readonly name = 'SaleNotOpenError';
  constructor(readonly saleId: string) {
    super('FLASH_SALE_NOT_OPEN_IN_GATE', `flash sale '${saleId}' is not open in the stock gate`, { details: { saleId } });
  }
}
