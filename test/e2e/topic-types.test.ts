/**
 * ORDERFLOW_ORDER_MESSAGES decides the types of order_paid and order_refund; only a process running the order
 * system retypes them, and a process without it starts whatever type it finds (it may start beside an order system
 * that is retyping). On the embedded broker, one process after the other on one data directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-topic-types-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function typesAfterStarting(env: Record<string, string>): Promise<Record<string, string>> {
  const app = await startApp(
    loadConfig({
      PORT: '0',
      ORDERFLOW_DATA_DIR: dataDir,
      ORDERFLOW_TOKEN_SECRET: 'topic-types-test-secret',
      ORDERFLOW_ADMIN_TOKEN: 'topic-types-admin',
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
  try {
    const topics = await app.mq.admin.listTopics();
    return Object.fromEntries(topics.filter((t) => t.name === 'order_paid' || t.name === 'order_refund').map((t) => [t.name, t.type]));
  } finally {
    await app.close();
  }
}

test('the order system types order_paid and order_refund by ORDERFLOW_ORDER_MESSAGES; a process without it takes them as they are', {
  timeout: 60_000,
}, async () => {
  assert.deepEqual(await typesAfterStarting({ ORDERFLOW_ORDER_MESSAGES: 'outbox' }), { order_paid: 'NORMAL', order_refund: 'NORMAL' });
  // A downstream process with the other (default) setting starts, and changes nothing.
  const downstream = { ORDERFLOW_SYSTEMS: 'push,warehouse,points', ORDERFLOW_ORDER_URL: 'http://127.0.0.1:9' };
  assert.deepEqual(await typesAfterStarting(downstream), { order_paid: 'NORMAL', order_refund: 'NORMAL' });
  // The order system switched back retypes them.
  assert.deepEqual(await typesAfterStarting({ ORDERFLOW_ORDER_MESSAGES: 'transactional' }), {
    order_paid: 'TRANSACTION',
    order_refund: 'TRANSACTION',
  });
  assert.deepEqual(await typesAfterStarting({ ...downstream, ORDERFLOW_ORDER_MESSAGES: 'outbox' }), {
    order_paid: 'TRANSACTION',
    order_refund: 'TRANSACTION',
  });
});
