import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { startVendorsProcess, type VendorsProcess } from '../support/vendors-process.js';
import { waitUntil } from '../support/wait.js';

/**
 * The vendors' ledger, served by a real `orderflow vendors` process: every effect once per idempotency key, with
 * the order it is for — and an orderflow app using those vendors puts its paid order's SMS and shipment there.
 */
let vendors: VendorsProcess;
let app: TestApp;

before(async () => {
  vendors = await startVendorsProcess({ ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN });
  app = await startTestApp(vendors.env);
});
after(async () => {
  await app?.stop();
  await vendors?.stop();
});

const ledgerOf = async (orderId?: string, token = ADMIN_TOKEN) => {
  const query = orderId === undefined ? '' : `?orderId=${encodeURIComponent(orderId)}`;
  return fetch(`${vendors.adminUrl}/api/admin/vendors/ledger${query}`, { headers: { authorization: `Bearer ${token}` } });
};

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('vendor ledger: one entry per effect and key — a retried key adds none, a second key for the same order adds one', async () => {
  const sms = { to: '+15550000001', text: 'paid', orderId: 'LEDGER-1' };
  assert.equal((await post(`${vendors.env.ORDERFLOW_SMS_URL}/sms`, { ...sms, idempotencyKey: 'k1' })).status, 200);
  assert.equal((await post(`${vendors.env.ORDERFLOW_SMS_URL}/sms`, { ...sms, idempotencyKey: 'k1' })).status, 200, 'a retry');
  assert.equal((await post(`${vendors.env.ORDERFLOW_SMS_URL}/sms`, { ...sms, idempotencyKey: 'k2' })).status, 200, 'a second SMS');
  const refund = { paymentId: 'PAY-LEDGER-1', amount: 12.5, orderId: 'LEDGER-1', idempotencyKey: 'r1' };
  assert.equal((await post(`${vendors.env.ORDERFLOW_PAYMENT_URL}/refunds`, refund)).status, 200);
  const res = await ledgerOf('LEDGER-1');
  assert.equal(res.status, 200);
  const { entries } = (await res.json()) as { entries: { effect: string; idempotencyKey: string; amount: number | null }[] };
  assert.deepEqual(
    entries.map((e) => [e.effect, e.idempotencyKey, e.amount]),
    [
      ['sms', 'k1', null],
      ['sms', 'k2', null],
      ['refund', 'r1', 12.5],
    ],
  );
});

test('vendor ledger: a paid order of an app using the vendors process gets its SMS and its shipment there, once each', async () => {
  const orderId = await app.placePaidOrder('user1', 'SKU-1003', 1);
  assert.ok(
    await waitUntil(
      async () => {
        const { entries } = (await (await ledgerOf(orderId)).json()) as { entries: { effect: string }[] };
        return entries.length >= 2;
      },
      15_000,
      100,
    ),
  );
  const { entries } = (await (await ledgerOf(orderId)).json()) as { entries: { effect: string }[] };
  assert.deepEqual(entries.map((e) => e.effect).sort(), ['shipment', 'sms']);
});

test('vendor ledger: admin token required', async () => {
  assert.equal((await ledgerOf(undefined, 'not-the-admin-token')).status, 401);
  const res = await fetch(`${vendors.adminUrl}/api/admin/vendors/ledger`);
  assert.equal(res.status, 401);
  assert.ok(((await res.json()) as { error: { code: string } }).error.code);
});
