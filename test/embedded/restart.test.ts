import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createMessaging, isMqError, MqErrorCode, type Messaging } from '../../src/mq/index.js';
import { sleep, waitUntil } from '../support/wait.js';

const dirs: string[] = [];
const open: Messaging[] = [];
after(async () => {
  for (const mq of open) await mq.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-restart-'));
  dirs.push(dir);
  return dir;
};
const start = async (dataDir: string, extra: object = {}) => {
  const mq = await createMessaging({
    dataDir,
    retryBackoffScale: 0.01,
    transactionCheckIntervalMs: 100,
    transactionCheckImmunityMs: 100,
    ...extra,
  });
  open.push(mq);
  return mq;
};

test('restart: a delayed message survives a restart and is delivered when due, not before', async () => {
  const dir = tempDir();
  let mq = await start(dir);
  await mq.admin.createTopic({ name: 'timeouts', type: 'DELAY' });
  const due = Date.now() + 1_200;
  await (await mq.producer()).send({ topic: 'timeouts', body: 'close order 1', deliverAt: due });
  await mq.close();
  mq = await start(dir);
  const arrivals: number[] = [];
  await mq.pushConsumer({ group: 'closer', subscriptions: { timeouts: '*' }, listener: () => (arrivals.push(Date.now()), 'SUCCESS') });
  assert.ok(await waitUntil(() => arrivals.length === 1, 5_000));
  assert.ok(arrivals[0] >= due, `delivered ${due - arrivals[0]} ms early`);
  assert.ok(arrivals[0] - due < 500, `delivered ${arrivals[0] - due} ms late`);
});

test('restart: a half message whose producer died is settled by the check-back of the next producer', async () => {
  const dir = tempDir();
  let mq = await start(dir);
  await mq.admin.createTopic({ name: 'paid', type: 'TRANSACTION' });
  const producer = await mq.producer({ group: 'orders' });
  const { messageId } = await producer.sendInTransaction({ topic: 'paid', body: 'order 7' }, () => 'UNKNOWN');
  await mq.close();
  mq = await start(dir);
  await mq.producer({ group: 'orders', transactionChecker: () => 'COMMIT' });
  const got: string[] = [];
  await mq.pushConsumer({ group: 'push', subscriptions: { paid: '*' }, listener: (m) => (got.push(m.messageId), 'SUCCESS') });
  assert.ok(await waitUntil(() => got.length === 1, 5_000));
  assert.equal(got[0], messageId);
});

test('restart: a group resumes after what it acknowledged, and gets what it did not', async () => {
  const dir = tempDir();
  let mq = await start(dir);
  await mq.admin.createTopic({ name: 'events', type: 'NORMAL' });
  const producer = await mq.producer();
  for (let i = 0; i < 10; i++) await producer.send({ topic: 'events', body: String(i) });
  const pull = await mq.pullConsumer({ group: 'g', subscriptions: { events: '*' } });
  const first = await pull.receive(4, 1_000);
  assert.equal(first.length, 4);
  for (const m of first) await pull.ack(m);
  await mq.close();
  mq = await start(dir);
  const again = await mq.pullConsumer({ group: 'g', subscriptions: { events: '*' } });
  const rest = await again.receive(100, 1_000);
  assert.deepEqual(
    rest.map((m) => m.body.toString()),
    ['4', '5', '6', '7', '8', '9'],
  );
});

test('store lock: a second process cannot open a store in use, and is told what to do', async () => {
  const dir = tempDir();
  await start(dir);
  const { spawnSync } = await import('node:child_process');
  const script = `import('${path.resolve('src/mq/index.ts')}').then(async ({ createMessaging }) => {
    try { await createMessaging({ dataDir: ${JSON.stringify(dir)} }); console.log('opened'); }
    catch (e) { console.log(e.code + ' ' + e.message); }
  })`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.match(out.stdout, new RegExp(`^${MqErrorCode.STORE_LOCKED} .*in use by another process`), out.stdout + out.stderr);
});

test('retention: messages older than retentionHours are removed; the newest is kept', async () => {
  const dir = tempDir();
  const mq = await start(dir, { retentionHours: 0.5 / 3600 }); // half a second
  await mq.admin.createTopic({ name: 'old', type: 'NORMAL' });
  const producer = await mq.producer();
  for (let i = 0; i < 20; i++) await producer.send({ topic: 'old', body: String(i) });
  await sleep(700);
  await producer.send({ topic: 'old', body: 'new' });
  await mq.close();
  const db = new Database(path.join(dir, 'broker.sqlite'), { readonly: true });
  const before = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
  db.close();
  assert.equal(before, 21);
  // The sweep runs at start-up (and every 10 minutes).
  const again = await start(dir, { retentionHours: 0.5 / 3600 });
  const pull = await again.pullConsumer({ group: 'late', subscriptions: { old: '*' } });
  await sleep(300);
  const left = await pull.receive(100, 500);
  assert.deepEqual(
    left.map((m) => m.body.toString()),
    ['new'],
  );
});

test('durability mode: the power-loss mode (fsync per commit) stores and acknowledges; an unknown mode is refused', async () => {
  const dir = tempDir();
  const mq = await start(dir, { durability: 'power-loss' });
  await mq.admin.createTopic({ name: 't', type: 'NORMAL' });
  const result = await (await mq.producer()).send({ topic: 't', body: 'x' });
  assert.ok(result.offset > 0);
  await assert.rejects(
    start(tempDir(), { durability: 'sometimes' }),
    (e) => isMqError(e, MqErrorCode.INVALID_ARGUMENT) && /durability/.test((e as Error).message),
  );
});

test('configuration: bad engine options are refused with a message naming the option', async () => {
  await assert.rejects(createMessaging({ dataDir: '' }), /dataDir is required/);
  await assert.rejects(createMessaging({ dataDir: tempDir(), retryBackoffScale: -1 }), /retryBackoffScale must be a positive number/);
  await assert.rejects(createMessaging({ engine: 'kafka' } as never), /engine must be 'embedded' or 'rocketmq'/);
});
