import type { OrderContext } from './context.js';
import { DEMO_PASSWORD } from '../../config.js';
import { hashPassword } from './users.js';

export const DEMO_USERS = 100;

const DEMO_SKUS = [
  { sku_id: 'SKU-1001', name: 'Espresso beans 1 kg', price_cents: 2490, available: 500 },
  { sku_id: 'SKU-1002', name: 'Pour-over kettle', price_cents: 5900, available: 200 },
  { sku_id: 'SKU-1003', name: 'Ceramic mug', price_cents: 1290, available: 1000 },
  { sku_id: 'SKU-1004', name: 'Burr grinder', price_cents: 12900, available: 50 },
  { sku_id: 'SKU-2001', name: 'Flash-sale headphones', price_cents: 9900, available: 500 },
];

/** Demo data: users user1 … user100 (password `demo`) with a phone each, and a small catalogue. Idempotent.
 * `stock` overrides every SKU's starting stock (ORDERFLOW_SEED_STOCK, for benchmarks); `users` the number
 * of demo users (ORDERFLOW_SEED_USERS: a flash sale of 500 units needs more than 500 buyers); `password` their
 * password (ORDERFLOW_SEED_PASSWORD: outside the demo, `demo` is refused). */
export async function seedOrderDemo(ctx: OrderContext, stock?: number, users = DEMO_USERS, password = DEMO_PASSWORD): Promise<void> {
  const db = ctx.database.db;
  const existing = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  if (Number(existing?.n ?? 0) === 0) {
    const hash = await hashPassword(password); // one hash for all demo users: seeding stays fast
    const now = ctx.clock();
    for (let from = 0; from < users; from += 500) {
      await db
        .insertInto('users')
        .values(
          Array.from({ length: Math.min(500, users - from) }, (_, k) => from + k + 1).map((n) => ({
            user_id: `user${n}`,
            password_hash: hash,
            phone: `+1555${String(n).padStart(7, '0')}`,
            created_at: now,
          })),
        )
        .execute();
    }
  }
  for (const sku of DEMO_SKUS) {
    const found = await db.selectFrom('skus').select('sku_id').where('sku_id', '=', sku.sku_id).executeTakeFirst();
    if (!found)
      await db
        .insertInto('skus')
        .values({ ...sku, available: stock ?? sku.available, reserved: 0, sold: 0 })
        .execute();
  }
}
