import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { sleep, waitUntil } from '../support/wait.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => t?.stop());

test('an SMS vendor outage does not slow payment; the circuit breaker stops hammering it; the SMS goes out once it is back', async () => {
  const down = await t.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { down: true } });
  assert.equal(down.status, 200);
  assert.equal(down.body.down, true);
  const placed = await t.call('POST', '/api/orders', {
    as: 'user11',
    body: { userId: 'user11', items: [{ skuId: 'SKU-1003', quantity: 1 }] },
  });
  const started = performance.now();
  const paid = await t.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user11', body: {} });
  assert.equal(paid.status, 200);
  assert.ok(performance.now() - started < 1_000, 'payment does not wait for the SMS vendor');

  const order = async () => (await t.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user11' })).body;
  assert.ok(
    await waitUntil(async () => (await order()).status === 'SHIPPED', 10_000, 100),
    'the warehouse is not held up by the SMS outage',
  );
  await sleep(3_000); // retries at 100 ms, 300 ms, 600 ms, 1.2 s, 2.4 s (ORDERFLOW_RETRY_SCALE=0.01)
  const during = (await t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' })).body.stats;
  assert.equal((await order()).downstream.push.length, 0, 'no SMS while the vendor is down');
  assert.ok(during.failures >= 1, `the vendor was tried: ${JSON.stringify(during)}`);
  assert.ok(during.failures <= 5, `the breaker opened after 5 failures and stopped calling: ${JSON.stringify(during)}`);

  await t.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { down: false } });
  assert.ok(
    await waitUntil(async () => (await order()).downstream.push.length === 1, 30_000, 200),
    'the SMS is sent once the vendor is back',
  );
  const stats = (await t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' })).body.stats;
  assert.equal(stats.executed, 1, 'exactly one SMS');
});
