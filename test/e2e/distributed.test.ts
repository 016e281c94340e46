import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { startVendorsProcess, type VendorsProcess } from '../support/vendors-process.js';
import { waitUntil } from '../support/wait.js';

const endpoints = process.env.ROCKETMQ_ENDPOINTS;
const rocketmq = {
  ORDERFLOW_MQ: 'rocketmq',
  ROCKETMQ_ENDPOINTS: endpoints ?? '',
  ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
};
// Processes running some systems each must share one token secret (config.ts refuses to start them without).
const deployment = { ...rocketmq, ORDERFLOW_TOKEN_SECRET: 'distributed-test-token-secret' };
let vendors: VendorsProcess;
let orders: TestApp;
let downstream: TestApp;

before(async () => {
  if (!endpoints) return;
  // One vendors process for the deployment, as in production: both apps call the same vendors.
  vendors = await startVendorsProcess({ ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN });
  orders = await startTestApp({ ...deployment, ...vendors.env, ORDERFLOW_SYSTEMS: 'order,coupons' });
  downstream = await startTestApp({
    ...deployment,
    ...vendors.env,
    ORDERFLOW_SYSTEMS: 'push,warehouse,points',
    ORDERFLOW_ORDER_URL: orders.app.url,
  });
});
after(async () => {
  await downstream?.stop();
  await orders?.stop();
  await vendors?.stop();
});

test('distributed mode on RocketMQ: the order system in one app, push/warehouse/points in another; a paid order is SMSed and SHIPPED across them, by the one vendors process', {
  skip: endpoints ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start)',
  timeout: 120_000,
}, async () => {
  assert.equal((await downstream.call('GET', '/api/skus')).status, 404, 'the downstream app serves no order API');
  const logisticsBefore = await orders.app.thirdParties?.stats('logistics');
  const placed = await orders.call('POST', '/api/orders', {
    as: 'user12',
    body: { userId: 'user12', items: [{ skuId: 'SKU-1001', quantity: 1 }] },
  });
  assert.equal(placed.status, 201);
  assert.equal((await orders.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user12', body: {} })).status, 200);
  let order: any;
  assert.ok(
    await waitUntil(
      async () => {
        order = (await orders.call('GET', `/api/orders/${placed.body.orderId}`, { as: 'user12' })).body;
        return order.status === 'SHIPPED';
      },
      60_000,
      250,
    ),
    `the warehouse in the other app reported the shipment: ${order?.status}`,
  );
  assert.match(order.trackingNo, /\S/);
  assert.ok(
    await waitUntil(async () => ((await downstream.app.thirdParties?.stats('sms'))?.executed ?? 0) >= 1, 30_000, 250),
    'the other app sent the SMS',
  );
  // The order app never called the logistics company, yet it sees the shipment the other app made there: once.
  const logisticsAfter = await orders.app.thirdParties?.stats('logistics');
  assert.equal((logisticsAfter?.executed ?? 0) - (logisticsBefore?.executed ?? 0), 1);
  assert.deepEqual(await downstream.app.thirdParties?.stats('logistics'), logisticsAfter);
});
