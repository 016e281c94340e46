/**
 * The vendors' own record of every effect they carried out, by order: each SMS sent, shipment booked and refund
 * paid, once per idempotency key (a replayed key is not an effect). It lives with the simulators — in `orderflow
 * vendors` a process of its own — so it outlives any orderflow process that is killed, and shows an effect sent
 * twice across a crash (two SMS for one order under two keys), which no orderflow database could.
 */
export type LedgerEffect = 'sms' | 'shipment' | 'refund';

export interface LedgerEntry {
  effect: LedgerEffect;
  /** The order the caller said the effect is for (null when the caller did not say). */
  orderId: string | null;
  idempotencyKey: string;
  /** Money moved, in currency units (refunds only). */
  amount: number | null;
  /** Epoch ms. */
  at: number;
}

export class VendorLedger {
  readonly #entries: LedgerEntry[] = [];
  readonly #byOrder = new Map<string, LedgerEntry[]>();

  record(entry: Omit<LedgerEntry, 'at'>): void {
    const full = { ...entry, at: Date.now() };
    this.#entries.push(full);
    if (full.orderId === null) return;
    const list = this.#byOrder.get(full.orderId);
    if (list) list.push(full);
    else this.#byOrder.set(full.orderId, [full]);
  }

  /** Every effect of one order, or of all orders (oldest first). */
  entries(orderId?: string): LedgerEntry[] {
    return orderId === undefined ? [...this.#entries] : [...(this.#byOrder.get(orderId) ?? [])];
  }
}

/** An order id as the vendors' bodies carry it (string or integer), as the ledger keys it. */
export function ledgerOrderId(orderId: string | number | undefined): string | null {
  return orderId === undefined ? null : String(orderId);
}
