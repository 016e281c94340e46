import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { sleep, waitUntil } from '../support/wait.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => t?.stop());

test('an SMS vendor outage: payment still succeeds; the circuit breaker stops hammering the vendor; the SMS goes out once it is back', async () => {
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
  // A vendor that is down answers at once, so this is no proof that payment does not wait for it: the next test is.
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

test('a slow SMS vendor (4 s per SMS) does not slow payment: every pay answers in under half that, and each SMS still goes out once, after its pay answered', async () => {
  const SMS_LATENCY_MS = 4_000; // under the vendor client's 5 s timeout: every SMS goes out, slowly
  const payOne = async (user: string) => {
    const placed = await t.call('POST', '/api/orders', { as: user, body: { userId: user, items: [{ skuId: 'SKU-1004', quantity: 1 }] } });
    assert.equal(placed.status, 201);
    const started = performance.now();
    const paid = await t.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: user, body: {} });
    const ms = performance.now() - started;
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    return { orderId: placed.body.orderId as string, ms, answeredAt: Date.now() };
  };
  const baseline: number[] = [];
  for (const user of ['user21', 'user22', 'user23']) baseline.push((await payOne(user)).ms);

  const slow = await t.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { latencyMs: SMS_LATENCY_MS, down: false } });
  assert.equal(slow.status, 200);
  const pays: Awaited<ReturnType<typeof payOne>>[] = [];
  for (const user of ['user24', 'user25', 'user26', 'user27', 'user28']) pays.push(await payOne(user));
  const figures = `pay ms with the SMS vendor at ${SMS_LATENCY_MS} ms: ${pays.map((p) => Math.round(p.ms))}; before, at its default: ${baseline.map(Math.round)}`;
  for (const p of pays) assert.ok(p.ms < SMS_LATENCY_MS / 2, `a pay waited for the SMS vendor: ${figures}`);

  const smsOf = async (user: string, orderId: string) =>
    (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body.downstream.push as { sentAt: string }[];
  const users = ['user24', 'user25', 'user26', 'user27', 'user28'];
  assert.ok(
    await waitUntil(
      async () => (await Promise.all(pays.map((p, i) => smsOf(users[i], p.orderId)))).every((s) => s.length === 1),
      30_000,
      200,
    ),
    'every SMS went out, slowly',
  );
  for (const [i, p] of pays.entries()) {
    const [sms] = await smsOf(users[i], p.orderId);
    assert.ok(Date.parse(sms.sentAt) >= p.answeredAt, `the SMS of ${p.orderId} was sent after its pay answered (${figures})`);
  }
  await sleep(SMS_LATENCY_MS + 500); // a second SMS for one order, were one sent, would show by now
  for (const [i, p] of pays.entries()) assert.equal((await smsOf(users[i], p.orderId)).length, 1, `one SMS for ${p.orderId}`);
  await t.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { latencyMs: 100 } });
});
