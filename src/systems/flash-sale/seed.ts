import type { Kysely } from 'kysely';
import { newSaleId } from './ids.js';
import type { FlashSaleDB } from './schema.js';

/** The demo sale: the flash-sale headphones of the order system's demo catalogue, at half price. */
export const DEMO_SALE = { skuId: 'SKU-2001', priceCents: 4_900, stock: 500, durationMs: 30 * 24 * 3_600_000 } as const;

/**
 * One running sale of the demo SKU, unless the database holds a sale already (idempotent).
 * `stock` overrides its units (ORDERFLOW_SEED_STOCK, which sets the SKU's own stock too).
 */
export async function seedFlashSaleDemo(db: Kysely<FlashSaleDB>, now: number, stock?: number): Promise<void> {
  const existing = await db.selectFrom('flash_sales').select('sale_id').limit(1).executeTakeFirst();
  if (existing) return;
  await db
    .insertInto('flash_sales')
    .values({
      sale_id: newSaleId(now),
      sku_id: DEMO_SALE.skuId,
      price_cents: DEMO_SALE.priceCents,
      stock: stock ?? DEMO_SALE.stock,
      starts_at: now,
      ends_at: now + DEMO_SALE.durationMs,
      created_at: now,
    })
    .execute();
}
