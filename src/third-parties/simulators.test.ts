import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { startThirdParties } from './index.js';
import type { ThirdPartiesOptions } from './index.js';

const fast = { latencyMs: 0 };
const allFast: ThirdPartiesOptions['knobs'] = { sms: fast, logistics: fast, payment: fast };

/** Raw HTTP on purpose: these tests are about the simulators, not about our client. */
async function call(url: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
  const started = performance.now();
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  return { status: response.status, json, ms: performance.now() - started };
}

/** Polls a condition instead of sleeping a guessed time: loaded CI machines are slow. */
async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function started(t: { after(fn: () => Promise<void>): void }, options: ThirdPartiesOptions = { knobs: allFast }) {
  const thirdParties = await startThirdParties(options);
  t.after(() => thirdParties.close());
  return thirdParties;
}

test('simulators: each vendor answers its endpoint and listens on loopback only', async (t) => {
  const { urls } = await started(t);
  for (const url of Object.values(urls)) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const sms = await call(`${urls.sms}/sms`, { to: '+8613800000000', text: 'your order shipped', idempotencyKey: 's1' });
  assert.equal(sms.status, 200);
  assert.match(sms.json.smsId, /^sms_/);
  const shipment = await call(`${urls.logistics}/shipments`, {
    orderId: 'o1',
    items: [{ skuId: 'sku-1', quantity: 2 }],
    idempotencyKey: 'l1',
  });
  assert.equal(shipment.status, 200);
  assert.match(shipment.json.trackingNo, /^LP[0-9A-F]{14}$/);
  const refund = await call(`${urls.payment}/refunds`, { paymentId: 'pay-1', amount: 99.5, idempotencyKey: 'r1' });
  assert.equal(refund.status, 200);
  assert.equal(refund.json.status, 'SUCCEEDED');
  assert.match(refund.json.refundId, /^re_/);
});

test('simulators: the latency knob is honoured, measured end to end', async (t) => {
  const thirdParties = await started(t);
  thirdParties.setKnobs('sms', { latencyMs: 400 });
  const { status, ms } = await call(`${thirdParties.urls.sms}/sms`, { to: '1', text: 'x', idempotencyKey: 'k' });
  assert.equal(status, 200);
  assert.ok(ms >= 395 && ms < 1_500, `took ${ms.toFixed(0)} ms, expected ~400`);
  thirdParties.setKnobs('sms', { latencyMs: 0 }); // live: the next request is fast again
  const again = await call(`${thirdParties.urls.sms}/sms`, { to: '1', text: 'x', idempotencyKey: 'k2' });
  assert.ok(again.ms < 400, `took ${again.ms.toFixed(0)} ms after latency was set to 0`);
});

test('simulators: jitter spreads latency by ± jitterMs and never makes it negative', async (t) => {
  let dice = 0;
  const thirdParties = await started(t, { knobs: { logistics: { latencyMs: 400, jitterMs: 300 } }, random: () => dice });
  const ship = (key: string) =>
    call(`${thirdParties.urls.logistics}/shipments`, { orderId: 1, items: [{ skuId: 1, quantity: 1 }], idempotencyKey: key });
  dice = 0; // lowest draw: 400 - 300
  const low = await ship('a');
  assert.ok(low.ms >= 95, `low draw took ${low.ms.toFixed(0)} ms, expected ~100`);
  dice = 0.999; // highest draw: ~400 + 300
  const high = await ship('b');
  assert.ok(high.ms >= 695, `high draw took ${high.ms.toFixed(0)} ms, expected ~700`);
  // Relative rather than absolute upper bounds: on a loaded machine both draws run late together.
  assert.ok(high.ms - low.ms > 400, `draws ${low.ms.toFixed(0)} and ${high.ms.toFixed(0)} ms are not ~600 ms apart`);
  thirdParties.setKnobs('logistics', { latencyMs: 10, jitterMs: 500 });
  dice = 0; // 10 - 500 is clamped to 0
  const clamped = await ship('c');
  assert.equal(clamped.status, 200);
  assert.ok(clamped.ms < 500, `clamped draw took ${clamped.ms.toFixed(0)} ms`);
});

test('simulators: failureRate 1 fails every request with 503 VENDOR_FAILURE and executes nothing', async (t) => {
  const thirdParties = await started(t, { knobs: { sms: { latencyMs: 0, failureRate: 1 }, logistics: { latencyMs: 0, failureRate: 1 } } });
  for (let i = 0; i < 10; i += 1) {
    const sms = await call(`${thirdParties.urls.sms}/sms`, { to: '1', text: 'x', idempotencyKey: `k${i}` });
    assert.equal(sms.status, 503);
    assert.equal(sms.json.error.code, 'VENDOR_FAILURE');
    assert.equal(typeof sms.json.error.message, 'string');
    const shipment = await call(`${thirdParties.urls.logistics}/shipments`, {
      orderId: 'o',
      items: [{ skuId: 's', quantity: 1 }],
      idempotencyKey: `k${i}`,
    });
    assert.equal(shipment.json.error.code, 'VENDOR_FAILURE');
  }
  assert.deepEqual(thirdParties.stats('sms'), { requests: 10, successes: 0, rejected: 0, failures: 10, inFlight: 0, executed: 0 });
  assert.equal(thirdParties.stats('logistics').executed, 0);
});

test('simulators: failureRate 0.5 fails about half of the requests', async (t) => {
  const thirdParties = await started(t, { knobs: { sms: { latencyMs: 0, failureRate: 0.5 } } });
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) => call(`${thirdParties.urls.sms}/sms`, { to: '1', text: 'x', idempotencyKey: `k${i}` })),
  );
  const failed = answers.filter((a) => a.status === 503).length;
  assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed`); // ±5.6 standard deviations
  const stats = thirdParties.stats('sms');
  assert.equal(stats.failures, failed);
  assert.equal(stats.executed, 200 - failed, 'only the requests that succeeded had an effect');
});

test('simulators: down answers 503 VENDOR_DOWN at once, whatever the latency', async (t) => {
  const thirdParties = await started(t, { knobs: { logistics: { latencyMs: 5_000, down: true } } });
  const { status, json, ms } = await call(`${thirdParties.urls.logistics}/shipments`, {
    orderId: 'o',
    items: [{ skuId: 's', quantity: 1 }],
    idempotencyKey: 'k',
  });
  assert.equal(status, 503);
  assert.equal(json.error.code, 'VENDOR_DOWN');
  assert.ok(ms < 2_500, `took ${ms.toFixed(0)} ms, the latency is 5000`);
  assert.equal(thirdParties.stats('logistics').failures, 1);
});

test('simulators: an outage that starts while a request waits out its latency fails that request', async (t) => {
  const thirdParties = await started(t, { knobs: { payment: { latencyMs: 400 } } });
  const pending = call(`${thirdParties.urls.payment}/refunds`, { paymentId: 'p', amount: 1, idempotencyKey: 'k' });
  await until(() => thirdParties.stats('payment').inFlight === 1);
  thirdParties.setKnobs('payment', { down: true });
  const { json } = await pending;
  assert.equal(json.error.code, 'VENDOR_DOWN');
  assert.equal(thirdParties.stats('payment').executed, 0);
});

test('simulators: bad requests get a 4xx {error:{code,message}} naming the problem', async (t) => {
  const { urls, stats } = await started(t);
  const cases: [string, unknown, number, string, RegExp?][] = [
    [`${urls.sms}/sms`, { to: '1', idempotencyKey: 'k' }, 400, 'INVALID_REQUEST', /^text:/],
    [`${urls.sms}/sms`, '{not json', 400, 'INVALID_JSON'],
    [`${urls.sms}/sms`, { to: '1', text: 'x' }, 400, 'INVALID_REQUEST', /^idempotencyKey:/],
    [`${urls.logistics}/shipments`, { orderId: 'o', items: [], idempotencyKey: 'k' }, 400, 'INVALID_REQUEST', /^items: a shipment needs/],
    [
      `${urls.logistics}/shipments`,
      { orderId: 'o', items: [{ skuId: 's', quantity: 0 }], idempotencyKey: 'k' },
      400,
      'INVALID_REQUEST',
      /^items\.0\.quantity:/,
    ],
    [`${urls.payment}/refunds`, { paymentId: 'p', amount: -5, idempotencyKey: 'k' }, 400, 'INVALID_REQUEST', /^amount:/],
    [`${urls.payment}/refunds`, undefined, 405, 'METHOD_NOT_ALLOWED'],
    [`${urls.payment}/charges`, { amount: 1 }, 404, 'NOT_FOUND'],
  ];
  for (const [url, body, status, code, message] of cases) {
    const answer = await call(url, body);
    assert.equal(answer.status, status, `${url} ${JSON.stringify(body)}`);
    assert.equal(answer.json.error.code, code);
    if (message) assert.match(answer.json.error.message, message);
  }
  assert.equal(stats('sms').rejected, 3);
  assert.equal(stats('sms').executed, 0);
});

test('simulators: sms and logistics are idempotent too; a reused key with another body is refused 409', async (t) => {
  const { urls, stats } = await started(t);
  const first = await call(`${urls.sms}/sms`, { to: '1', text: 'paid', idempotencyKey: 'order-1:paid' });
  const again = await call(`${urls.sms}/sms`, { to: '1', text: 'paid', idempotencyKey: 'order-1:paid' });
  assert.equal(again.json.smsId, first.json.smsId);
  const reused = await call(`${urls.sms}/sms`, { to: '1', text: 'shipped', idempotencyKey: 'order-1:paid' });
  assert.equal(reused.status, 409);
  assert.equal(reused.json.error.code, 'IDEMPOTENCY_KEY_REUSED');
  assert.deepEqual(stats('sms'), { requests: 3, successes: 2, rejected: 1, failures: 0, inFlight: 0, executed: 1 });
});

test('simulators: a vendor given an API key answers 401 UNAUTHORIZED without `Bearer <key>` (counted as rejected, no effect) and serves it with', async (t) => {
  const thirdParties = await started(t, { knobs: allFast, apiKeys: { sms: 'sk_test_1' } });
  const body = JSON.stringify({ to: '+8613800000000', text: 'hi', idempotencyKey: 'k1' });
  const send = (authorization?: string) =>
    fetch(`${thirdParties.urls.sms}/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body,
    });
  for (const wrong of [undefined, 'Bearer sk_test_2', 'sk_test_1']) {
    const res = await send(wrong);
    assert.equal(res.status, 401, String(wrong));
    assert.equal(((await res.json()) as any).error.code, 'UNAUTHORIZED');
  }
  assert.equal((await send('Bearer sk_test_1')).status, 200);
  assert.deepEqual([thirdParties.stats('sms').rejected, thirdParties.stats('sms').executed], [3, 1]);
  const open = await call(`${thirdParties.urls.logistics}/shipments`, {
    orderId: 'o1',
    items: [{ skuId: 'sku-1', quantity: 1 }],
    idempotencyKey: 'l1',
  });
  assert.equal(open.status, 200, 'a vendor without a key needs none');
});
