/**
 * The changelog relay (docs/architecture.md, "The change stream"): the outbox reaches `order_changelog` in order per order, at
 * least once, surviving broker failures and crashes. Embedded broker; SQLite always, MySQL/MariaDB
 * when MYSQL_URL is set.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { migrate, type Database } from '../../db/index.js';
import { dbTestTargets } from '../../db/testing.js';
import { createMessaging, type Message, type Messaging, type Producer } from '../../mq/index.js';
import { type OrderChangeEvent, TOPIC_TYPE_BY_NAME, Topics } from '../shared/topics.js';
import { startChangelogRelay } from './changelog-relay.js';
import { placeTestOrder, T0 } from './outbox.fixture.js';
import { transition } from './repository.js';
import { type OrderDB, orderMigrations } from './schema.js';
import { OrderStatus } from './states.js';

const silent = { warn: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(10)) if (check()) return true;
  return check();
}

interface Received extends OrderChangeEvent {
  tag?: string;
  keys: string[];
  messageGroup?: string;
}

/** A fresh order database and broker, with a consumer recording every changelog message. */
async function setup(open: (system: string) => Promise<Database<OrderDB>>, system: string) {
  const database = await open(system);
  await migrate(database, orderMigrations);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-relay-'));
  const mq: Messaging = await createMessaging({ engine: 'embedded', dataDir });
  await mq.admin.createTopic({ name: Topics.ORDER_CHANGELOG, type: TOPIC_TYPE_BY_NAME.order_changelog });
  const producer = await mq.producer();
  const received: Received[] = [];
  await mq.pushConsumer({
    group: 'relay-test',
    subscriptions: { [Topics.ORDER_CHANGELOG]: '*' },
    listener: async (m) => {
      received.push({ ...(JSON.parse(m.body.toString()) as OrderChangeEvent), tag: m.tag, keys: m.keys, messageGroup: m.messageGroup });
      return 'SUCCESS';
    },
  });
  return {
    database,
    producer,
    received,
    /** Places `orders` orders and moves each through `steps` more transitions, interleaved across orders. */
    async changes(prefix: string, orders: number, steps: OrderStatus[] = [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED]) {
      const ids = Array.from({ length: orders }, (_, i) => `${prefix}-${i}`);
      for (const id of ids) await placeTestOrder(database, id, 100 + ids.indexOf(id));
      let from: OrderStatus = OrderStatus.WAIT_PAY;
      for (const [i, to] of steps.entries()) {
        for (const id of ids) await database.db.transaction().execute((trx) => transition(trx, id, from, to, T0 + i + 1));
        from = to;
      }
      return new Map(ids.map((id) => [id, steps.length + 1]));
    },
    outboxSize: async () =>
      Number(
        (
          await database.db
            .selectFrom('order_outbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    async close() {
      await mq.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every change of every order arrived, and per order their first arrivals are seq 1, 2, 3, … in that order. */
function assertComplete(received: Received[], expected: Map<string, number>): { duplicates: number } {
  const next = new Map<string, number>();
  let duplicates = 0;
  for (const r of received) {
    const want = (next.get(r.orderId) ?? 0) + 1;
    if (r.seq < want) duplicates++;
    else {
      assert.equal(r.seq, want, `order ${r.orderId}: change ${r.seq} arrived before change ${want}`);
      next.set(r.orderId, want);
    }
  }
  assert.deepEqual(Object.fromEntries(next), Object.fromEntries(expected), 'every change of every order arrived');
  return { duplicates };
}

const arrived = (received: Received[], expected: Map<string, number>) => () =>
  [...expected].every(([id, n]) => received.some((r) => r.orderId === id && r.seq === n));

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`changelog relay on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());
    const open = (system: string) => target.open<OrderDB>(system);

    it('publishes every change in order per order, FIFO by order id, tagged with the new status, then empties the outbox', async () => {
      const t = await setup(open, 'relay-order');
      try {
        const expected = await t.changes('A', 5);
        const relay = startChangelogRelay({ database: t.database, producer: t.producer, logger: silent, pollMs: 10, batchSize: 3 });
        assert.ok(await waitUntil(arrived(t.received, expected), 5_000));
        await relay.close();
        assert.deepEqual(assertComplete(t.received, expected), { duplicates: 0 });
        const paid = t.received.find((r) => r.orderId === 'A-2' && r.seq === 2);
        assert.deepEqual(paid, {
          orderId: 'A-2',
          seq: 2,
          from: 'WAIT_PAY',
          to: 'PAID',
          at: T0 + 1,
          userId: 'u1',
          totalCents: 102,
          tag: 'PAID',
          keys: ['A-2'],
          messageGroup: 'A-2',
        });
        assert.equal(await t.outboxSize(), 0);
      } finally {
        await t.close();
      }
    });

    it('a broker that refuses sends loses nothing: the rows wait in the outbox and go out later, in order, once', async () => {
      const t = await setup(open, 'relay-down');
      try {
        const expected = await t.changes('B', 4);
        let calls = 0;
        const flaky: Pick<Producer, 'sendBatch'> = {
          sendBatch: async (messages: Message[]) => {
            if (++calls <= 3) throw new Error('broker unavailable');
            return t.producer.sendBatch(messages);
          },
        };
        const relay = startChangelogRelay({ database: t.database, producer: flaky, logger: silent, pollMs: 5, batchSize: 5 });
        assert.ok(await waitUntil(arrived(t.received, expected), 5_000));
        await relay.close();
        assert.ok(calls > 3);
        assert.deepEqual(assertComplete(t.received, expected), { duplicates: 0 });
        assert.equal(await t.outboxSize(), 0);
      } finally {
        await t.close();
      }
    });

    it('a crash after the broker stored a batch but before its rows were deleted re-sends them: at least once, still in order', async () => {
      const t = await setup(open, 'relay-crash');
      try {
        const expected = await t.changes('C', 3);
        let calls = 0;
        const ackLost: Pick<Producer, 'sendBatch'> = {
          sendBatch: async (messages: Message[]) => {
            const results = await t.producer.sendBatch(messages);
            if (++calls <= 2) throw new Error('connection lost after the broker stored the batch');
            return results;
          },
        };
        const relay = startChangelogRelay({ database: t.database, producer: ackLost, logger: silent, pollMs: 5, batchSize: 4 });
        assert.ok(await waitUntil(arrived(t.received, expected), 5_000));
        await relay.close();
        await sleep(100); // let the consumer see any re-sent message
        const { duplicates } = assertComplete(t.received, expected);
        assert.ok(duplicates >= 4, `the lost batches came again (${duplicates} duplicates)`);
        assert.equal(await t.outboxSize(), 0);
      } finally {
        await t.close();
      }
    });

    it('wake() publishes at once instead of at the next poll; a closed relay leaves rows for the next start', async () => {
      const t = await setup(open, 'relay-wake');
      try {
        const relay = startChangelogRelay({ database: t.database, producer: t.producer, logger: silent, pollMs: 60_000 });
        await sleep(50); // its first look found an empty outbox; the next poll is a minute away
        const first = await t.changes('D', 1, [OrderStatus.PAID]);
        await sleep(150);
        assert.equal(t.received.length, 0, 'nothing without a wake before the next poll');
        relay.wake();
        assert.ok(await waitUntil(arrived(t.received, first), 1_000), 'published right after the wake');
        await relay.close();

        const second = await t.changes('E', 2, []);
        relay.wake(); // closed: does nothing
        await sleep(100);
        assert.equal(await t.outboxSize(), 2, 'rows stay until published');
        const restarted = startChangelogRelay({ database: t.database, producer: t.producer, logger: silent });
        assert.ok(await waitUntil(arrived(t.received, second), 2_000), 'the next start publishes them');
        await restarted.close();
        assertComplete(t.received, new Map([...first, ...second]));
      } finally {
        await t.close();
      }
    });
  });
}
