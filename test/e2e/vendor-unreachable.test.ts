import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startThirdParties, type ThirdParties } from '../../src/third-parties/index.js';
import { startTestApp } from '../support/app.js';
import { sleep, waitUntil } from '../support/wait.js';

/** A port nothing listens on (taken from the OS, then let go), for a vendor that is not up yet. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('external vendors: an unreachable SMS vendor only delays the SMS; payment and shipping go on, and the SMS goes out once it is up', async (t) => {
  const others = await startThirdParties({ knobs: { logistics: { latencyMs: 0 }, payment: { latencyMs: 0 } } });
  t.after(() => others.close());
  const smsPort = await freePort();
  const app = await startTestApp({
    ORDERFLOW_SMS_URL: `http://127.0.0.1:${smsPort}`,
    ORDERFLOW_LOGISTICS_URL: others.urls.logistics,
    ORDERFLOW_PAYMENT_URL: others.urls.payment,
  });
  t.after(() => app.stop());

  const started = performance.now();
  const orderId = await app.placePaidOrder('user21', 'SKU-1001', 1);
  assert.ok(performance.now() - started < 2_000, 'placing and paying do not wait for the SMS vendor');
  const order = async () => (await app.call('GET', `/api/orders/${orderId}`, { as: 'user21' })).body;
  assert.ok(await waitUntil(async () => (await order()).status === 'SHIPPED', 10_000, 100), 'the warehouse is not held up');
  await sleep(500); // a few deliveries to the SMS vendor fail meanwhile (ECONNREFUSED) and are retried
  assert.equal((await order()).downstream.push.length, 0, 'no SMS while the vendor is unreachable');

  let sms: ThirdParties | undefined;
  t.after(() => sms?.close());
  sms = await startThirdParties({ ports: { sms: smsPort }, knobs: { sms: { latencyMs: 0 } } });
  assert.ok(
    await waitUntil(async () => (await order()).downstream.push.length === 1, 30_000, 200),
    'the SMS is sent once the vendor is up',
  );
  assert.equal(sms.stats('sms').executed, 1, 'exactly one SMS');

  // No ORDERFLOW_VENDORS_URL: nothing to turn, said as such.
  const knobs = await app.call('GET', '/api/admin/third-parties/sms', { as: 'admin' });
  assert.equal(knobs.status, 503);
  assert.match(knobs.body.error.message, /ORDERFLOW_VENDORS_URL is not set/);
});
