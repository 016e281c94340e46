import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Database, GroupCommitter } from '../../db/index.js';
import type { AppError } from '../../errors.js';
import type { Messaging, Producer } from '../../mq/index.js';
import type { StockGate } from './gate.js';
import type { Sale } from './repository.js';
import type { FlashSaleDB } from './schema.js';

/** The body of a `flash_sale_order` message (key: ticketId): everything the creator needs to place the order. */
export interface FlashSaleOrderEvent {
  ticketId: string;
  saleId: string;
  userId: string;
  skuId: string;
  priceCents: number;
  /** When the gate admitted the buyer (epoch ms). */
  admittedAt: number;
}

export interface FlashSaleMetrics {
  /** Purchase requests by outcome: admitted, sold_out, already_has_ticket, not_running, throttled. */
  requests: Counter<'result'>;
  /** Writes to a database, by database: `flash-sale` (gate admissions, tickets) or `order` (orders the creator placed or tried to). */
  dbWrites: Counter<'db'>;
  /** Tickets settled, by status (ORDERED, FAILED). */
  tickets: Counter<'status'>;
}

/** The flash-sale system's dependencies and shared state, passed to each use case. */
export interface FlashSaleContext {
  database: Database<FlashSaleDB>;
  /** Ticket writes share commits on SQLite (src/db/group-commit.ts): a sale's first seconds admit a unit per request. */
  commits: GroupCommitter<FlashSaleDB>;
  mq: Messaging;
  producer(): Producer;
  gate: StockGate;
  /** Every sale, by id: a handful of rows, read once; the purchase path reads no sale row. */
  sales: Map<string, Sale>;
  /** The SOLD_OUT error of each sale, made once (see request-unit.ts). */
  soldOut: Map<string, AppError>;
  /** When `sales` was last read from the database (an unknown id rereads it, at most once a second). */
  salesLoadedAt: number;
  /** The reread under way, shared by every request for an id this process does not know yet. */
  salesReload?: Promise<void>;
  clock(): number;
  /** Ticket id generator (ids.ts: `ticketIds()`). */
  newTicketId(now: number): string;
  logger: Logger;
  metrics: FlashSaleMetrics;
  /** Sends a ticket's message; on failure keeps it and retries in the background (the buyer is admitted already). */
  sendOrderMessage(event: FlashSaleOrderEvent): Promise<void>;
}
