import { preparedQuery } from '../../db/index.js';
import { notFound, validationFailed } from '../../errors.js';
import { Tags, Topics } from '../shared/topics.js';
import type { OrderContext } from './context.js';
import { type QueuedMessage, queueMessage } from './message-outbox.js';
import { addHistory, newOrderId, reserveStock } from './repository.js';
import type { OrderDB } from './schema.js';
import { OrderStatus } from './states.js';

export interface PlaceOrderInput {
  userId: string;
  items: { skuId: string; quantity: number }[];
  couponId?: string;
}

export interface PlacedOrder {
  orderId: string;
  status: 'WAIT_PAY';
  payDeadline: string;
  totalCents: number;
  discountCents: number;
}

/**
 * Places an order: reserves stock (never oversold: a guarded update per SKU), applies a coupon,
 * and schedules the `order_timeout` delayed message for the pay deadline so that
 * closing never scans the orders table.
 */
export async function placeOrder(ctx: OrderContext, input: PlaceOrderInput): Promise<PlacedOrder> {
  const { db } = ctx.database;
  const now = ctx.clock();
  const items = mergeItems(input.items);
  // Both reads at once: on MySQL one round trip of waiting instead of two.
  const [users, skus] = await Promise.all([
    selectPhone(db, { userId: input.userId }),
    db
      .selectFrom('skus')
      .select(['sku_id', 'price_cents'])
      .where(
        'sku_id',
        'in',
        items.map((i) => i.skuId),
      )
      .execute(),
  ]);
  const user = users.rows[0];
  if (!user) throw notFound('user', input.userId);
  const price = new Map(skus.map((s) => [s.sku_id, Number(s.price_cents)]));
  for (const item of items) if (!price.has(item.skuId)) throw notFound('sku', item.skuId);
  const subtotal = items.reduce((sum, i) => sum + (price.get(i.skuId) as number) * i.quantity, 0);
  const orderId = newOrderId(now);
  const payDeadline = now + ctx.config.payTimeoutMs;

  const discount = input.couponId ? (await ctx.coupons.lock(input.couponId, input.userId, orderId, subtotal)).discountCents : 0;
  const timeout = timeoutMessage(ctx, orderId, payDeadline);
  try {
    // Transactional messages: sent before the commit; if the commit fails, the message later finds no open order and does nothing.
    if (timeout && ctx.config.orderMessages === 'transactional') await ctx.producer().send(timeout);
    await ctx.transact(async (trx) => {
      for (const item of [...items].sort((a, b) => a.skuId.localeCompare(b.skuId))) await reserveStock(trx, item.skuId, item.quantity);
      await insertOrder(trx, {
        orderId,
        userId: input.userId,
        phone: user.phone,
        total: subtotal - discount,
        discount,
        couponId: input.couponId ?? null,
        payDeadline,
        now,
      });
      for (const i of items) await insertItem(trx, { orderId, skuId: i.skuId, quantity: i.quantity, price: price.get(i.skuId) as number });
      await addHistory(trx, orderId, null, OrderStatus.WAIT_PAY, now, null);
      // The message outbox: the deadline's message is a row of this transaction, published by the relay.
      if (timeout && ctx.config.orderMessages === 'outbox') await queueMessage(trx, timeout, now);
    });
  } catch (error) {
    if (input.couponId)
      await ctx.coupons
        .release(orderId)
        .catch((e) => ctx.logger.error({ err: e, orderId }, 'releasing the coupon of a failed order failed'));
    throw error;
  }
  ctx.wakeRelays();
  ctx.metrics.ordersPlaced.inc();
  return {
    orderId,
    status: OrderStatus.WAIT_PAY,
    payDeadline: new Date(payDeadline).toISOString(),
    totalCents: subtotal - discount,
    discountCents: discount,
  };
}

/** The delayed `order_timeout` message that closes the order at its pay deadline; none when closing scans (ORDERFLOW_CLOSE=scan). */
export function timeoutMessage(ctx: OrderContext, orderId: string, payDeadline: number): QueuedMessage | undefined {
  if (ctx.config.close !== 'delay') return undefined;
  return {
    topic: Topics.ORDER_TIMEOUT,
    tag: Tags.TIMEOUT,
    keys: [orderId],
    body: JSON.stringify({ orderId, payDeadline }),
    deliverAt: payDeadline,
  };
}

// Placing runs these for every order: built once, see src/db/prepared-query.ts.
const selectPhone = preparedQuery<OrderDB, { userId: string }, { phone: string }>((db, param) =>
  db.selectFrom('users').select('phone').where('user_id', '=', param('userId')),
);
const insertOrder = preparedQuery<
  OrderDB,
  {
    orderId: string;
    userId: string;
    phone: string;
    total: number;
    discount: number;
    couponId: string | null;
    payDeadline: number;
    now: number;
  }
>((db, param) =>
  db.insertInto('orders').values({
    order_id: param('orderId'),
    user_id: param('userId'),
    phone: param('phone'),
    status: OrderStatus.WAIT_PAY,
    total_cents: param('total'),
    discount_cents: param('discount'),
    coupon_id: param('couponId'),
    payment_id: null,
    tracking_no: null,
    pay_deadline: param('payDeadline'),
    created_at: param('now'),
    updated_at: param('now'),
  }),
);
const insertItem = preparedQuery<OrderDB, { orderId: string; skuId: string; quantity: number; price: number }>((db, param) =>
  db
    .insertInto('order_items')
    .values({ order_id: param('orderId'), sku_id: param('skuId'), quantity: param('quantity'), price_cents: param('price') }),
);

function mergeItems(items: PlaceOrderInput['items']): PlaceOrderInput['items'] {
  if (items.length === 0) throw validationFailed([{ path: 'items', message: 'must hold at least one item' }]);
  const merged = new Map<string, number>();
  for (const { skuId, quantity } of items) merged.set(skuId, (merged.get(skuId) ?? 0) + quantity);
  return [...merged].map(([skuId, quantity]) => ({ skuId, quantity }));
}
