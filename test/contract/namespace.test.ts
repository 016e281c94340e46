/**
 * Namespaces (src/mq/namespace.ts): two deployments using the same topic and group names on one broker see only their
 * own messages, under their plain names. On the embedded engine the two namespaces share one store; on RocketMQ they
 * are two clients of the shared broker, beside a third without a namespace that shows what the broker stores.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createMessaging, type Messaging, type MessageView, type MessagingOptions } from '../../src/mq/index.js';
import { withNamespace } from '../../src/mq/namespace.js';
import { sleep, unique, waitUntil } from '../support/wait.js';

interface Deployments {
  a: Messaging;
  b: Messaging;
  /** The broker without a namespace. */
  raw: Messaging;
  nsA: string;
  /** How long admin figures may lag, and how long a delivery may take. */
  lagMs: number;
  /** Whether the dead-letter cases run (they take minutes of redeliveries on RocketMQ; its contract suite covers them). */
  deadLetters: boolean;
}

function namespaceCases(deployments: () => Deployments): void {
  test('the same topic and group names in two namespaces: each consumer gets only its own deployment’s messages', async () => {
    const { a, b, lagMs } = deployments();
    const topic = unique('ns_paid');
    const group = unique('ns_points');
    for (const mq of [a, b]) await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const got = { a: [] as MessageView[], b: [] as MessageView[] };
    await a.pushConsumer({ group, subscriptions: { [topic]: '*' }, listener: (m) => (got.a.push(m), 'SUCCESS') });
    await b.pushConsumer({ group, subscriptions: { [topic]: '*' }, listener: (m) => (got.b.push(m), 'SUCCESS') });
    const sent = { a: [] as string[], b: [] as string[] };
    const producers = { a: await a.producer({ topics: [topic] }), b: await b.producer({ topics: [topic] }) };
    for (let i = 0; i < 5; i++) {
      for (const side of ['a', 'b'] as const) {
        const result = await producers[side].send({ topic, body: `${side}${i}`, keys: `key-${side}` });
        assert.equal(result.topic, topic, 'a send result names the plain topic');
        sent[side].push(result.messageId);
      }
    }
    assert.ok(await waitUntil(() => got.a.length >= 5 && got.b.length >= 5, lagMs + 20_000), `a=${got.a.length} b=${got.b.length}`);
    await sleep(500);
    assert.deepEqual(got.a.map((m) => m.body.toString()).sort(), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(got.b.map((m) => m.body.toString()).sort(), ['b0', 'b1', 'b2', 'b3', 'b4']);
    assert.ok(
      [...got.a, ...got.b].every((m) => m.topic === topic),
      'a delivered message names the plain topic',
    );
  });

  test('admin: topics, backlog and traces show the namespace’s own names only; the broker stores them prefixed', async () => {
    const { a, b, raw, nsA, lagMs } = deployments();
    const topic = unique('ns_admin');
    const group = unique('ns_idle');
    for (const mq of [a, b]) await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const onlyInB = unique('ns_other');
    await b.admin.createTopic({ name: onlyInB, type: 'NORMAL' });
    // A pull consumer that never receives: its group holds the message as backlog.
    await a.pullConsumer({ group, subscriptions: { [topic]: '*' } });
    const sent = await (await a.producer({ topics: [topic] })).send({ topic, body: 'x', keys: 'admin-key' });

    const aTopics = (await a.admin.listTopics()).map((t) => t.name);
    assert.ok(aTopics.includes(topic), 'the namespace lists its topic under its plain name');
    assert.ok(!aTopics.includes(onlyInB), 'and not another namespace’s');
    assert.ok(
      aTopics.every((name) => !name.startsWith(`${nsA}_`)),
      'no listed name carries the prefix',
    );
    const rawTopics = (await raw.admin.listTopics()).map((t) => t.name);
    assert.ok(rawTopics.includes(`${nsA}_${topic}`), 'the broker stores <namespace>_<topic>');
    assert.ok(!rawTopics.includes(topic));

    let backlog: Awaited<ReturnType<Messaging['admin']['backlog']>> = [];
    assert.ok(
      await waitUntil(
        async () => {
          backlog = await a.admin.backlog();
          return backlog.some((g) => g.topic === topic && g.group === group && g.backlog + g.inFlight >= 1);
        },
        lagMs + 10_000,
        500,
      ),
      JSON.stringify(backlog.filter((g) => g.topic === topic)),
    );
    assert.ok(
      (await b.admin.backlog()).every((g) => g.topic !== topic),
      'the other namespace sees none of its backlog',
    );

    let traces = await a.admin.findMessagesByKey(topic, 'admin-key');
    assert.ok(await waitUntil(async () => (traces = await a.admin.findMessagesByKey(topic, 'admin-key')).length > 0, lagMs + 10_000, 500));
    assert.equal(traces[0].messageId, sent.messageId);
    assert.equal(traces[0].topic, topic);
    assert.ok(traces[0].deliveries.every((d) => !d.group.startsWith(`${nsA}_`)));
    assert.deepEqual(
      await b.admin.findMessagesByKey(topic, 'admin-key'),
      [],
      'the same key in the other namespace’s topic of the same name finds nothing',
    );
    assert.equal((await a.admin.findMessage(sent.messageId))?.topic, topic);
    assert.equal(await b.admin.findMessage(sent.messageId), undefined, 'nor does the message id');
  });

  test('pull consumers: a message received and acknowledged through the namespace is not delivered again', async () => {
    const { a, lagMs } = deployments();
    const topic = unique('ns_pull');
    await a.admin.createTopic({ name: topic, type: 'NORMAL' });
    const group = unique('ns_puller');
    const consumer = await a.pullConsumer({ group, subscriptions: { [topic]: '*' }, invisibleDurationMs: 2_000 });
    assert.equal(consumer.group, group, 'the consumer names its plain group');
    await (await a.producer({ topics: [topic] })).send({ topic, body: 'once' });
    let received: MessageView[] = [];
    const deadline = Date.now() + lagMs + 20_000;
    while (received.length === 0 && Date.now() < deadline) received = await consumer.receive(8, 2_000);
    assert.equal(received.length, 1);
    assert.equal(received[0].topic, topic);
    await consumer.ack(received[0]);
    // Twice the invisible time: an ack that did not reach the engine would have the message delivered again by then.
    const again: MessageView[] = [];
    for (const until = Date.now() + 4_000; Date.now() < until; ) again.push(...(await consumer.receive(8, 1_000)));
    assert.deepEqual(
      again.map((m) => m.body.toString()),
      [],
      'the ack reached the engine',
    );
  });

  test('dead letters: listed and replayed in their own namespace only', async (t) => {
    const { a, b, deadLetters } = deployments();
    if (!deadLetters) return t.skip('the RocketMQ contract suite, run in a namespace, covers dead letters there');
    const topic = unique('ns_dlq');
    const group = unique('ns_failing');
    await a.admin.createTopic({ name: topic, type: 'NORMAL' });
    let fail = true;
    const delivered: string[] = [];
    await a.pushConsumer({
      group,
      subscriptions: { [topic]: '*' },
      maxReconsumeTimes: 0,
      listener: (m) => (delivered.push(m.body.toString()), fail ? 'RETRY_LATER' : 'SUCCESS'),
    });
    const sent = await (await a.producer({ topics: [topic] })).send({ topic, body: 'doomed' });
    let letters = await a.admin.listDeadLetters({ group });
    assert.ok(await waitUntil(async () => (letters = await a.admin.listDeadLetters({ group })).length === 1, 10_000, 50));
    assert.equal(letters[0].messageId, sent.messageId);
    assert.equal(letters[0].group, group);
    assert.equal(letters[0].originTopic, topic);
    assert.ok((await a.admin.listDeadLetters()).some((l) => l.messageId === sent.messageId && l.group === group));
    assert.ok(
      (await b.admin.listDeadLetters()).every((l) => l.messageId !== sent.messageId),
      'not in the other namespace',
    );
    await assert.rejects(b.admin.replayDeadLetter(sent.messageId), { code: 'MQ_MESSAGE_NOT_FOUND' });
    fail = false;
    await a.admin.replayDeadLetter(sent.messageId);
    assert.ok(await waitUntil(() => delivered.length === 2, 10_000), `deliveries: ${delivered.join(',')}`);
  });

  test('a transaction check-back hands the checker the plain topic', async (t) => {
    const { a, raw } = deployments();
    if (raw.engine !== 'embedded') return t.skip('RocketMQ checks back after 6 s and more; its contract suite, in a namespace, covers it');
    const topic = unique('ns_tx');
    await a.admin.createTopic({ name: topic, type: 'TRANSACTION' });
    const checked: string[] = [];
    const producer = await a.producer({
      topics: [topic],
      transactionChecker: (m) => (checked.push(m.topic), 'COMMIT'),
    });
    const got: string[] = [];
    await a.pushConsumer({
      group: unique('ns_tx_reader'),
      subscriptions: { [topic]: '*' },
      listener: (m) => (got.push(m.topic), 'SUCCESS'),
    });
    const result = await producer.sendInTransaction({ topic, body: 'maybe' }, (r) => (assert.equal(r.topic, topic), 'UNKNOWN'));
    assert.equal(result.topic, topic);
    assert.ok(await waitUntil(() => got.length === 1, 10_000), `checked=${checked.join(',')}`);
    assert.deepEqual(checked, [topic]);
    assert.deepEqual(got, [topic]);
  });

  test('bad input through a namespace gets the engine’s own typed error, naming the field', async () => {
    const { a } = deployments();
    const topic = unique('ns_bad');
    await a.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await a.producer({ topics: [topic] });
    await assert.rejects(producer.send({ topic: '', body: 'x' }), { code: 'MQ_INVALID_ARGUMENT' });
    await assert.rejects(a.admin.createTopic({ name: '', type: 'NORMAL' }), { code: 'MQ_INVALID_ARGUMENT' });
    await assert.rejects(a.pushConsumer({ group: '', subscriptions: { [topic]: '*' }, listener: () => 'SUCCESS' }), {
      code: 'MQ_INVALID_ARGUMENT',
    });
  });

  test('a namespace that could collide with another’s names is refused, naming the setting', async () => {
    for (const namespace of ['a_b', 'a%b', 'x'.repeat(33), ' ']) {
      await assert.rejects(createMessaging({ engine: 'embedded', dataDir: os.tmpdir(), namespace }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'MQ_INVALID_ARGUMENT');
        assert.match(error.message, /namespace/);
        return true;
      });
    }
  });
}

describe('namespaces: embedded engine (two namespaces over one store)', () => {
  let dir: string;
  let raw: Messaging;
  let d: Deployments;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-ns-'));
    raw = await createMessaging({
      engine: 'embedded',
      dataDir: dir,
      retryBackoffScale: 0.01,
      transactionCheckIntervalMs: 200,
      transactionCheckImmunityMs: 200,
    });
    d = { a: withNamespace(raw, 'shop-a'), b: withNamespace(raw, 'shop-b'), raw, nsA: 'shop-a', lagMs: 1_000, deadLetters: true };
  });
  after(async () => {
    await raw?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  namespaceCases(() => d);
});

const endpoints = process.env.ROCKETMQ_ENDPOINTS;
describe('namespaces: RocketMQ (two deployments on the shared broker)', {
  skip: endpoints ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start, then ROCKETMQ_ENDPOINTS=127.0.0.1:8081)',
}, () => {
  const options: MessagingOptions = {
    engine: 'rocketmq',
    endpoints,
    namesrv: process.env.ROCKETMQ_NAMESRV_ADDR ?? '127.0.0.1:9876',
    minInvisibleMs: 1_000,
    longPollMs: 1_000,
  };
  const id = randomBytes(3).toString('hex');
  let d: Deployments;
  before(async () => {
    const [a, b, raw] = await Promise.all([
      createMessaging({ ...options, namespace: `ns-a-${id}` }),
      createMessaging({ ...options, namespace: `ns-b-${id}` }),
      createMessaging(options),
    ]);
    d = { a, b, raw, nsA: `ns-a-${id}`, lagMs: 15_000, deadLetters: false };
  });
  after(async () => {
    for (const mq of [d?.a, d?.b, d?.raw]) await mq?.close();
  });
  namespaceCases(() => d);
});
