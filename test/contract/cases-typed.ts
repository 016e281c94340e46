import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageView, TransactionResolution } from '../../src/mq/index.js';
import { sleep, unique, waitUntil } from '../support/wait.js';
import { receiveAll } from './cases-send.js';
import type { ContractContext } from './context.js';

/** Delayed, transactional and FIFO messages. */
export function typedCases(ctx: ContractContext): void {
  test('delay: a message is never delivered before deliverAt, and not much after', async () => {
    const mq = ctx.mq();
    const topic = unique('delay');
    await mq.admin.createTopic({ name: topic, type: 'DELAY' });
    const producer = await mq.producer({ topics: [topic] });
    const arrivals: { due: number; at: number }[] = [];
    await mq.pushConsumer({
      group: unique('g'),
      subscriptions: { [topic]: '*' },
      listener: (m) => (arrivals.push({ due: Number(m.properties.due), at: Date.now() }), 'SUCCESS'),
    });
    const now = Date.now();
    const dues = [300, 700, 1_100, 1_500].map((d) => now + d);
    for (const due of dues) await producer.send({ topic, body: 'later', deliverAt: due, properties: { due: String(due) } });
    assert.ok(await waitUntil(() => arrivals.length === 4, 10_000 + ctx.delayPrecisionMs), `arrivals ${arrivals.length}`);
    for (const { due, at } of arrivals) {
      assert.ok(at >= due, `delivered ${due - at} ms early`);
      assert.ok(at - due <= ctx.delayPrecisionMs, `delivered ${at - due} ms late (allowed ${ctx.delayPrecisionMs})`);
    }
  });

  test('delay: a message due soon is not held up behind one due in an hour', async () => {
    const mq = ctx.mq();
    const topic = unique('delay_hol');
    await mq.admin.createTopic({ name: topic, type: 'DELAY' });
    const producer = await mq.producer({ topics: [topic] });
    const got: string[] = [];
    await mq.pushConsumer({
      group: unique('g'),
      subscriptions: { [topic]: '*' },
      listener: (m) => (got.push(m.body.toString()), 'SUCCESS'),
    });
    await producer.send({ topic, body: 'in an hour', deliverAt: Date.now() + 3_600_000 });
    await producer.send({ topic, body: 'soon', deliverAt: Date.now() + 400 });
    assert.ok(await waitUntil(() => got.length === 1, 5_000 + ctx.delayPrecisionMs));
    assert.deepEqual(got, ['soon']);
  });

  test('transaction: COMMIT delivers, ROLLBACK never does, UNKNOWN is settled by the check-back', async () => {
    const mq = ctx.mq();
    const topic = unique('tx');
    await mq.admin.createTopic({ name: topic, type: 'TRANSACTION' });
    const decisions = new Map<string, TransactionResolution>();
    const checked: string[] = [];
    const producer = await mq.producer({
      group: unique('txp'),
      topics: [topic],
      transactionChecker: (m) => {
        checked.push(m.body.toString());
        return decisions.get(m.body.toString()) ?? 'UNKNOWN';
      },
    });
    const got: string[] = [];
    await mq.pushConsumer({
      group: unique('g'),
      subscriptions: { [topic]: '*' },
      listener: (m) => (got.push(m.body.toString()), 'SUCCESS'),
    });

    const committed = await producer.sendInTransaction({ topic, body: 'commit' }, () => 'COMMIT');
    assert.equal(committed.resolution, 'COMMIT');
    await producer.sendInTransaction({ topic, body: 'rollback' }, () => 'ROLLBACK');
    decisions.set('unknown', 'COMMIT');
    await producer.sendInTransaction({ topic, body: 'unknown' }, () => 'UNKNOWN');
    decisions.set('thrown', 'ROLLBACK');
    await producer.sendInTransaction({ topic, body: 'thrown' }, () => {
      throw new Error('local transaction crashed');
    });
    assert.ok(await waitUntil(() => got.includes('commit'), 10_000));
    assert.ok(await waitUntil(() => got.includes('unknown'), ctx.txCheckWaitMs), `check-back did not commit; checked=${checked}`);
    assert.ok(await waitUntil(() => checked.includes('thrown'), ctx.txCheckWaitMs));
    await sleep(500);
    assert.ok(checked.includes('unknown'));
    assert.ok(!checked.includes('commit') && !checked.includes('rollback'), 'resolved transactions are not checked back');
    assert.deepEqual(got.sort(), ['commit', 'unknown']);
  });

  test('transaction: a transactional message cannot go to a NORMAL topic, nor a normal one to a TRANSACTION topic', async () => {
    const mq = ctx.mq();
    const normal = unique('n');
    const tx = unique('t');
    await mq.admin.createTopic({ name: normal, type: 'NORMAL' });
    await mq.admin.createTopic({ name: tx, type: 'TRANSACTION' });
    const producer = await mq.producer({ topics: [normal, tx], transactionChecker: () => 'ROLLBACK' });
    let ran = false;
    await assert.rejects(
      producer.sendInTransaction({ topic: normal, body: 'x' }, () => ((ran = true), 'COMMIT')),
      { code: 'MQ_WRONG_MESSAGE_TYPE' },
    );
    assert.equal(ran, false, 'the local transaction must not run when the half message was refused');
    await assert.rejects(producer.send({ topic: tx, body: 'x' }), { code: 'MQ_WRONG_MESSAGE_TYPE' });
  });

  test('retype: createTopic refuses another type for an existing topic unless asked to retype it; new sends then follow the new type', async () => {
    const mq = ctx.mq();
    const topic = unique('retype');
    await mq.admin.createTopic({ name: topic, type: 'TRANSACTION' });
    await assert.rejects(mq.admin.createTopic({ name: topic, type: 'NORMAL' }), { code: 'MQ_TOPIC_EXISTS' });
    const retyped = await mq.admin.createTopic({ name: topic, type: 'NORMAL', retype: true });
    assert.equal(retyped.type, 'NORMAL');
    assert.equal((await mq.admin.listTopics()).find((t) => t.name === topic)?.type, 'NORMAL');
    const producer = await mq.producer({ topics: [topic], transactionChecker: () => 'ROLLBACK' });
    const got: string[] = [];
    await mq.pushConsumer({
      group: unique('g'),
      subscriptions: { [topic]: '*' },
      listener: (m) => (got.push(m.body.toString()), 'SUCCESS'),
    });
    // The broker's own check (RocketMQ: the proxy's) may take a moment to see the new type.
    assert.ok(
      await waitUntil(async () => !!(await producer.send({ topic, body: 'plain' }).catch(() => undefined)), 15_000),
      'a plain send to the retyped topic',
    );
    await assert.rejects(
      producer.sendInTransaction({ topic, body: 'half' }, () => 'COMMIT'),
      { code: 'MQ_WRONG_MESSAGE_TYPE' },
    );
    assert.ok(await waitUntil(() => got.includes('plain'), 15_000), `delivered: ${JSON.stringify(got)}`);
  });

  test('FIFO: sendBatch stores the messages of one group in the order given, so they are consumed in that order', async () => {
    const mq = ctx.mq();
    const topic = unique('fifo_batch');
    await mq.admin.createTopic({ name: topic, type: 'FIFO', queues: 2 });
    const group = unique('g');
    await ctx.prepareFifoGroup?.(group);
    const producer = await mq.producer({ topics: [topic] });
    const order = new Map<string, number[]>();
    await mq.pushConsumer({
      group,
      subscriptions: { [topic]: '*' },
      concurrency: 8,
      listener: (m: MessageView) => {
        const list = order.get(m.messageGroup ?? '') ?? [];
        list.push(Number(m.body.toString()));
        order.set(m.messageGroup ?? '', list);
        return 'SUCCESS';
      },
    });
    // Interleaved groups in each batch, as the changelog relay sends them (several orders' changes in one round).
    const groups = ['order-a', 'order-b', 'order-c'];
    for (let batch = 0; batch < 4; batch++) {
      const messages = [];
      for (let seq = batch * 5; seq < batch * 5 + 5; seq++)
        for (const g of groups) messages.push({ topic, messageGroup: g, body: String(seq) });
      await producer.sendBatch(messages);
    }
    const expected = Array.from({ length: 20 }, (_, i) => i);
    assert.ok(await waitUntil(() => groups.every((g) => (order.get(g)?.length ?? 0) >= 20), 30_000), JSON.stringify([...order]));
    for (const g of groups) assert.deepEqual(order.get(g), expected, `order of ${g}`);
  });

  test('FIFO: messages of one group are consumed in send order, even when some fail and are retried', async () => {
    const mq = ctx.mq();
    const topic = unique('fifo');
    await mq.admin.createTopic({ name: topic, type: 'FIFO', queues: 2 });
    const group = unique('g');
    await ctx.prepareFifoGroup?.(group);
    const producer = await mq.producer({ topics: [topic] });
    const order = new Map<string, number[]>();
    const failedOnce = new Set<string>();
    await mq.pushConsumer({
      group,
      subscriptions: { [topic]: '*' },
      concurrency: 8,
      listener: async (m: MessageView) => {
        const seq = Number(m.body.toString());
        const key = `${m.messageGroup}:${seq}`;
        if (seq % 4 === 1 && !failedOnce.has(key)) {
          failedOnce.add(key);
          return 'RETRY_LATER'; // the rest of this group must wait for it
        }
        await sleep(1);
        const list = order.get(m.messageGroup ?? '') ?? [];
        list.push(seq);
        order.set(m.messageGroup ?? '', list);
        return 'SUCCESS';
      },
    });
    const groups = ['order-a', 'order-b', 'order-c'];
    for (let seq = 0; seq < 12; seq++) for (const g of groups) await producer.send({ topic, messageGroup: g, body: String(seq) });
    const expected = Array.from({ length: 12 }, (_, i) => i);
    assert.ok(
      await waitUntil(() => groups.every((g) => (order.get(g)?.length ?? 0) >= 12), ctx.retryWaitMs(1) * 6 + 10_000),
      JSON.stringify([...order]),
    );
    for (const g of groups) assert.deepEqual(order.get(g), expected, `order of ${g}`);
  });

  test('durability: a producer process killed with SIGKILL right after acknowledged sends loses none of them', async (t) => {
    if (!ctx.killTest) return t.skip(ctx.skipReason('killTest'));
    const topic = unique('durable');
    const { acked, reopen } = await ctx.killTest(topic, 300);
    assert.ok(acked.length >= 300, `the child acknowledged ${acked.length} sends before the kill`);
    const mq = await reopen();
    const pull = await mq.pullConsumer({ group: unique('g'), subscriptions: { [topic]: '*' } });
    const got = await receiveAll(pull, acked.length, 30_000);
    const ids = new Set(got.map((m) => m.messageId));
    const lost = acked.filter((id) => !ids.has(id));
    assert.deepEqual(lost, [], `${lost.length} acknowledged messages lost`);
  });
}
