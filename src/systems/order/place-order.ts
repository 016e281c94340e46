import { notFound, validationFailed } from '../../errors.js';
import { Tags, Topics } from '../topics.js';
import type { OrderContext } from './context.js';
import { addHistory, newOrderId, reserveStock } from './repository.js';
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
 * and schedules the `order_timeout` delayed message for the pay deadline (problem #3) so that
 * closing never scans the orders table.
 */
export async function placeOrder(ctx: OrderContext, input: PlaceOrderInput): Promise<PlacedOrder> {
  const { db } = ctx.database;
  const now = ctx.clock();
  const items = mergeItems(input.items);
  const user = await db.selectFrom('users').select('phone').where('user_id', '=', input.userId).executeTakeFirst();
  if (!user) throw notFound('user', input.userId);
  const skus = await db.selectFrom('skus').select(['sku_id', 'price_cents']).where('sku_id', 'in', items.map((i) => i.skuId)).execute();
  const price = new Map(skus.map((s) => [s.sku_id, Number(s.price_cents)]));
  for (const item of items) if (!price.has(item.skuId)) throw notFound('sku', item.skuId);
  const subtotal = items.reduce((sum, i) => sum + (price.get(i.skuId) as number) * i.quantity, 0);
  const orderId = newOrderId(now);
  const payDeadline = now + ctx.config.payTimeoutMs;

  const discount = input.couponId ? (await ctx.coupons.lock(input.couponId, input.userId, orderId, subtotal)).discountCents : 0;
  try {
    if (ctx.config.close === 'delay') {
      // Sent before the commit: if the commit fails, the message later finds no open order and does nothing.
      await ctx.producer().send({
        topic: Topics.ORDER_TIMEOUT,
        tag: Tags.TIMEOUT,
        keys: [orderId],
        body: JSON.stringify({ orderId, payDeadline }),
        deliverAt: payDeadline,
      });
    }
    await db.transaction().execute(async (trx) => {
      for (const item of [...items].sort((a, b) => a.skuId.localeCompare(b.skuId))) await reserveStock(trx, item.skuId, item.quantity);
      await trx
        .insertInto('orders')
        .values({
          order_id: orderId,
          user_id: input.userId,
          phone: user.phone,
          status: OrderStatus.WAIT_PAY,
          total_cents: subtotal - discount,
          discount_cents: discount,
          coupon_id: input.couponId ?? null,
          payment_id: null,
          tracking_no: null,
          pay_deadline: payDeadline,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto('order_items')
        .values(items.map((i) => ({ order_id: orderId, sku_id: i.skuId, quantity: i.quantity, price_cents: price.get(i.skuId) as number })))
        .execute();
      await addHistory(trx, orderId, null, OrderStatus.WAIT_PAY, now, null);
    });
  } catch (error) {
    if (input.couponId) await ctx.coupons.release(orderId).catch((e) => ctx.logger.error({ err: e, orderId }, 'releasing the coupon of a failed order failed'));
    throw error;
  }
  ctx.wakeChangelog();
  ctx.metrics.ordersPlaced.inc();
  return { orderId, status: OrderStatus.WAIT_PAY, payDeadline: new Date(payDeadline).toISOString(), totalCents: subtotal - discount, discountCents: discount };
}

function mergeItems(items: PlaceOrderInput['items']): PlaceOrderInput['items'] {
  if (items.length === 0) throw validationFailed([{ path: 'items', message: 'must hold at least one item' }]);
  const merged = new Map<string, number>();
  for (const { skuId, quantity } of items) merged.set(skuId, (merged.get(skuId) ?? 0) + quantity);
  return [...merged].map(([skuId, quantity]) => ({ skuId, quantity }));
}
