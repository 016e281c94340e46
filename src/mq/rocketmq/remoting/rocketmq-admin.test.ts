/**
 * The admin against a real RocketMQ 5.x (NameServer + broker; gRPC proxy for the official client that sends
 * and consumes). Skipped unless ROCKETMQ_NAMESRV is set, e.g.
 *   ROCKETMQ_NAMESRV=127.0.0.1:9876 bash scripts/test.sh src/mq/rocketmq/remoting/rocketmq-admin.test.ts
 * ROCKETMQ_ENDPOINTS (default 127.0.0.1:8081) is the proxy's gRPC endpoint. Every run uses fresh names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FilterExpression, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import definitions from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { isMqError, MqErrorCode } from '../../errors.js';
import type { RocketMQAdmin } from './admin-types.js';
import { createRocketMQAdmin } from './rocketmq-admin.js';

const NAMESRV = process.env.ROCKETMQ_NAMESRV;
const ENDPOINTS = process.env.ROCKETMQ_ENDPOINTS ?? '127.0.0.1:8081';
const SKIP = NAMESRV ? false : 'ROCKETMQ_NAMESRV is not set (e.g. 127.0.0.1:9876 with bash scripts/rocketmq/start.sh running)';
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

/** Polls `read` until `ok` holds (the key index and offsets are updated asynchronously). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * startup() of the official client can hang for minutes when the server's settings arrive before it waits
 * for them; re-sending our settings makes the server answer again (same workaround as the engine's).
 */
async function start(client: Producer | SimpleConsumer): Promise<void> {
  const c = client as unknown as { telemetry(e: unknown, s: unknown): void; getEndpoints(): unknown; settingsCommand(): unknown };
  const kick = setInterval(() => {
    try {
      c.telemetry(c.getEndpoints(), c.settingsCommand());
    } catch {
      // not connected yet
    }
  }, 250);
  try {
    await client.startup();
  } finally {
    clearInterval(kick);
  }
}

describe('RocketMQ admin over remoting (real broker)', { skip: SKIP, timeout: 60_000 }, () => {
  let admin: RocketMQAdmin;

  before(() => {
    admin = createRocketMQAdmin({ namesrv: NAMESRV!, timeoutMs: 5000 });
  });
  after(() => admin?.close());

  test('GET_BROKER_CLUSTER_INFO: broker names with their master address', async () => {
    const brokers = await admin.clusterBrokers();
    assert.ok(Object.keys(brokers).length >= 1, 'a master is registered');
    for (const addr of Object.values(brokers)) assert.match(addr, /^[\w.-]+:\d+$/);
  });

  test('createTopic of each type shows in topicRoute and listTopics with its message.type', async () => {
    const types = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
    const names = types.map((t) => `rmt_${t.toLowerCase()}_${run}`);
    for (const [i, type] of types.entries()) {
      const created = await admin.createTopic(names[i], type, 4);
      assert.equal(created.type, type);
      const route = await admin.topicRoute(names[i]);
      assert.ok(route && route.queues.length >= 1 && route.brokers.every((b) => b.masterAddr));
      assert.deepEqual([route.queues[0].readQueueNums, route.queues[0].writeQueueNums, route.queues[0].perm], [4, 4, 6]);
    }
    const listed = await admin.listTopics();
    for (const [i, type] of types.entries()) {
      const t = listed.find((x) => x.name === names[i]);
      assert.ok(t, `${names[i]} listed`);
      assert.equal(t.type, type);
      assert.equal(t.attributes['message.type'], type);
    }
    assert.ok(!listed.some((t) => t.name === 'TBW102'), 'system topics hidden by default');
    assert.ok((await admin.listTopics({ includeSystem: true })).some((t) => t.name === 'TBW102' && t.system));
  });

  test('unknown topics: no route, and TOPIC_NOT_FOUND from look-ups; bad names rejected before any call', async () => {
    assert.equal(await admin.topicRoute(`rmt_missing_${run}`), undefined);
    await assert.rejects(admin.queryMessagesByKey(`rmt_missing_${run}`, 'k'), (e: unknown) => isMqError(e, MqErrorCode.TOPIC_NOT_FOUND));
    await assert.rejects(admin.createTopic('bad topic!', 'NORMAL'), (e: unknown) => isMqError(e, MqErrorCode.INVALID_ARGUMENT));
  });

  test('createSubscriptionGroup FIFO reads back; an unknown group is undefined and stays uncreated', async () => {
    const group = `rmt_fifo_group_${run}`;
    await admin.createSubscriptionGroup(group, { fifo: true, retryMaxTimes: 3 });
    const g = await admin.subscriptionGroup(group);
    assert.ok(g);
    assert.deepEqual([g.consumeMessageOrderly, g.retryMaxTimes, g.consumeEnable], [true, 3, true]);
    const missing = `rmt_no_group_${run}`;
    assert.equal(await admin.subscriptionGroup(missing), undefined);
    assert.equal(await admin.subscriptionGroup(missing), undefined, 'looking it up did not auto-create it');
  });

  test('messages sent with the gRPC client are found by key and id; consuming lowers the backlog', async () => {
    const topic = `rmt_msgs_${run}`;
    const group = `rmt_group_${run}`;
    const key = `order-${run}`;
    await admin.createTopic(topic, 'NORMAL', 2);
    await admin.createSubscriptionGroup(group);
    const producer = new Producer({ endpoints: ENDPOINTS, namespace: '', logger: silent, topics: [topic] });
    await start(producer);
    const sent: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const properties = new Map([['seq', String(i)]]);
        const receipt = await producer.send({ topic, body: Buffer.from(`body-${i}`), tag: 'PAID', keys: [key, `${key}-${i}`], properties });
        sent.push(receipt.messageId);
      }
    } finally {
      await producer.shutdown();
    }

    const found = await eventually(
      () => admin.queryMessagesByKey(topic, key),
      (m) => m.length === 4,
    );
    assert.deepEqual(new Set(found.map((m) => m.msgId)), new Set(sent));
    const first = found.find((m) => m.msgId === sent[0])!;
    assert.deepEqual([first.topic, first.tags, first.body.toString(), first.properties.seq], [topic, 'PAID', 'body-0', '0']);
    assert.deepEqual(first.keys, [key, `${key}-0`]);
    assert.ok(first.bornTimestamp.getTime() <= first.storeTimestamp.getTime() && Date.now() - first.storeTimestamp.getTime() < 60_000);
    assert.equal((await admin.queryMessagesByKey(topic, `${key}-2`)).map((m) => m.msgId).join(), sent[2]);
    assert.equal((await admin.queryMessagesByKey(topic, `${key}-none`)).length, 0);

    const byId = await admin.queryMessageById(topic, sent[1]);
    assert.equal(byId?.body.toString(), 'body-1');
    const viewed = await admin.viewMessage(byId.offsetMsgId);
    assert.equal(viewed?.msgId, sent[1]);

    const before = await admin.consumeStats(group, topic);
    assert.deepEqual(
      before.map((s) => [s.topic, s.backlog]),
      [[topic, 4]],
    );

    const consumer = new SimpleConsumer({
      endpoints: ENDPOINTS,
      namespace: '',
      logger: silent,
      consumerGroup: group,
      subscriptions: new Map([[topic, FilterExpression.SUB_ALL]]),
      awaitDuration: 2000,
    });
    await start(consumer);
    let acked = 0;
    try {
      const deadline = Date.now() + 15_000;
      while (acked < 2 && Date.now() < deadline) {
        for (const m of await consumer.receive(2, 10_000)) {
          await consumer.ack(m);
          acked++;
        }
      }
    } finally {
      await consumer.shutdown();
    }
    assert.ok(acked >= 2, `received and acked ${acked}`);
    const afterStats = await eventually(
      () => admin.consumeStats(group, topic),
      (s) => s[0]?.backlog === 4 - acked,
    );
    assert.equal(afterStats[0].backlog, 4 - acked);
    assert.ok(afterStats[0].queues.some((q) => q.consumerOffset > 0 && q.lastTimestamp));
    const groups = await admin.groupsOfTopic(topic);
    assert.ok(groups.includes(group) && !groups.includes(topic), `groups ${groups}`);
  });

  test('delayed and uncommitted transactional messages are found while staged (includeStaged)', async () => {
    const [delayTopic, txTopic] = [`rmt_stage_delay_${run}`, `rmt_stage_tx_${run}`];
    await admin.createTopic(delayTopic, 'DELAY', 2);
    await admin.createTopic(txTopic, 'TRANSACTION', 2);
    const producer = new Producer({
      endpoints: ENDPOINTS,
      namespace: '',
      logger: silent,
      topics: [delayTopic, txTopic],
      checker: { check: async () => definitions.TransactionResolution.COMMIT },
    });
    await start(producer);
    try {
      const dueAt = Date.now() + 2500;
      const delayed = await producer.send({
        topic: delayTopic,
        body: Buffer.from('d'),
        keys: [`d-${run}`],
        deliveryTimestamp: new Date(dueAt),
      });
      const tx = producer.beginTransaction();
      const half = await producer.send({ topic: txTopic, body: Buffer.from('t'), keys: [`t-${run}`] }, tx);

      const staged = (topic: string, key: string) => admin.queryMessagesByKey(topic, key, { includeStaged: true });
      const waiting = await eventually(
        () => staged(delayTopic, `d-${run}`),
        (m) => m.length === 1,
      );
      assert.deepEqual(
        waiting.map((m) => [m.msgId, m.staged, m.topic, m.properties.REAL_TOPIC]),
        [[delayed.messageId, 'SCHEDULED', 'rmq_sys_wheel_timer', delayTopic]],
      );
      assert.equal((await admin.queryMessagesByKey(delayTopic, `d-${run}`)).length, 0, 'not in its topic before it is due');
      const uncommitted = await eventually(
        () => staged(txTopic, `t-${run}`),
        (m) => m.length === 1,
      );
      assert.deepEqual(
        uncommitted.map((m) => [m.msgId, m.staged]),
        [[half.messageId, 'HALF']],
      );

      await tx.commit();
      const committed = await eventually(
        () => staged(txTopic, `t-${run}`),
        (m) => m[0]?.staged === undefined,
      );
      assert.deepEqual(
        committed.map((m) => [m.msgId, m.topic, m.staged]),
        [[half.messageId, txTopic, undefined]],
      );
      const due = await eventually(
        () => staged(delayTopic, `d-${run}`),
        (m) => m[0]?.staged === undefined,
        dueAt - Date.now() + 5000,
      );
      assert.deepEqual(
        due.map((m) => [m.msgId, m.topic, m.staged]),
        [[delayed.messageId, delayTopic, undefined]],
      );
    } finally {
      await producer.shutdown();
    }
  });
});
