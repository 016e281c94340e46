import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { remoteThirdParties } from '../../src/third-parties/index.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { startVendorsProcess, type VendorsProcess } from '../support/vendors-process.js';
import { waitUntil } from '../support/wait.js';

/**
 * `orderflow vendors` as a real child process, and two orderflow apps (each with its own broker and
 * databases) configured to use it: both call the SAME vendors and read and turn the SAME knobs, so a
 * deployment's benchmark or dashboard can drive every process from any one of them.
 */
const SMS_KEY = 'test-sms-api-key';
let vendors: VendorsProcess;
let a: TestApp;
let b: TestApp;

before(async () => {
  vendors = await startVendorsProcess({ ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN, ORDERFLOW_SMS_API_KEY: SMS_KEY });
  const env = { ...vendors.env, ORDERFLOW_SMS_API_KEY: SMS_KEY };
  [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
});
after(async () => {
  await a?.stop();
  await b?.stop();
  await vendors?.stop();
});

/** The vendors process's own answer, asked directly: the ground truth the apps must agree with. */
async function vendorsSays(name: string): Promise<any> {
  const res = await fetch(`${vendors.adminUrl}/api/admin/third-parties/${name}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(res.status, 200);
  return res.json();
}

test('vendors process: the apps start no simulator of their own; they use the configured URLs and forward knobs to it', () => {
  for (const t of [a, b]) {
    assert.deepEqual(
      { ...t.app.thirdParties?.urls },
      { sms: vendors.env.ORDERFLOW_SMS_URL, logistics: vendors.env.ORDERFLOW_LOGISTICS_URL, payment: vendors.env.ORDERFLOW_PAYMENT_URL },
    );
    assert.equal(t.app.thirdParties?.knobsAt, vendors.adminUrl);
  }
});

test('vendors process: knobs set through one app are what the other app and the vendors process report', async (t) => {
  t.after(() => a.call('PUT', '/api/admin/third-parties/logistics', { as: 'admin', body: { latencyMs: 0, jitterMs: 0 } }));
  const set = await a.call('PUT', '/api/admin/third-parties/logistics', { as: 'admin', body: { latencyMs: 7, jitterMs: 3 } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal(set.body.latencyMs, 7);
  const seen = await b.call('GET', '/api/admin/third-parties/logistics', { as: 'admin' });
  assert.equal(seen.status, 200);
  assert.deepEqual([seen.body.latencyMs, seen.body.jitterMs], [7, 3]);
  assert.deepEqual([(await vendorsSays('logistics')).latencyMs, (await vendorsSays('logistics')).jitterMs], [7, 3]);
  // A bad knob is refused by the app itself, with the usual 400, before any forwarding.
  const bad = await b.call('PUT', '/api/admin/third-parties/logistics', { as: 'admin', body: { latencyMs: -1 } });
  assert.equal(bad.status, 400);
  assert.equal((await vendorsSays('logistics')).latencyMs, 7);
});

test('vendors process: orders paid in either app are shipped, SMSed and refunded by the same vendors, each counted once there', async () => {
  const before = {
    sms: (await vendorsSays('sms')).stats,
    logistics: (await vendorsSays('logistics')).stats,
    payment: (await vendorsSays('payment')).stats,
  };
  const inA = await a.placePaidOrder('user31', 'SKU-1001', 1);
  const inB = await b.placePaidOrder('user32', 'SKU-1002', 1);
  for (const [t, user, orderId] of [
    [a, 'user31', inA],
    [b, 'user32', inB],
  ] as const) {
    let order: any;
    const done = await waitUntil(
      async () => {
        order = (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body;
        return order.status === 'SHIPPED' && order.downstream.push.length === 1;
      },
      20_000,
      100,
    );
    assert.ok(done, `order ${orderId} shipped and SMSed: ${JSON.stringify(order)}`);
  }
  const refund = await a.call('POST', `/api/orders/${inA}/refund`, { as: 'user31', body: {} });
  assert.equal(refund.status, 202, JSON.stringify(refund.body));
  assert.ok(
    await waitUntil(async () => (await a.call('GET', `/api/orders/${inA}`, { as: 'user31' })).body.status === 'REFUNDED', 20_000, 100),
    'refunded',
  );

  const after = {
    sms: (await vendorsSays('sms')).stats,
    logistics: (await vendorsSays('logistics')).stats,
    payment: (await vendorsSays('payment')).stats,
  };
  assert.equal(after.sms.executed - before.sms.executed, 2, 'one SMS per order, both at the one SMS vendor');
  assert.equal(after.logistics.executed - before.logistics.executed, 2, 'one shipment per order, both at the one logistics company');
  assert.equal(after.payment.executed - before.payment.executed, 1, 'the refund at the one payment provider');
  // Each app reads the vendors process's counters (the same numbers), not counters of its own. The payment provider's
  // callback counters are left out: its callbacks to these apps are retried in the background meanwhile (seen:
  // failedAttempts 5, then 6), so two reads a moment apart may differ there.
  const withoutCallbacks = (stats: unknown) => {
    const { callbacks, ...rest } = stats as { callbacks?: unknown };
    assert.ok(callbacks, 'the provider counts its callbacks');
    return rest;
  };
  for (const t of [a, b]) {
    assert.deepEqual(withoutCallbacks(await t.app.thirdParties?.stats('payment')), withoutCallbacks(after.payment));
    assert.deepEqual((await t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' })).body.stats, after.sms);
  }
  // The refund app B never saw is at the provider it calls too.
  const lookup = await fetch(`${b.app.thirdParties?.urls.payment}/refunds/${encodeURIComponent(refund.body.refundId)}`);
  assert.equal(lookup.status, 200);
});

test('vendors process: a vendor configured with an API key refuses a call without it', async () => {
  const res = await fetch(`${vendors.env.ORDERFLOW_SMS_URL}/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to: '+8613800000000', text: 'no key', idempotencyKey: 'no-key-1' }),
  });
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as any).error.code, 'UNAUTHORIZED');
});

test("vendors process: a process whose admin token is not the vendors process's is told so, not given the knobs", async () => {
  const stranger = remoteThirdParties({
    adminUrl: vendors.adminUrl,
    adminToken: 'not-the-deployment-token',
    urls: a.app.thirdParties!.urls,
  });
  await assert.rejects(stranger.getKnobs('sms'), (error: Error) =>
    /answered 401 .*ORDERFLOW_ADMIN_TOKEN is not the vendors process's/.test(error.message),
  );
  await assert.rejects(stranger.setKnobs('sms', { down: true }), /401/);
  assert.equal((await vendorsSays('sms')).down, false, 'nothing was changed');
});

// Last: it stops the vendors process.
test('vendors process: it exits 0 on SIGTERM; then the apps answer the knob routes and a pay 503 with a clear message, not a stack, and still take orders', async () => {
  const started = Date.now();
  assert.equal(await vendors.stop(10_000), 0);
  assert.ok(Date.now() - started < 10_000);
  for (const method of ['GET', 'PUT'] as const) {
    const res = await a.call(method, '/api/admin/third-parties/sms', {
      as: 'admin',
      body: method === 'PUT' ? { latencyMs: 1 } : undefined,
    });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'SERVICE_UNAVAILABLE');
    assert.match(
      res.body.error.message,
      new RegExp(`vendors process: ${method} ${vendors.adminUrl}/api/admin/third-parties/sms unreachable`),
    );
    assert.equal(res.body.error.stack, undefined);
  }
  // The order system itself still takes orders; a pay needs the payment provider (it lives in the vendors
  // process): without it, a 503 in the error shape that pays nothing — the order still waits for payment.
  const placed = await a.call('POST', '/api/orders', {
    as: 'user33',
    body: { userId: 'user33', items: [{ skuId: 'SKU-1003', quantity: 1 }] },
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const pay = await a.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user33', body: {} });
  assert.equal(pay.status, 503, JSON.stringify(pay.body));
  assert.equal(pay.body.error.code, 'VENDOR_DOWN');
  assert.equal(pay.body.error.stack, undefined);
  const order = await a.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user33' });
  assert.equal(order.body.status, 'WAIT_PAY');
});
