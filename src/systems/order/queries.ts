import { notFound } from '../../errors.js';
import type { OrderContext } from './context.js';
import type { OrderStatus } from './states.js';

const price = (cents: number) => Math.round(cents) / 100;

export async function listSkus(ctx: OrderContext) {
  const rows = await ctx.database.db.selectFrom('skus').selectAll().orderBy('sku_id').execute();
  return rows.map((s) => ({
    skuId: s.sku_id,
    name: s.name,
    price: price(Number(s.price_cents)),
    priceCents: Number(s.price_cents),
    stock: { available: Number(s.available), reserved: Number(s.reserved), sold: Number(s.sold) },
  }));
}

/** A SKU's list price and units available now, or undefined for an unknown SKU (the flash-sale system checks a new sale against it). */
export async function findSku(
  ctx: OrderContext,
  skuId: string,
): Promise<{ skuId: string; priceCents: number; available: number } | undefined> {
  const row = await ctx.database.db
    .selectFrom('skus')
    .select(['sku_id', 'price_cents', 'available'])
    .where('sku_id', '=', skuId)
    .executeTakeFirst();
  return row && { skuId: row.sku_id, priceCents: Number(row.price_cents), available: Number(row.available) };
}

/** One order of the user with its items and status history (404 for someone else's order). */
export async function getOrder(ctx: OrderContext, userId: string | null, orderId: string) {
  const db = ctx.database.db;
  const order = await db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
  if (!order || (userId !== null && order.user_id !== userId)) throw notFound('order', orderId);
  const [items, history] = await Promise.all([
    db.selectFrom('order_items').selectAll().where('order_id', '=', orderId).orderBy('sku_id').execute(),
    db.selectFrom('order_history').selectAll().where('order_id', '=', orderId).orderBy('seq').execute(),
  ]);
  return {
    orderId: order.order_id,
    userId: order.user_id,
    status: order.status,
    totalCents: Number(order.total_cents),
    total: price(Number(order.total_cents)),
    discountCents: Number(order.discount_cents),
    couponId: order.coupon_id,
    paymentId: order.payment_id,
    trackingNo: order.tracking_no,
    payDeadline: new Date(Number(order.pay_deadline)).toISOString(),
    createdAt: new Date(Number(order.created_at)).toISOString(),
    items: items.map((i) => ({ skuId: i.sku_id, quantity: Number(i.quantity), priceCents: Number(i.price_cents) })),
    history: history.map((h) => ({ from: h.from_status, to: h.to_status, at: new Date(Number(h.at)).toISOString(), note: h.note })),
  };
}

/** A page of the user's orders, newest first; `cursor` is the last orderId of the previous page. */
export async function listOrders(ctx: OrderContext, query: { userId: string; status?: OrderStatus; limit: number; cursor?: string }) {
  let q = ctx.database.db
    .selectFrom('orders')
    .select(['order_id', 'status', 'total_cents', 'created_at', 'pay_deadline'])
    .where('user_id', '=', query.userId);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.cursor) q = q.where('order_id', '<', query.cursor);
  const rows = await q
    .orderBy('order_id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    orders: page.map((o) => ({
      orderId: o.order_id,
      status: o.status,
      totalCents: Number(o.total_cents),
      createdAt: new Date(Number(o.created_at)).toISOString(),
      payDeadline: new Date(Number(o.pay_deadline)).toISOString(),
    })),
    nextCursor: rows.length > query.limit ? page[page.length - 1].order_id : null,
  };
}
