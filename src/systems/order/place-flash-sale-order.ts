import { createHash } from 'node:crypto';
import { isUniqueViolation } from '../../db/index.js';
import { notFound } from '../../errors.js';
import type { OrderContext } from './context.js';
import { queueMessage } from './message-outbox.js';
import { timeoutMessage } from './place-order.js';
import { addHistory, findOrder, reserveStock } from './repository.js';
import { OrderStatus } from './states.js';

/** One unit of a flash sale, for the flash-sale system's order creator (docs/architecture.md, "Flash sales"). */
export interface FlashSaleOrderInput {
  /** The flash-sale ticket: the idempotency key (the order id is derived from it). */
  ticketId: string;
  /** When the buyer was admitted (epoch ms): the derived order id sorts by it like any order id. */
  admittedAt: number;
  userId: string;
  skuId: string;
  /** The sale price of the one unit. */
  priceCents: number;
}

export interface FlashSaleOrder {
  orderId: string;
  /** False when the ticket's order already existed (a redelivered message): nothing was written. */
  created: boolean;
}

/**
 * The order id of a ticket: time first like `newOrderId`, then a hash of the ticket. Deterministic,
 * so the orders table's primary key makes creating a ticket's order idempotent: a redelivered or
 * duplicated message finds the order instead of reserving a second unit.
 */
export function flashSaleOrderId(ticketId: string, admittedAt: number): string {
  const hash = createHash('sha256').update(ticketId).digest('hex').slice(0, 10).toUpperCase();
  return `O${admittedAt.toString(36).toUpperCase().padStart(9, '0')}${hash}`;
}

/**
 * Places the order of one flash-sale ticket: one unit at the sale price, stock reserved with the
 * same guarded update as any order (so the order database can never oversell either, whatever the
 * gate did), the pay deadline scheduled as usual, no coupon. Idempotent per ticket. Refuses with
 * STOCK_INSUFFICIENT / USER_NOT_FOUND / SKU_NOT_FOUND (not retriable): the creator fails the ticket.
 */
export async function placeFlashSaleOrder(ctx: OrderContext, input: FlashSaleOrderInput): Promise<FlashSaleOrder> {
  // First, before any await: the creation time is the moment the creator's rate limiter let this write through.
  const now = ctx.clock();
  const { db } = ctx.database;
  const orderId = flashSaleOrderId(input.ticketId, input.admittedAt);
  if (await findOrder(db, orderId)) return { orderId, created: false };
  const user = await db.selectFrom('users').select('phone').where('user_id', '=', input.userId).executeTakeFirst();
  if (!user) throw notFound('user', input.userId);
  const sku = await db.selectFrom('skus').select('sku_id').where('sku_id', '=', input.skuId).executeTakeFirst();
  if (!sku) throw notFound('sku', input.skuId);
  const payDeadline = now + ctx.config.payTimeoutMs;
  const timeout = timeoutMessage(ctx, orderId, payDeadline);
  // As in placeOrder: sent before the commit (if the commit fails, the message finds no open order), or queued in it (the outbox).
  if (timeout && ctx.config.orderMessages === 'transactional') await ctx.producer().send(timeout);
  try {
    await ctx.transact(async (trx) => {
      await reserveStock(trx, input.skuId, 1);
      await trx
        .insertInto('orders')
        .values({
          order_id: orderId,
          user_id: input.userId,
          phone: user.phone,
          status: OrderStatus.WAIT_PAY,
          total_cents: input.priceCents,
          discount_cents: 0,
          coupon_id: null,
          payment_id: null,
          tracking_no: null,
          pay_deadline: payDeadline,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto('order_items')
        .values({ order_id: orderId, sku_id: input.skuId, quantity: 1, price_cents: input.priceCents })
        .execute();
      await addHistory(trx, orderId, null, OrderStatus.WAIT_PAY, now, `flash sale ticket ${input.ticketId}`);
      if (timeout && ctx.config.orderMessages === 'outbox') await queueMessage(trx, timeout, now);
    });
  } catch (error) {
    // Two deliveries of one ticket raced: the other one's order won the primary key; this reservation rolled back.
    if (isUniqueViolation(error) && (await findOrder(db, orderId))) return { orderId, created: false };
    throw error;
  }
  ctx.wakeRelays();
  ctx.metrics.ordersPlaced.inc();
  return { orderId, created: true };
}
