/** The order system's message outbox (ORDERFLOW_ORDER_MESSAGES=outbox): queued with the transaction, published by the relay. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { migrate, type Database } from '../../db/index.js';
import { dbTestTargets } from '../../db/testing.js';
import { createMessaging, type Message, type Messaging, type MessageView, type TopicType } from '../../mq/index.js';
import { publishMessageOutbox, queueMessage, type MessageRelayProducer } from './message-outbox.js';
import { startOutboxRelay } from './outbox-relay.js';
import { type OrderDB, orderMigrations } from './schema.js';

const silent = { warn: () => {} };
const TYPES: Record<string, TopicType> = { paid: 'NORMAL', refund: 'TRANSACTION', timeout: 'DELAY' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(10)) if (check()) return true;
  return check();
}

async function setup(database: Database<OrderDB>) {
  await migrate(database, orderMigrations);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-message-outbox-'));
  const mq: Messaging = await createMessaging({ engine: 'embedded', dataDir });
  for (const [name, type] of Object.entries(TYPES)) await mq.admin.createTopic({ name, type });
  const producer = await mq.producer({ transactionChecker: () => 'COMMIT' });
  const received: MessageView[] = [];
  await mq.pushConsumer({
    group: 'outbox-test',
    subscriptions: { paid: '*', refund: '*', timeout: '*' },
    listener: (m) => (received.push(m), 'SUCCESS'),
  });
  const rows = async () =>
    Number(
      (
        await database.db
          .selectFrom('order_messages')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    producer,
    received,
    rows,
    publish: (p: MessageRelayProducer = producer) => publishMessageOutbox(database, p, (topic) => TYPES[topic], 100),
    async close() {
      await mq.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`message outbox on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());

    it('a message queued in a transaction that rolls back is never published; one that commits is, once, with its tag, keys and due time', async () => {
      const database = await target.open<OrderDB>('outbox-commit');
      const t = await setup(database);
      try {
        await assert.rejects(
          database.db.transaction().execute(async (trx) => {
            await queueMessage(trx, { topic: 'paid', tag: 'PAID', keys: ['O-rolled-back'], body: '{"orderId":"O-rolled-back"}' }, 1);
            throw new Error('the local transaction failed');
          }),
        );
        const due = Date.now() + 300;
        await database.db.transaction().execute(async (trx) => {
          await queueMessage(trx, { topic: 'paid', tag: 'PAID', keys: ['O-1'], body: '{"orderId":"O-1"}' }, 1);
          await queueMessage(trx, { topic: 'timeout', tag: 'TIMEOUT', keys: ['O-1'], body: '{"orderId":"O-1"}', deliverAt: due }, 1);
        });
        assert.equal(await t.rows(), 2, 'only the committed transaction left rows');
        assert.equal(await t.publish(), 2);
        assert.equal(await t.rows(), 0, 'published rows are deleted');
        assert.ok(await waitUntil(() => t.received.length === 2, 5_000), `received ${t.received.length}`);
        const paid = t.received.find((m) => m.topic === 'paid');
        assert.deepEqual([paid?.tag, paid?.keys, paid?.body.toString()], ['PAID', ['O-1'], '{"orderId":"O-1"}']);
        const timeout = t.received.find((m) => m.topic === 'timeout');
        assert.ok(timeout && Date.now() >= due, 'the delayed message came at its due time, not before');
        assert.ok(!t.received.some((m) => m.keys.includes('O-rolled-back')));
      } finally {
        await t.close();
      }
    });

    it('a send that fails leaves its rows for the next round, which sends them (nothing lost); a row of a TRANSACTION topic goes as a committed transactional message', async () => {
      const database = await target.open<OrderDB>('outbox-retry');
      const t = await setup(database);
      try {
        await database.db.transaction().execute(async (trx) => {
          for (let i = 0; i < 3; i++) await queueMessage(trx, { topic: 'paid', tag: 'PAID', keys: [`O-${i}`], body: String(i) }, 1);
          await queueMessage(trx, { topic: 'refund', tag: 'REFUND', keys: ['R-1'], body: 'refund' }, 1);
        });
        const down: MessageRelayProducer = {
          sendBatch: async () => {
            throw new Error('broker down');
          },
          sendInTransaction: (message: Message, local) => t.producer.sendInTransaction(message, local),
        };
        await assert.rejects(t.publish(down), /broker down/);
        assert.equal(await t.rows(), 4, 'nothing deleted when the send failed');
        const relay = startOutboxRelay({
          what: 'test messages',
          logger: silent,
          pollMs: 10,
          publishRound: (limit) => publishMessageOutbox(database, t.producer, (topic) => TYPES[topic], limit),
        });
        try {
          assert.ok(await waitUntil(() => t.received.length >= 4, 5_000), `received ${t.received.length}`);
        } finally {
          await relay.close();
        }
        assert.deepEqual(
          t.received.filter((m) => m.topic === 'paid').map((m) => m.body.toString()),
          ['0', '1', '2'],
          'in the order queued',
        );
        assert.equal(t.received.filter((m) => m.topic === 'refund').length, 1);
        assert.equal(await t.rows(), 0);
      } finally {
        await t.close();
      }
    });
  });
}
