import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageView } from '../../src/mq/index.js';
import { sleep, unique, waitUntil } from '../support/wait.js';
import { receiveAll } from './cases-send.js';
import type { ContractContext } from './context.js';

/** Push and pull consumption, filters, groups, retries and the DLQ. */
export function consumeCases(ctx: ContractContext): void {
  test('push: the listener gets every message, and a tag filter keeps out the other tags', async () => {
    const mq = ctx.mq();
    const topic = unique('push');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const all: string[] = [];
    const paid: string[] = [];
    await mq.pushConsumer({
      group: unique('all'),
      subscriptions: { [topic]: '*' },
      listener: (m) => (all.push(m.body.toString()), 'SUCCESS'),
    });
    await mq.pushConsumer({
      group: unique('paid'),
      subscriptions: { [topic]: 'PAID || REFUNDED' },
      listener: (m) => (paid.push(`${m.tag}:${m.body}`), 'SUCCESS'),
    });
    for (const [i, tag] of ['PAID', 'CREATED', 'REFUNDED', 'PAID', 'CLOSED'].entries()) await producer.send({ topic, tag, body: `m${i}` });
    assert.ok(await waitUntil(() => all.length === 5 && paid.length === 3, 20_000), `all=${all.length} paid=${paid.length}`);
    await sleep(200);
    assert.deepEqual(all.sort(), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(paid.sort(), ['PAID:m0', 'PAID:m3', 'REFUNDED:m2']);
  });

  test('groups: two members of one group split the messages; a second group gets them all', async () => {
    const mq = ctx.mq();
    const topic = unique('split');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL', queues: 4 });
    const producer = await mq.producer({ topics: [topic] });
    const group = unique('shared');
    const seen = { a: [] as string[], b: [] as string[], other: [] as string[] };
    const slow = (list: string[]) => async (m: MessageView) => {
      list.push(m.messageId);
      await sleep(5); // so that both members have to work
      return 'SUCCESS' as const;
    };
    await mq.pushConsumer({ group, subscriptions: { [topic]: '*' }, listener: slow(seen.a), concurrency: 2 });
    await mq.pushConsumer({ group, subscriptions: { [topic]: '*' }, listener: slow(seen.b), concurrency: 2 });
    await mq.pushConsumer({ group: unique('other'), subscriptions: { [topic]: '*' }, listener: slow(seen.other), concurrency: 4 });
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add((await producer.send({ topic, body: `m${i}` })).messageId);
    assert.ok(await waitUntil(() => seen.a.length + seen.b.length >= 200 && seen.other.length >= 200, 30_000));
    await sleep(200);
    assert.ok(seen.a.length > 0 && seen.b.length > 0, `both members work: a=${seen.a.length} b=${seen.b.length}`);
    assert.equal(seen.a.length + seen.b.length, 200, 'each message went to one member of the group');
    assert.deepEqual(new Set([...seen.a, ...seen.b]), ids);
    assert.deepEqual(new Set(seen.other), ids);
  });

  test('broadcasting: every member of the group gets every message', async (t) => {
    if (!ctx.mq().capabilities.broadcasting) return t.skip(ctx.skipReason('broadcasting'));
    const mq = ctx.mq();
    const topic = unique('bcast');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const group = unique('b');
    const a: string[] = [];
    const b: string[] = [];
    await mq.pushConsumer({
      group,
      messageModel: 'BROADCASTING',
      subscriptions: { [topic]: '*' },
      listener: (m) => (a.push(m.messageId), 'SUCCESS'),
    });
    await mq.pushConsumer({
      group,
      messageModel: 'BROADCASTING',
      subscriptions: { [topic]: '*' },
      listener: (m) => (b.push(m.messageId), 'SUCCESS'),
    });
    for (let i = 0; i < 10; i++) await producer.send({ topic, body: `m${i}` });
    assert.ok(await waitUntil(() => a.length === 10 && b.length === 10, 20_000), `a=${a.length} b=${b.length}`);
    assert.deepEqual(a.sort(), b.sort());
  });

  test('retry: RETRY_LATER and throws are redelivered with back-off until SUCCESS, then never again', async () => {
    const mq = ctx.mq();
    const topic = unique('retry');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const attempts: { n: number; at: number }[] = [];
    await mq.pushConsumer({
      group: unique('g'),
      subscriptions: { [topic]: '*' },
      listener: (m) => {
        attempts.push({ n: m.deliveryAttempt, at: Date.now() });
        if (m.deliveryAttempt === 1) return 'RETRY_LATER';
        if (m.deliveryAttempt === 2) throw new Error('downstream is down');
        return 'SUCCESS';
      },
    });
    const sentAt = Date.now();
    await producer.send({ topic, body: 'x' });
    assert.ok(await waitUntil(() => attempts.length >= 3, ctx.retryWaitMs(3)), `attempts: ${JSON.stringify(attempts)}`);
    await sleep(ctx.retryDelayMs(3) + 300);
    assert.deepEqual(
      attempts.map((a) => a.n),
      [1, 2, 3],
    );
    assert.ok(attempts[1].at - attempts[0].at >= ctx.retryDelayMs(0) * 0.9, 'the first retry waits the back-off');
    assert.ok(attempts[0].at >= sentAt);
  });

  test('DLQ: a message failing past maxReconsumeTimes goes to the dead-letter queue, and a replay redelivers it', async (t) => {
    if (!ctx.mq().capabilities.deadLetterAdmin) return t.skip(ctx.skipReason('deadLetterAdmin'));
    const mq = ctx.mq();
    const topic = unique('dlq');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const group = unique('g');
    let healthy = false;
    const deliveries: number[] = [];
    await mq.pushConsumer({
      group,
      subscriptions: { [topic]: '*' },
      maxReconsumeTimes: 2,
      listener: (m) => {
        deliveries.push(m.deliveryAttempt);
        return healthy ? 'SUCCESS' : 'RETRY_LATER';
      },
    });
    const { messageId } = await producer.send({ topic, keys: 'refund-1', body: 'refund' });
    const dead = async () => (await mq.admin.listDeadLetters({ group })).find((d) => d.messageId === messageId);
    assert.ok(await waitUntil(async () => (await dead()) !== undefined, ctx.retryWaitMs(2) + 5_000), `deliveries: ${deliveries}`);
    assert.deepEqual(deliveries, [1, 2, 3], 'one delivery plus maxReconsumeTimes redeliveries');
    const letter = await dead();
    assert.equal(letter?.originTopic, topic);
    assert.equal(letter?.body.toString(), 'refund');
    const trace = await mq.admin.findMessage(messageId);
    assert.equal(trace?.deliveries.find((d) => d.group === group)?.state, 'DEAD_LETTERED');

    healthy = true;
    await mq.admin.replayDeadLetter(messageId, group);
    assert.ok(await waitUntil(() => deliveries.length === 4, 20_000), `deliveries after replay: ${deliveries}`);
    assert.ok((await dead())?.replayedAt instanceof Date);
    assert.ok(
      await waitUntil(async () => (await mq.admin.findMessage(messageId))?.deliveries.find((d) => d.group === group)?.state === 'CONSUMED'),
    );
  });

  test('pull: an un-acked message becomes visible again; changeInvisibleDuration postpones that; ack ends it', async () => {
    const mq = ctx.mq();
    const topic = unique('pull');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const pull = await mq.pullConsumer({ group: unique('g'), subscriptions: { [topic]: '*' }, invisibleDurationMs: ctx.invisibleMs });
    await producer.send({ topic, body: 'again' });
    const [first] = await pull.receive(1, 10_000);
    assert.equal(first?.deliveryAttempt, 1);
    const started = Date.now();
    const [second] = await receiveUntil(pull, ctx.invisibleMs * 4);
    assert.equal(second?.messageId, first.messageId, 'not acked → delivered again');
    assert.equal(second.deliveryAttempt, 2);
    assert.ok(Date.now() - started >= ctx.invisibleMs * 0.8, 'not before the invisible duration');
    await pull.changeInvisibleDuration(second, ctx.invisibleMs * 3);
    assert.deepEqual(await pull.receive(1, ctx.invisibleMs * 2), [], 'postponed');
    const [third] = await receiveUntil(pull, ctx.invisibleMs * 4);
    assert.equal(third?.deliveryAttempt, 3);
    await pull.ack(third);
    assert.deepEqual(await pull.receive(1, ctx.invisibleMs * 2), [], 'acked → gone');
  });

  test('admin: backlog per topic and group counts what a group has not consumed; messages are found by key', async () => {
    const mq = ctx.mq();
    const topic = unique('backlog');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const group = unique('g');
    const pull = await mq.pullConsumer({ group, subscriptions: { [topic]: '*' } });
    const producer = await mq.producer({ topics: [topic] });
    for (let i = 0; i < 5; i++) await producer.send({ topic, keys: [`order-${i}`], body: `m${i}` });
    const backlogOf = async () => (await mq.admin.backlog()).find((b) => b.topic === topic && b.group === group)?.backlog;
    assert.ok(await waitUntil(async () => (await backlogOf()) === 5, ctx.adminLagMs), `backlog ${await backlogOf()}`);
    await receiveAll(pull, 5);
    assert.ok(await waitUntil(async () => (await backlogOf()) === 0, ctx.adminLagMs), `backlog after consuming ${await backlogOf()}`);
    const found = await mq.admin.findMessagesByKey(topic, 'order-3');
    assert.equal(found.length, 1);
    assert.deepEqual(found[0].keys, ['order-3']);
    assert.ok(
      await waitUntil(
        async () =>
          (await mq.admin.findMessagesByKey(topic, 'order-3'))[0]?.deliveries.some((d) => d.group === group && d.state === 'CONSUMED'),
        ctx.adminLagMs,
      ),
    );
  });

  test('close: a consumer whose FIFO message waits for its next retry closes at once; the message goes to the next consumer of the group, before what follows it, and not to the DLQ', async () => {
    const mq = ctx.mq();
    const topic = unique('fifo-close');
    await mq.admin.createTopic({ name: topic, type: 'FIFO' });
    const group = unique('g');
    await ctx.prepareFifoGroup?.(group);
    const producer = await mq.producer({ topics: [topic] });
    const before: string[] = [];
    const consumer = await mq.pushConsumer({
      group,
      subscriptions: { [topic]: '*' },
      listener: (m) => (before.push(m.body.toString()), m.body.toString() === 'done' ? 'SUCCESS' : 'RETRY_LATER'),
    });
    for (const body of ['done', 'stuck', 'next']) await producer.send({ topic, messageGroup: 'order-1', body });
    assert.ok(await waitUntil(() => before.filter((b) => b === 'stuck').length >= 2, ctx.retryWaitMs(1)), `deliveries: ${before}`);

    const closed = await Promise.race([consumer.close().then(() => true), sleep(CLOSE_WITH_RETRY_PENDING_MS).then(() => false)]);
    assert.ok(closed, `close() still waiting after ${CLOSE_WITH_RETRY_PENDING_MS} ms: it waits for the message's retries`);

    const after: string[] = [];
    await mq.pushConsumer({ group, subscriptions: { [topic]: '*' }, listener: (m) => (after.push(m.body.toString()), 'SUCCESS') });
    assert.ok(await waitUntil(() => after.includes('next'), ctx.retryWaitMs(1) + 10_000), `the next consumer got: ${after}`);
    assert.deepEqual(
      [...new Set(after)],
      ['stuck', 'next'],
      'the message in retry first, then the one behind it; the acknowledged one never again',
    );
    if (mq.capabilities.deadLetterAdmin) assert.deepEqual(await mq.admin.listDeadLetters({ group }), []);
  });

  test('close: a message whose listener answers SUCCESS while close() waits for it is acknowledged — the group never gets it again', async () => {
    const mq = ctx.mq();
    const topic = unique('close-ack');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const group = unique('g');
    const producer = await mq.producer({ topics: [topic] });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const first: string[] = [];
    const leaving = await mq.pushConsumer({
      group,
      subscriptions: { [topic]: '*' },
      listener: async (m) => {
        first.push(m.body.toString());
        await released;
        return 'SUCCESS';
      },
    });
    await producer.send({ topic, body: 'held' });
    assert.ok(await waitUntil(() => first.length > 0, 10_000), 'the first member never got the message');
    // The answer comes once close() has begun waiting for the running call: the race a shutdown must not lose.
    const closing = leaving.close();
    release();
    await closing;

    const second: string[] = [];
    await mq.pushConsumer({ group, subscriptions: { [topic]: '*' }, listener: (m) => (second.push(m.body.toString()), 'SUCCESS') });
    await producer.send({ topic, body: 'after' });
    // Long enough for a message handed back, or left unacknowledged, by the closing member to reach the second one.
    await sleep(ctx.handBackMs);
    assert.ok(!second.includes('held'), `the message acknowledged at the close came back: the second member got ${second}`);
    // A message sent after the close is the second member's, soon (not taken by a long poll the closed one left open).
    assert.ok(await waitUntil(() => second.includes('after'), 10_000), `the second member got: ${second}`);
    assert.deepEqual(first, ['held']);
    assert.deepEqual(second, ['after']);
  });
}

/**
 * A consumer's close with a FIFO message waiting for a retry. RocketMQ's close waits for its long polls in flight (what
 * they bring is handed back; our proxy's longest long poll is 5 s) and then the client pauses 1 s for acks: up to ~6 s.
 * Waiting for the message's retries instead would take their back-offs, 2 s + 4 s + 8 s … before it is dead-lettered.
 */
const CLOSE_WITH_RETRY_PENDING_MS = 10_000;

async function receiveUntil(pull: { receive(max?: number, waitMs?: number): Promise<MessageView[]> }, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await pull.receive(1, Math.max(1, deadline - Date.now()));
    if (got.length > 0) return got;
  }
  return [];
}
