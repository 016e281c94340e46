import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { SHUTDOWN_TIMEOUT_MS } from '../../src/graceful-shutdown.js';
import { createMessaging } from '../../src/mq/index.js';
import { KeepAliveClient, startOrderflowProcess, type OrderflowProcess } from '../support/orderflow-process.js';
import { waitUntil } from '../support/wait.js';

/**
 * `orderflow start` as a real process, stopped by SIGTERM to its process group right after it was used over
 * keep-alive HTTP: it must be gone within SHUTDOWN_TIMEOUT_MS, by itself (exit code 0, not the bound's 1),
 * and a restart on the same stores must find everything it acknowledged.
 */
const ADMIN_TOKEN = 'test-admin-token';
/** Past the bound, time for the process to log and exit. */
const EXIT_MARGIN_MS = 3_000;
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function start(env: Record<string, string>): Promise<OrderflowProcess> {
  const orderflow = await startOrderflowProcess({ ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN, ORDERFLOW_SEED: 'true', ...env });
  cleanups.push(() => orderflow.kill());
  return orderflow;
}

/** SIGTERM to the process group; asserts a clean exit within the bound and returns how long it took. */
async function stopGracefully(orderflow: OrderflowProcess): Promise<number> {
  const sent = Date.now();
  orderflow.signalGroup('SIGTERM');
  const ended = await orderflow.exit(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
  const tail = () => orderflow.output().split('\n').slice(-25).join('\n');
  assert.ok(ended, `still running ${SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS} ms after SIGTERM; its last output:\n${tail()}`);
  assert.deepEqual(ended, { code: 0, signal: null }, `it did not finish its shutdown by itself; its last output:\n${tail()}`);
  return Date.now() - sent;
}

/** A connection that sends nothing, as a browser's spare (preconnected) one. */
async function openSpareConnection(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  cleanups.push(() => void socket.destroy());
  return socket;
}

async function placeAndPay(client: KeepAliveClient, userId: string, skuId = 'SKU-1001'): Promise<string> {
  const placed = await client.call('POST', '/api/orders', { userId, items: [{ skuId, quantity: 1 }] });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const paid = await client.call('POST', `/api/orders/${placed.body.orderId}/pay`, {});
  assert.equal(paid.status, 200, JSON.stringify(paid.body));
  return placed.body.orderId;
}

test('embedded default: SIGTERM right after use over keep-alive HTTP (a spare connection open) exits within the bound; the paid order is there after a restart', {
  timeout: 240_000,
}, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-shutdown-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = { ORDERFLOW_DATA_DIR: dataDir, ORDERFLOW_RETRY_SCALE: '0.01' };
  const first = await start(env);
  const client = new KeepAliveClient(first.url);
  cleanups.push(() => client.close());
  await client.login('user1');
  const orderId = await placeAndPay(client, 'user1');
  await openSpareConnection(first.url);

  t.diagnostic(`stopped in ${await stopGracefully(first)} ms`);

  const second = await start(env);
  const again = new KeepAliveClient(second.url);
  cleanups.push(() => again.close());
  await again.login('user1');
  const order = await again.call('GET', `/api/orders/${orderId}`);
  assert.equal(order.status, 200);
  assert.ok(['PAID', 'SHIPPED'].includes(order.body.status), `the acknowledged payment survived the restart: ${order.body.status}`);
  await stopGracefully(second);
});

const endpoints = process.env.ROCKETMQ_ENDPOINTS;
const mysqlUrl = process.env.MYSQL_URL;

test('RocketMQ + MariaDB, order side: SIGTERM while a FIFO change is in in-place retry exits within the bound; the change is neither dead-lettered nor lost', {
  skip: endpoints && mysqlUrl ? false : 'ROCKETMQ_ENDPOINTS and MYSQL_URL are not both set (npm run rocketmq:start; a MariaDB)',
  timeout: 300_000,
}, async (t) => {
  const base = `of_sd_${randomBytes(4).toString('hex')}`;
  const server = (mysqlUrl as string).replace(/\/[^/]*$/, '');
  const sql = await createConnection(`${server}/`);
  cleanups.push(async () => {
    const [rows] = await sql.query(`SHOW DATABASES LIKE '${base}\\_%'`);
    for (const row of rows as Record<string, string>[]) await sql.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
    await sql.end();
  });
  const rocketmq = { endpoints: endpoints as string, namesrv: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876' };
  const env = {
    ORDERFLOW_MQ: 'rocketmq',
    ROCKETMQ_ENDPOINTS: rocketmq.endpoints,
    ROCKETMQ_NAMESRV: rocketmq.namesrv,
    ORDERFLOW_DB: `${server}/${base}`,
    // Not analytics: its consumer group on a shared RocketMQ holds every earlier run's changes (nothing else consumes
    // them), so this run's change would wait behind them. The coupon system's refund consumer is as FIFO, and its group is
    // fed by refunds alone.
    ORDERFLOW_SYSTEMS: 'order,coupons,flash-sale',
    ORDERFLOW_TOKEN_SECRET: 'shutdown-test-token-secret',
    ORDERFLOW_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-shutdown-')),
  };
  cleanups.push(() => fs.rmSync(env.ORDERFLOW_DATA_DIR, { recursive: true, force: true }));
  const coupons = `\`${base}_coupons\`.coupons`;
  const first = await start(env);
  const client = new KeepAliveClient(first.url);
  cleanups.push(() => client.close());
  await client.login('user1');
  const orderId = await placeAndPay(client, 'user1', 'SKU-1002'); // 59.00: it earns a reward coupon, revoked on refund
  // Revoking fails from now on: the REFUNDED change (order_changelog, FIFO) is retried in place, 1 s, 2 s, 4 s … apart.
  await sql.query(
    `CREATE TRIGGER \`${base}_coupons\`.revoke_fails_insert BEFORE INSERT ON ${coupons} FOR EACH ROW IF NEW.revoked_at IS NOT NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'revocations fail (test)'; END IF`,
  );
  await sql.query(
    `CREATE TRIGGER \`${base}_coupons\`.revoke_fails_update BEFORE UPDATE ON ${coupons} FOR EACH ROW IF NEW.revoked_at IS NOT NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'revocations fail (test)'; END IF`,
  );
  const refund = await client.call('POST', `/api/orders/${orderId}/refund`, {});
  assert.equal(refund.status, 202, JSON.stringify(refund.body));
  const inRetry = () =>
    first
      .output()
      .split('\n')
      .some((line) => line.includes(orderId) && line.includes('reversing a refunded order failed'));
  assert.ok(await waitUntil(inRetry, 60_000, 100), `the refund's change never failed in coupons-refund:\n${first.output().slice(-3000)}`);

  t.diagnostic(`stopped in ${await stopGracefully(first)} ms`);

  const mq = await createMessaging({ engine: 'rocketmq', ...rocketmq });
  cleanups.push(() => mq.close());
  const deadLettered = await mq.admin.listDeadLetters({ group: 'coupons-refund', limit: 10_000 });
  assert.deepEqual(
    deadLettered.filter((letter) => letter.body.toString().includes(orderId)).map((letter) => letter.messageId),
    [],
    'the change in retry was dead-lettered',
  );

  await sql.query(`DROP TRIGGER \`${base}_coupons\`.revoke_fails_insert`);
  await sql.query(`DROP TRIGGER \`${base}_coupons\`.revoke_fails_update`);
  const second = await start(env);
  const again = new KeepAliveClient(second.url);
  cleanups.push(() => again.close());
  await again.login('user1');
  const order = await again.call('GET', `/api/orders/${orderId}`);
  assert.equal(order.body.status, 'REFUNDED', 'the acknowledged payment and refund survived the restart');
  // The change left in retry comes back (handed back to the broker, not acknowledged): the reward is revoked now.
  const revoked = async () => {
    const [rows] = await sql.query(`SELECT revoked_at FROM ${coupons} WHERE source_order_id = ?`, [orderId]);
    return (rows as { revoked_at: number | null }[]).some((row) => row.revoked_at !== null);
  };
  assert.ok(await waitUntil(revoked, 60_000, 250), 'the reward coupon was never revoked after the restart: the change in retry was lost');
  await stopGracefully(second);
});
