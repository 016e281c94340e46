import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createMessaging, isMqError, MAX_BODY_BYTES, MqErrorCode, type Messaging } from '../../src/mq/index.js';
import { waitUntil } from '../support/wait.js';

// The embedded broker keeps a string body as a string on its way into SQLite (no Buffer of its own);
// what it stores and delivers must still be the string's UTF-8 bytes, as when it encoded every body first.

const dirs: string[] = [];
const open: Messaging[] = [];
after(async () => {
  for (const mq of open) await mq.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
const start = async (dataDir: string) => {
  const mq = await createMessaging({ engine: 'embedded', dataDir });
  open.push(mq);
  return mq;
};

const BODIES = [
  JSON.stringify({ orderId: 'O-1', items: [{ skuId: 'SKU-1003', quantity: 1 }] }),
  'café, 東京, 🛒', // two- three- and four-byte characters
  'lone \ud800 high, lone \udc00 low', // not well formed: Buffer.from writes U+FFFD for each
];

test('string bodies are stored as BLOBs of their UTF-8 bytes and delivered as those bytes, live and after a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-strings-'));
  dirs.push(dir);
  let mq = await start(dir);
  await mq.admin.createTopic({ name: 'events', type: 'NORMAL' });
  await mq.admin.createTopic({ name: 'later', type: 'DELAY' });
  await mq.admin.createTopic({ name: 'paid', type: 'TRANSACTION' });
  const producer = await mq.producer({ group: 'strings' });
  const live: Buffer[] = [];
  await mq.pushConsumer({ group: 'live', subscriptions: { events: '*' }, listener: (m) => (live.push(m.body), 'SUCCESS') });
  for (const body of BODIES) await producer.send({ topic: 'events', body });
  await producer.sendBatch(BODIES.map((body) => ({ topic: 'events', body })));
  for (const body of BODIES) producer.sendOneway({ topic: 'events', body });
  for (const body of BODIES) await producer.send({ topic: 'later', body, deliverAt: Date.now() + 60_000 });
  for (const body of BODIES) await producer.sendInTransaction({ topic: 'paid', body }, () => 'UNKNOWN');
  const expected = [...BODIES, ...BODIES, ...BODIES].map((body) => Buffer.from(body, 'utf8'));
  assert.ok(await waitUntil(() => live.length === expected.length, 5_000), `delivered ${live.length} of ${expected.length}`);
  assert.deepEqual(live, expected, 'delivered from the tail cache');
  await mq.close();

  const db = new Database(path.join(dir, 'broker.sqlite'), { readonly: true });
  try {
    for (const [table, where] of [
      ['messages', "topic = 'events'"],
      ['timers', "topic = 'later'"],
      ['half_messages', "topic = 'paid'"],
    ]) {
      const rows = db.prepare(`SELECT typeof(body) AS type, body FROM ${table} WHERE ${where}`).all() as { type: string; body: Buffer }[];
      assert.deepEqual(
        rows.map((r) => r.type),
        rows.map(() => 'blob'),
        `${table}: every body a BLOB`,
      );
      const want = table === 'messages' ? expected : BODIES.map((body) => Buffer.from(body, 'utf8'));
      assert.deepEqual(
        rows.map((r) => r.body),
        want,
        `${table}: the bytes Buffer.from would have made`,
      );
    }
  } finally {
    db.close();
  }

  mq = await start(dir);
  const replayed: Buffer[] = [];
  await mq.pushConsumer({ group: 'late', subscriptions: { events: '*' }, listener: (m) => (replayed.push(m.body), 'SUCCESS') });
  assert.ok(await waitUntil(() => replayed.length === expected.length, 5_000), `delivered ${replayed.length} of ${expected.length}`);
  assert.deepEqual(replayed, expected, 'delivered from SQLite');
});

test('a string body is held to the 4 MiB limit by its UTF-8 size, not its length', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-strings-'));
  dirs.push(dir);
  const mq = await start(dir);
  await mq.admin.createTopic({ name: 'big', type: 'NORMAL' });
  const producer = await mq.producer();
  const fits = 'é'.repeat(MAX_BODY_BYTES / 2); // 2 bytes each: exactly the limit
  await producer.send({ topic: 'big', body: fits });
  const over = `${fits}a`; // one byte over, in fewer characters than the limit
  await assert.rejects(producer.send({ topic: 'big', body: over }), (e) => isMqError(e) && e.code === MqErrorCode.MESSAGE_TOO_LARGE);
  await assert.rejects(producer.send({ topic: 'big', body: '' }), (e) => isMqError(e) && e.code === MqErrorCode.INVALID_ARGUMENT);
  const pull = await mq.pullConsumer({ group: 'big-reader', subscriptions: { big: '*' } });
  const stored = await pull.receive(10, 1_000);
  assert.deepEqual(
    stored.map((m) => m.body.length),
    [MAX_BODY_BYTES],
    'only the message that fits is stored',
  );
});
