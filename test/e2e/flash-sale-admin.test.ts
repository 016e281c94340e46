import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * `POST /api/admin/flash-sales` only makes a sale the order system can fill: an id that is not a SKU id is 400, a SKU
 * that does not exist 404 SKU_NOT_FOUND, one with fewer units available than the sale 409 STOCK_INSUFFICIENT — and a
 * price over the SKU's list price 400, and a refused sale leaves nothing behind (before the check, buyers of such a sale got 202 and a FAILED ticket).
 */
describe('flash sales: a new sale must name a SKU that exists, with the units', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t?.stop());

  const endsAt = () => new Date(Date.now() + 3_600_000).toISOString();
  const create = (skuId: unknown, stock = 5, priceCents: unknown = 100) =>
    t.call('POST', '/api/admin/flash-sales', { as: 'admin', body: { skuId, priceCents, stock, endsAt: endsAt() } });
  const sales = async () => (await t.call('GET', '/api/flash-sales')).body as { id: string; skuId: string }[];

  test('ids that are not SKU ids are 400 VALIDATION_FAILED; an unknown SKU is 404 SKU_NOT_FOUND; no sale is made', async () => {
    const before = await sales();
    for (const skuId of ['../SKU-1001', 'SKU-1001\u0000', 'SKU 1001', '<script>', '', 'x'.repeat(65), 42]) {
      const res = await create(skuId);
      assert.equal(res.status, 400, `${JSON.stringify(skuId)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.equal(res.body.error.details.issues[0].path, 'body.skuId');
    }
    const unknown = await create('NOPE');
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    assert.equal(unknown.body.error.code, 'SKU_NOT_FOUND');
    assert.deepEqual(await sales(), before);
  });

  test('a sale larger than the units the SKU has available is 409 STOCK_INSUFFICIENT; one that fits is made', async () => {
    const sku = ((await t.call('GET', '/api/skus')).body as { skuId: string; stock: { available: number } }[]).find(
      (s) => s.skuId === 'SKU-1004',
    );
    assert.ok(sku);
    const before = await sales();
    const tooBig = await create('SKU-1004', sku.stock.available + 1);
    assert.equal(tooBig.status, 409, JSON.stringify(tooBig.body));
    assert.equal(tooBig.body.error.code, 'STOCK_INSUFFICIENT');
    assert.deepEqual(await sales(), before);
    const fits = await create('SKU-1004', sku.stock.available);
    assert.equal(fits.status, 201, JSON.stringify(fits.body));
    assert.equal(fits.body.skuId, 'SKU-1004');
  });

  test("a price over the SKU's list price, or under one cent, is 400 VALIDATION_FAILED; the list price itself is taken", async () => {
    const sku = ((await t.call('GET', '/api/skus')).body as { skuId: string; priceCents: number }[]).find((s) => s.skuId === 'SKU-1003');
    assert.ok(sku && sku.priceCents > 1);
    const before = await sales();
    for (const priceCents of [sku.priceCents + 1, 1e308, 0, -1, 1.5]) {
      const res = await create('SKU-1003', 1, priceCents);
      assert.equal(res.status, 400, `${priceCents}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.equal(res.body.error.details.issues[0].path, 'body.priceCents');
    }
    assert.deepEqual(await sales(), before);
    const atList = await create('SKU-1003', 1, sku.priceCents);
    assert.equal(atList.status, 201, JSON.stringify(atList.body));
    assert.equal(atList.body.priceCents, sku.priceCents);
  });

  test('placing an order with an id that is not a SKU id is 400 too', async () => {
    const res = await t.call('POST', '/api/orders', {
      as: 'user1',
      body: { userId: 'user1', items: [{ skuId: '../SKU-1001', quantity: 1 }] },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details.issues[0].path, 'body.items.0.skuId');
  });
});
